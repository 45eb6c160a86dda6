"""Pre-annotation throughput: annolab's path against bare Spark NLP, same models, same texts.

Run: scripts/with_test_postgres.sh .venv/bin/python bench/preannotation.py [--tasks N]

Migrates the database DATABASE_URL names, then, in one Spark session: trains tiny NER, assertion
and classification models through the engine (NCBI disease abstracts, mentions from the corpus,
statuses and classes from simple cues: the models only have to exist and run), deploys them to a
project of N tasks (default 1,000, each two sentences of an abstract the models did not train on)
and times

* annolab: ``pipeline.preannotate.preannotate_tasks`` over the job's batches, exactly as the
  child process runs it (task rows read, every model predicted, regions built, predictions
  stored), with the models loaded beforehand as the child loads them once; in the job's own
  batches (``job_batches``: a small first one, then ``BATCH_SIZE``; a small job in steps) and,
  for comparison, in plain batches of ``BATCH_SIZE`` and of ``--compare-batch-sizes`` (200);
* bare: each saved pipeline's own ``transform`` over all N texts at once, collecting only the
  annotation column a caller needs. The assertion model's inputs (each NER chunk's sentence with
  the chunk marked) are built before timing, so the bare side does strictly less work.

A LightPipeline is not the baseline: it runs in the driver on one thread, and over 1,000 texts
it was many times slower than ``transform`` (the engine switches to a DataFrame above 50 texts
for that reason). Neither timing includes Spark's start-up or model loading. Both run
``--rounds`` times (default 2), alternating, after a warm-up round; the best round of each
counts. Prints tasks per second of both and the ratio.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "annolab.settings")
os.environ.setdefault("SECRET_KEY", "bench")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import transaction  # noqa: E402

from bench.shared_data import SHARED_DATA  # noqa: E402
from projects import services as project_services  # noqa: E402
from projects.labeling_config import parse_labeling_config  # noqa: E402
from projects.models import Prediction, Project, Task  # noqa: E402
from training import datasets  # noqa: E402
from training import services as training_services  # noqa: E402
from training.deployed import deployed_models  # noqa: E402
from training.models import ModelSource, NlpModel  # noqa: E402
from training.pipeline.preannotate import BATCH_SIZE, job_batches, preannotate_tasks  # noqa: E402
from training.pipeline.predictor import Preannotator  # noqa: E402
from training.pipeline.trainers.ner import ner_data  # noqa: E402

CORPUS = SHARED_DATA / "ncbi_disease" / "original" / "NCBItrainset_corpus.txt"
PROJECT = "bench-preannotation"
CONFIG = """<View>
  <Text name="text" value="$text"/>
  <Labels name="label" toName="text">
    <Label value="Disease"/>
    <Label value="Absent" assertion="true"/>
    <Label value="Present" assertion="true"/>
  </Labels>
  <Choices name="study" toName="text" choice="single">
    <Choice value="Genetic"/>
    <Choice value="Clinical"/>
  </Choices>
