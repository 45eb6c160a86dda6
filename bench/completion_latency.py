"""Latency of submitting a completion over HTTP, with active learning on and off (PostgreSQL).

Run: scripts/with_test_postgres.sh .venv/bin/python bench/completion_latency.py

Migrates the database DATABASE_URL names, creates a project with 2,000 tasks and 20 annotators,
starts ``manage.py runserver --noreload`` on a free port of 127.0.0.1, and has 20 concurrent
clients (threads, urllib, token auth) POST submitted completions, each to a task of its own:
400 requests with active learning off and 400 with it on (a frequency the bench never reaches, so
no training starts), in alternating halves so that neither phase gets the warmer server. Prints
p50/p95 of each phase and the ratio on/off, then stops the server.

Every submit is counted either way (the counter means "since the last training run", whether
or not active learning is on), so the ratio shows what switching it on adds: the check for a
threshold and a pending trigger, not the counting itself.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
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
from rest_framework.authtoken.models import Token  # noqa: E402

from activelearning import services as al_services  # noqa: E402
from activelearning.models import ActiveLearningSettings  # noqa: E402
from projects.models import Membership, Project, Role, Task  # noqa: E402

PROJECT = "bench-latency"
CONFIG = """<View>
  <Text name="text" value="$text"/>
  <Labels name="label" toName="text">
    <Label value="Symptom"/>
    <Label value="Disease"/>
  </Labels>
</View>
"""
TASKS = 2000
CLIENTS = 20
PER_PHASE = 400
NEVER = 1_000_000  # a frequency no phase reaches: active learning is on but never trains
SERVER_START_SECONDS = 60
REQUEST_TIMEOUT_SECONDS = 30


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def load(
    name: str = PROJECT, clients: int = CLIENTS, tasks: int = TASKS
) -> tuple[Project, list[str], list[tuple[int, str]]]:
    """A fresh project ``name`` with ``tasks`` tasks and one annotator (and token) per client."""
    User = get_user_model()
    Project.objects.filter(name=name).delete()
    owner, _ = User.objects.get_or_create(username="bench-owner")
    project = Project.objects.create(name=name, owner=owner, labeling_config=CONFIG)
    Membership.objects.create(project=project, user=owner, role=Role.OWNER, priority=1)
    tokens = []
    for i in range(clients):
        user, _ = User.objects.get_or_create(username=f"bench-annotator{i}")
        Membership.objects.create(project=project, user=user, role=Role.ANNOTATOR, priority=i + 2)
        tokens.append(Token.objects.get_or_create(user=user)[0].key)
    texts = [f"Patient {i} denies chest pain." for i in range(tasks)]
    rows = Task.objects.bulk_create(
        [Task(project=project, data={"text": t}) for t in texts], batch_size=5000
    )
    return project, tokens, [(task.pk, text) for task, text in zip(rows, texts, strict=True)]


def body_for(task_text: str) -> bytes:
    start = task_text.index("chest pain")
    region = {
        "id": "r1",
        "from_name": "label",
        "to_name": "text",
        "type": "labels",
        "value": {"start": start, "end": start + 10, "text": "chest pain", "labels": ["Symptom"]},
    }
    return json.dumps({"result": [region], "submit": True, "lead_time": 3.5}).encode()


def post(base: str, token: str, task_id: int, body: bytes) -> tuple[float, int]:
    request = urllib.request.Request(
        f"{base}/api/projects/{PROJECT}/tasks/{task_id}/completions/",
        data=body,
        method="POST",
        headers={"Authorization": f"Token {token}", "Content-Type": "application/json"},
    )
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=REQUEST_TIMEOUT_SECONDS) as response:
            response.read()
            status = response.status
    except urllib.error.HTTPError as exc:
        status = exc.code
    return time.perf_counter() - started, status


def wait_until_serving(base: str, token: str, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + SERVER_START_SECONDS
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.exit(f"the server exited with {server.returncode} before serving")
        request = urllib.request.Request(
            f"{base}/api/projects/", headers={"Authorization": f"Token {token}"}
        )
        try:
            with urllib.request.urlopen(request, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.2)
    sys.exit(f"the server did not answer within {SERVER_START_SECONDS} s")


def run_clients(base: str, tokens: list[str], work: list[tuple[int, bytes]]) -> list[float]:
    """Split ``work`` over one thread per token, all started together; latencies in seconds."""
    latencies: list[float] = []
    failures: list[int] = []
    lock = threading.Lock()
    barrier = threading.Barrier(len(tokens))

    def client(index: int) -> None:
        barrier.wait(timeout=30)
        for task_id, body in work[index :: len(tokens)]:
            seconds, status = post(base, tokens[index], task_id, body)
            with lock:
                if status == 201:
                    latencies.append(seconds)
                else:
                    failures.append(status)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(len(tokens))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=600)
    if failures:
        sys.exit(f"{len(failures)} requests failed, statuses {sorted(set(failures))}")
    return latencies


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("Run this bench on PostgreSQL (scripts/with_test_postgres.sh ...).")
    call_command("migrate", verbosity=0)
    project, tokens, tasks = load()
    owner = project.owner
    queue = [(task_id, body_for(text)) for task_id, text in tasks]
    connection.close()  # the server gets the database to itself between phase switches

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "ALLOWED_HOSTS": "127.0.0.1", "DEBUG": "false", "LOG_LEVEL": "WARNING"}
    with tempfile.TemporaryFile() as log:
        server = subprocess.Popen(
            [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        results: dict[str, list[float]] = {"off": [], "on": []}
        try:
            wait_until_serving(base, tokens[0], server)
            warm_up, queue = queue[:CLIENTS], queue[CLIENTS:]
            run_clients(base, tokens, warm_up)
            half = PER_PHASE // 2
            for phase in ("off", "on", "off", "on"):
                al_services.active_learning_update(
                    project=project, actor=owner, enabled=phase == "on", frequency=NEVER
                )
                connection.close()
                batch, queue = queue[:half], queue[half:]
                results[phase].extend(run_clients(base, tokens, batch))
        except BaseException:
            log.seek(0)
            print(log.read().decode(errors="replace")[-3000:], file=sys.stderr)
            raise
        finally:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait(timeout=10)

    counted = ActiveLearningSettings.objects.get(project=project).completions_since_last_training
    print(
        f"tasks={TASKS} clients={CLIENTS} requests/phase={PER_PHASE} completions counted={counted}"
    )
    for phase in ("off", "on"):
        values = results[phase]
        print(
            f"active learning {phase:<3} n={len(values)} "
            f"p50={percentile(values, 0.5) * 1000:.1f} ms "
            f"p95={percentile(values, 0.95) * 1000:.1f} ms "
            f"mean={statistics.fmean(values) * 1000:.1f} ms"
        )
    ratio_p50 = percentile(results["on"], 0.5) / percentile(results["off"], 0.5)
    ratio_p95 = percentile(results["on"], 0.95) / percentile(results["off"], 0.95)
    print(f"ratio on/off: p50={ratio_p50:.2f} p95={ratio_p95:.2f}")


if __name__ == "__main__":
    main()
