"""The annotator's round trip in the browser: Submit on one task until the next task's editor is
ready, on pre-annotated tasks (PostgreSQL, Chromium).

Run: scripts/with_test_postgres.sh .venv/bin/python bench/annotate_roundtrip.py [--tasks N]

Migrates the database DATABASE_URL names, creates a project (NER labels, an assertion pair and
two choice groups) of N tasks (default 50), each with a prediction of three regions as
pre-annotation stores it, and an annotator; starts ``manage.py runserver --noreload`` on a free
port of 127.0.0.1 with DEBUG off, and drives Debian's Chromium through Playwright as the
annotator: log in, open Annotate, then for every task click Submit (confirming the untouched copy
of the prediction) and time until the next task's editor shows its copied regions and its
Submit button. That path is the whole loop a person waits on: the completion POST, the
next-task reservation (default strategy, uncertainty), the annotate page, Label Studio's start.
The first editor load is not timed. Prints the median and p95 of the N - 1 round trips.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "annolab.settings")
os.environ.setdefault("SECRET_KEY", "bench")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from projects.models import Membership, Prediction, Project, Role, Task  # noqa: E402

PROJECT = "bench-annotate"
CONFIG = """<View>
  <Text name="text" value="$text"/>
  <Labels name="label" toName="text">
    <Label value="Symptom"/>
    <Label value="Disease"/>
    <Label value="Absent" assertion="true"/>
    <Label value="Present" assertion="true"/>
  </Labels>
  <Choices name="age" toName="text" choice="single">
    <Choice value="Child"/>
    <Choice value="Adult"/>
  </Choices>
  <Choices name="smoking" toName="text" choice="multiple">
    <Choice value="Smoker"/>
    <Choice value="Nonsmoker"/>
  </Choices>
</View>
"""
PASSWORD = "bench-annotator-password"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
SERVER_START_SECONDS = 60
STEP_TIMEOUT_MS = 30_000


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def region(text: str, fragment: str, label: str, confidence: float) -> dict[str, object]:
    start = text.index(fragment)
    return {
        "id": f"p{start}",
        "from_name": "label",
        "to_name": "text",
        "type": "labels",
        "value": {
            "start": start,
            "end": start + len(fragment),
            "text": fragment,
            "labels": [label],
            "confidence": confidence,
        },
    }


def load(task_count: int) -> None:
    User = get_user_model()
    Project.objects.filter(name=PROJECT).delete()
    owner, _ = User.objects.get_or_create(username="bench-owner")
    annotator, _ = User.objects.get_or_create(username="bench-annotator")
    annotator.set_password(PASSWORD)
    annotator.save()
    project = Project.objects.create(name=PROJECT, owner=owner, labeling_config=CONFIG)
    Membership.objects.create(project=project, user=owner, role=Role.OWNER, priority=1)
    Membership.objects.create(project=project, user=annotator, role=Role.ANNOTATOR, priority=2)
    texts = [
        f"Patient {i} denies chest pain but has pneumonia and a fever since Monday."
        for i in range(task_count)
    ]
    tasks = Task.objects.bulk_create([Task(project=project, data={"text": t}) for t in texts])
    predictions = []
    for i, (task, text) in enumerate(zip(tasks, texts, strict=True)):
        certainty = 0.2 + 0.6 * i / task_count
        result = [
            region(text, "chest pain", "Symptom", 0.9),
            region(text, "pneumonia", "Disease", certainty),
            region(text, "fever", "Symptom", 0.7),
        ]
        score = sum(r["value"]["confidence"] for r in result) / len(result)  # type: ignore[index]
        predictions.append(
            Prediction(
                task=task,
                model_name="ner_bench_annotation_manual_v1",
                score=score,
                certainty=certainty,
                result=result,
            )
        )
    Prediction.objects.bulk_create(predictions)


def wait_until_serving(base: str, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + SERVER_START_SECONDS
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.exit(f"the server exited with {server.returncode} before serving")
        try:
            with urllib.request.urlopen(f"{base}/accounts/login/", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.2)
    sys.exit(f"the server did not answer within {SERVER_START_SECONDS} s")


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def round_trips(base: str, task_count: int) -> list[float]:
    from playwright.sync_api import expect, sync_playwright

    seconds: list[float] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        page = browser.new_context(viewport={"width": 1366, "height": 768}).new_page()
        page.set_default_timeout(STEP_TIMEOUT_MS)
        page.on("dialog", lambda dialog: dialog.accept())  # "Submit the prediction unchanged?"
        page.goto(f"{base}/accounts/login/")
        page.fill("#id_username", "bench-annotator")
        page.fill("#id_password", PASSWORD)
        page.locator("form [type=submit]").click()
        page.wait_for_load_state()
        page.goto(f"{base}/projects/{PROJECT}/annotate/next/")
        submit = page.get_by_role("button", name="submit", exact=True)
        regions = page.locator(".lsf-region-item")
        expect(submit).to_be_visible()
        expect(regions).to_have_count(3)
        for _ in range(task_count - 1):
            left = page.url
            started = time.perf_counter()
            submit.click()
            page.wait_for_url(lambda url, left=left: url != left and "/annotate/next/" not in url)
            expect(submit).to_be_visible()
            expect(regions).to_have_count(3)  # the copy of the next task's prediction
            seconds.append(time.perf_counter() - started)
        browser.close()
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tasks", type=int, default=50, help="pre-annotated tasks (default 50)")
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("Run this bench on PostgreSQL (scripts/with_test_postgres.sh ...).")
    if args.tasks < 2:
        sys.exit("--tasks must be at least 2: the first editor load is not timed.")
    call_command("migrate", verbosity=0)
    load(args.tasks)
    connection.close()

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "ALLOWED_HOSTS": "127.0.0.1", "DEBUG": "false", "LOG_LEVEL": "WARNING"}
    with tempfile.TemporaryFile() as log:
        # --insecure: runserver serves the static files with DEBUG off, as the test server does.
        server = subprocess.Popen(
            [
                sys.executable,
                "manage.py",
                "runserver",
                "--noreload",
                "--insecure",
                f"127.0.0.1:{port}",
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            wait_until_serving(base, server)
            seconds = round_trips(base, args.tasks)
        finally:
            server.terminate()
            server.wait(timeout=30)
    print(f"annotate round trip (Submit -> next editor ready), {len(seconds)} tasks:")
    print(f"  median {statistics.median(seconds):.3f} s   p95 {percentile(seconds, 0.95):.3f} s")
    print(f"  min {min(seconds):.3f} s   max {max(seconds):.3f} s")


if __name__ == "__main__":
    main()
