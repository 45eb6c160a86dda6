"""NER training through annolab's job path vs a plain Spark NLP script, on NCBI disease.

    scripts/with_test_postgres.sh .venv/bin/python bench/ner_training.py [--epochs 10]

Both sides train Word2Vec (100 dimensions) on the train + devel sentences and NerDL with the
same parameters, each in a JVM of its own, one after the other. annolab's side goes through the
real path: tasks and completions in PostgreSQL, a queued run, the supervisor, the child process.
Prints both wall times, their ratio, the entity-level F1 of both on the test split, and the peak
RSS of each side's process tree (Python + JVM).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "annolab.settings")
os.environ.setdefault("SECRET_KEY", "bench")

import django  # noqa: E402

django.setup()

import psutil  # noqa: E402
from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402

from bench.conll import ConllSentence, ncbi  # noqa: E402
from projects import services as project_services  # noqa: E402
from projects.imports import tasks_import  # noqa: E402
from projects.models import Project  # noqa: E402
from training import services  # noqa: E402
from training.engine.embeddings import word2vec_passes  # noqa: E402
from training.models import NlpModel, TrainingRun  # noqa: E402
from training.tasks import execute_training_run  # noqa: E402

CONFIG = """<View>
  <Text name="text" value="$text"/>
  <Labels name="label" toName="text"><Label value="Disease"/></Labels>
</View>"""


class PeakRss:
    """Samples the RSS of a process tree (the process and all its descendants) twice a second."""

    def __init__(self, pid_of: object) -> None:
        self.pid_of = pid_of
        self.peak = 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.sample, daemon=True)

    def sample(self) -> None:
        while not self.stop.wait(0.5):
            pid = self.pid_of() if callable(self.pid_of) else self.pid_of
            if not pid:
                continue
            try:
                root = psutil.Process(pid)
                tree = [root, *root.children(recursive=True)]
                self.peak = max(self.peak, sum(p.memory_info().rss for p in tree if p.is_running()))
            except psutil.Error:
                continue


def task(sentence: ConllSentence, labelled: bool) -> dict:
    text = sentence.text
    item: dict = {"data": {"text": text}}
    if labelled:
        result = [
            {
                "id": f"r{i}",
                "from_name": "label",
                "to_name": "text",
                "type": "labels",
                "value": {"start": s, "end": e, "text": text[s:e], "labels": [label]},
            }
            for i, (s, e, label) in enumerate(sentence.spans())
        ]
        item["completions"] = [
            {"created_username": "bench", "submitted_at": "2026-01-01T00:00:00Z", "result": result}
        ]
    return item


def annolab_side(train: list[ConllSentence], devel: list[ConllSentence], epochs: int) -> dict:
    User = get_user_model()
    owner, _ = User.objects.get_or_create(username="bench-owner", defaults={"is_staff": True})
    Project.objects.filter(name="bench-ner").delete()
    project = project_services.project_create(owner=owner, name="bench-ner", labeling_config=CONFIG)
    tasks_import(
        project=project, payload=[task(s, True) for s in train] + [task(s, False) for s in devel]
    )
    started = time.perf_counter()
    run = services.training_run_start(
        project=project,
        actor=owner,
        deploy=False,
        params={"epochs": epochs, "validation_split": 0, "model_types": ["ner"]},
    )
    rss = PeakRss(
        lambda: TrainingRun.objects.filter(pk=run.pk).values_list("child_pid", flat=True).first()
    )
    rss.thread.start()
    execute_training_run(run.pk)
    seconds = time.perf_counter() - started
    rss.stop.set()
    run.refresh_from_db()
    if run.status != "succeeded":
        sys.exit(f"annolab run failed: {run.error} {run.results}")
    model = NlpModel.objects.get(training_run=run)
    return {"seconds": round(seconds, 1), "peak_rss_mb": rss.peak // 2**20, "model_dir": model.path}


def plain_side(epochs: int, limit: int, out: Path, word2vec_passes: int) -> dict:
    command = [
        sys.executable,
        str(ROOT / "bench" / "plain_ner.py"),
        "--epochs",
        str(epochs),
        "--jars",
        str(settings.SPARK_JARS_DIR),
        "--out",
        str(out),
        "--driver-memory",
        settings.SPARK_DRIVER_MEMORY,
        "--word2vec-passes",
        str(word2vec_passes),
    ]
    if limit:
        command += ["--limit", str(limit)]
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    rss = PeakRss(process.pid)
    rss.thread.start()
    output, _ = process.communicate()
    seconds = time.perf_counter() - started
    rss.stop.set()
    if process.returncode != 0:
        sys.exit("plain Spark NLP script failed")
    result = json.loads(output.strip().splitlines()[-1])
    return {**result, "seconds": round(seconds, 1), "peak_rss_mb": rss.peak // 2**20}


def evaluate(model_dir: str, test: list[ConllSentence]) -> dict:
    from training.engine.metrics import entity_metrics_from_spans
    from training.engine.predict import NerPredictor
    from training.engine.session import start_spark

    spark = start_spark(
        master="local[*]",
        driver_memory=settings.SPARK_DRIVER_MEMORY,
        jars_dir=settings.SPARK_JARS_DIR,
        app_name="bench-evaluate",
    )
    predicted = NerPredictor(spark, Path(model_dir)).predict([s.text for s in test])
    metrics = entity_metrics_from_spans(
        (set(s.spans()) for s in test),
        ({(e.start, e.end, e.label) for e in entities} for entities in predicted),
    )
    spark.stop()
    return {
        "f1": round(metrics.micro.f1, 4),
        "precision": round(metrics.micro.precision, 4),
        "recall": round(metrics.micro.recall, 4),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--limit", type=int, default=0, help="use only the first N train sentences")
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    train, devel, test = ncbi("train"), ncbi("devel"), ncbi("test")
    if args.limit:
        train = train[: args.limit]
    with tempfile.TemporaryDirectory() as work:
        settings.MODELS_DIR = Path(work) / "models"
        settings.VAR_DIR = Path(work) / "var"
        annolab = annolab_side(train, devel, args.epochs)
        annolab.update(evaluate(annolab.pop("model_dir"), test))
        # annolab's project holds the train + devel texts; the plain side reads them as often.
        passes = word2vec_passes([s.text for s in train + devel])
        plain = plain_side(args.epochs, args.limit, Path(work) / "plain", passes)
    print(
        f"NCBI disease: {len(train)} train sentences, {len(test)} test sentences, "
        f"{args.epochs} epochs"
    )
    print(f"{'side':<10}{'wall s':>10}{'F1':>8}{'P':>8}{'R':>8}{'peak RSS MB':>13}")
    for name, side in (("annolab", annolab), ("plain", plain)):
        print(
            f"{name:<10}{side['seconds']:>10}{side['f1']:>8}{side['precision']:>8}"
            f"{side['recall']:>8}{side['peak_rss_mb']:>13}"
        )
    print(f"ratio annolab/plain wall time: {annolab['seconds'] / plain['seconds']:.2f}")


if __name__ == "__main__":
    main()