</View>
"""
TRAINING_ABSTRACTS = 80
SENTENCES_PER_TASK = 2
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z(])")
_NEGATION = re.compile(r"\b(no|not|without|absence|absent|lack|lacking|negative|free of)\b", re.I)
_GENETIC = re.compile(r"\b(gene|genes|mutation|mutations|allele|chromosom\w*|DNA|locus|exon)\b")

Span = tuple[int, int]


def read_corpus() -> list[tuple[str, list[Span]]]:
    """(title + " " + abstract, disease mention spans) per abstract, offsets as in the corpus."""
    documents: list[tuple[str, list[Span]]] = []
    title = abstract = ""
    spans: list[Span] = []
    for line in CORPUS.read_text(encoding="utf-8").splitlines() + [""]:
        if "|t|" in line:
            title = line.split("|t|", 1)[1]
        elif "|a|" in line:
            abstract = line.split("|a|", 1)[1]
        elif line.strip():
            fields = line.split("\t")
            spans.append((int(fields[1]), int(fields[2])))
        elif title:
            documents.append((f"{title} {abstract}", spans))
            title, abstract, spans = "", "", []
    return documents


def sentences_of(text: str) -> list[Span]:
    starts = [0] + [m.end() for m in _SENTENCE_END.finditer(text)]
    ends = [m.start() for m in _SENTENCE_END.finditer(text)] + [len(text)]
    return list(zip(starts, ends, strict=True))


def task_texts(documents: list[tuple[str, list[Span]]], count: int) -> list[str]:
    texts: list[str] = []
    while len(texts) < count:
        for text, _ in documents:
            bounds = sentences_of(text)
            for first in range(0, len(bounds) - SENTENCES_PER_TASK + 1, SENTENCES_PER_TASK):
                texts.append(text[bounds[first][0] : bounds[first + SENTENCES_PER_TASK - 1][1]])
                if len(texts) == count:
                    return texts
    return texts


def status_of(text: str, start: int) -> str:
    window = text[max(0, start - 40) : start]
    return "Absent" if _NEGATION.search(window) else "Present"


def class_of(text: str) -> str:
    return "Genetic" if _GENETIC.search(text) else "Clinical"


def train_models(spark: Any, documents: list[tuple[str, list[Span]]], texts: list[str]) -> dict:
    """Tiny NER, assertion and classification models, saved under MODELS_DIR."""
    from training.engine import assertion as assertion_engine
    from training.engine.classification import ClassifierParams, train_classifier
    from training.engine.embeddings import train_word2vec
    from training.engine.ner import NerParams, train_ner

    config = parse_labeling_config(CONFIG)
    training = documents[:TRAINING_ABSTRACTS]
    work = Path(settings.MODELS_DIR)
    embeddings = train_word2vec(spark, [text for text, _ in training] + texts)

    docs = [
        datasets.Document(
            task_id=number,
            completion_id=number,
            text=text,
            result=[
                {
                    "from_name": "label",
                    "to_name": "text",
                    "type": "labels",
                    "value": {"start": s, "end": e, "text": text[s:e], "labels": ["Disease"]},
                }
                for s, e in spans
            ],
        )
        for number, (text, spans) in enumerate(training)
    ]
    data = ner_data(docs, config)
    started = time.perf_counter()
    ner = train_ner(
        spark,
        sentences=data.sentences,
        embeddings=embeddings,
        params=NerParams(epochs=2, validation_split=0, learning_rate=0.01, batch_size=16),
        model_dir=work / "ner_bench_v1",
        log_dir=work / "logs" / "ner",
    )
    seconds = time.perf_counter() - started
    print(f"trained NER on {len(data.sentences)} sentences in {seconds:.0f} s", flush=True)

    examples = [
        assertion_engine.AssertionExample(text, s, e, status_of(text, s))
        for text, spans in training
        for s, e in spans
    ]
    started = time.perf_counter()
    assertion = assertion_engine.train_assertion(
        spark,
        examples=examples,
        embeddings=embeddings,
        params=assertion_engine.AssertionParams(
            epochs=2, learning_rate=0.01, batch_size=16, validation_split=0
        ),
        model_dir=work / "assertion_bench_v1",
        log_dir=work / "logs" / "assertion",
    )
    counts = {label: sum(e.status == label for e in examples) for label in assertion.labels}
    seconds = time.perf_counter() - started
    print(f"trained assertion on {counts} chunks in {seconds:.0f} s", flush=True)

    chunks = task_texts(training, len(training) * 3)
    started = time.perf_counter()
    classifier = train_classifier(
        spark,
        texts=chunks,
        labels=[class_of(text) for text in chunks],
        multi_label=False,
        embeddings=embeddings,
        params=ClassifierParams(epochs=2, validation_split=0),
        model_dir=work / "classification_bench_study_v1",
        log_dir=work / "logs" / "classification",
    )
    seconds = time.perf_counter() - started
    print(f"trained classification on {len(chunks)} texts in {seconds:.0f} s", flush=True)
    return {
        "ner": ner.model_dir,
        "assertion": assertion.model_dir,
        "classification": classifier.model_dir,
    }


def deploy(paths: dict[str, Path]) -> Project:
    owner, _ = get_user_model().objects.get_or_create(username="bench-owner")
    Project.objects.filter(name=PROJECT).delete()
    NlpModel.objects.filter(name__startswith="bench_").delete()
    project = project_services.project_create(owner=owner, name=PROJECT, labeling_config=CONFIG)
    rows = [
        NlpModel.objects.create(
            name="bench_ner_v1",
            type="ner",
            labels=["Disease"],
            path=str(paths["ner"]),
            source=ModelSource.TRAINED,
        ),
        NlpModel.objects.create(
            name="bench_assertion_v1",
            type="assertion",
            labels=["Absent", "Present"],
            path=str(paths["assertion"]),
            source=ModelSource.TRAINED,
        ),
        NlpModel.objects.create(
            name="bench_classification_study_v1",
            type="classification",
            labels=["Clinical", "Genetic"],
            choices_group="study",
            path=str(paths["classification"]),
            source=ModelSource.TRAINED,
        ),
    ]
    training_services.deploy_models(project=project, models=rows, actor=None)
    project.refresh_from_db()
    return project


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tasks", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument(
        "--compare-batch-sizes",
        type=lambda text: [int(n) for n in text.split(",") if n],
        default=[200],
        help="also time annolab's path with these batch sizes (comma-separated)",
    )
    args = parser.parse_args()

    call_command("migrate", interactive=False, verbosity=0)
    from training.engine.session import start_spark

    settings.MODELS_DIR = Path(tempfile.mkdtemp(prefix="annolab-bench-models-"))
    spark = start_spark(
        master=settings.SPARK_MASTER,
        driver_memory=settings.SPARK_DRIVER_MEMORY,
        jars_dir=settings.SPARK_JARS_DIR,
        app_name="annolab-bench-preannotation",
        local_dir=Path(tempfile.mkdtemp(prefix="annolab-bench-spark-")),
    )
    documents = read_corpus()
    texts = task_texts(documents[TRAINING_ABSTRACTS:], args.tasks)
    paths = train_models(spark, documents, texts)
    project = deploy(paths)
    with transaction.atomic():
        tasks = Task.objects.bulk_create(
            [Task(project=project, data={"text": text}) for text in texts], batch_size=1000
        )
    task_ids = [task.pk for task in tasks]

    deployed = deployed_models(parse_labeling_config(project.labeling_config))
    preannotator = Preannotator(spark, deployed)
    bare = BarePipelines(spark, paths, texts)

    def annolab(batch_size: int | None) -> Callable[[], None]:
        """The job's own batches (``job_batches``), or plain batches of ``batch_size``."""

        def run() -> None:
            if batch_size is None:
                batches = list(job_batches(task_ids))
            else:
                batches = [
                    task_ids[first : first + batch_size]
                    for first in range(0, len(task_ids), batch_size)
                ]
            preannotate_tasks(
                preannotator, project_id=project.pk, batches=batches, after_batch=lambda _: None
            )

        return run

    runs: dict[str, Callable[[], Any]] = {"bare": lambda: bare.transform(texts)}
    job_sizes = ", ".join(str(len(batch)) for batch in list(job_batches(task_ids))[:3])
    runs[f"annolab, the job's batches ({job_sizes}, ...)"] = annolab(None)
    for batch_size in dict.fromkeys([BATCH_SIZE, *args.compare_batch_sizes]):
        runs[f"annolab, batches of {batch_size}"] = annolab(batch_size)
    timings: dict[str, list[float]] = {name: [] for name in runs}
    # Round 0 warms up both sides (TensorFlow sessions, the JIT) and is dropped.
    for round_number in range(args.rounds + 1):
        for name, run in runs.items():
            started = time.perf_counter()
            run()
            seconds = time.perf_counter() - started
            if round_number:
                timings[name].append(seconds)
            label = f"round {round_number}" if round_number else "warm-up"
            print(f"{label}: {name} {seconds:.2f} s", flush=True)
            if name.startswith("annolab"):
                stored = Prediction.objects.filter(task__project=project).count()
                assert stored == len(task_ids), stored
                Prediction.objects.filter(task__project=project).delete()

    regions = sum(len(p.result) for p in preannotator.predict(texts[:200]))
    print(f"{len(texts)} tasks; {regions} regions in the first 200 (NER + assertion + choices)")
    rates = {name: len(texts) / min(seconds) for name, seconds in timings.items()}
    for name, seconds in timings.items():
        rounds = ", ".join(f"{s:.2f}" for s in seconds)
        ratio = f"  ratio to bare {rates[name] / rates['bare']:.2f}" if name != "bare" else ""
        print(f"{name:>26}: {rates[name]:6.1f} tasks/s (rounds: {rounds} s){ratio}")
    spark.stop()


class BarePipelines:
    """The saved pipelines used directly: what a script calling Spark NLP itself would do.

    The assertion model reads each chunk in its sentence with the chunk marked; those inputs are
    built from the NER chunks once, before timing, so the bare side does strictly less work.
    """

    def __init__(self, spark: Any, paths: dict[str, Path], texts: list[str]) -> None:
        from pyspark.ml import PipelineModel

        from training.engine import assertion as assertion_engine
        from training.engine.predict import NerPredictor

        self.spark = spark
        self.ner = PipelineModel.load(str(paths["ner"]))
        self.assertion = PipelineModel.load(str(paths["assertion"]))
        self.classification = PipelineModel.load(str(paths["classification"]))
        queries = []
        entities_of = NerPredictor(spark, paths["ner"]).predict(texts)
        for text, entities in zip(texts, entities_of, strict=True):
            for entity in entities:
                sentence, offset = assertion_engine.sentence_around(text, entity.start, entity.end)
                queries.append(
                    assertion_engine.marked(sentence, entity.start - offset, entity.end - offset)[0]
                )
        self.queries = queries

    def transform(self, texts: list[str]) -> None:
        frame = self.spark.createDataFrame([(t,) for t in texts], ["text"])
        self.ner.transform(frame).select("ner_chunk").collect()
        self.classification.transform(frame).select("category").collect()
        if self.queries:
            chunks = self.spark.createDataFrame([(q,) for q in self.queries], ["text"])
            self.assertion.transform(chunks).select("ner").collect()


if __name__ == "__main__":
    main()
