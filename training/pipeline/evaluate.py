"""Scores on the frozen test set: after each training, and ``POST /api/models/{name}/evaluate``.

A model is scored through the same predictors pre-annotation uses, loaded from its saved folder,
so the score is that of what annotators will see, for trained and registered models alike:

* NER: entity level (exact token span and label, as the validation split), gold and predicted
  spans both cut into the training tokenizer's tokens; only the model's own labels count;
* assertion: per status, over the test set's annotated chunks (the status of a gold NER span);
* classification: per class, over the test tasks that chose something in the model's group.

The result is ``metrics``' shape (``micro``, ``macro``, ``per_label``) plus ``size`` (test
completions) and ``fingerprint`` (``training.datasets.FrozenTestSet``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.conf import settings

from projects import exports
from projects.labeling_config import LabelingConfig, parse_labeling_config
from projects.tokenizer import tokenize
from training import datasets
from training.engine.assertion import AssertionPredictor
from training.engine.classification import ClassifierPredictor, label_metrics
from training.engine.metrics import EntityMetrics, entity_metrics
from training.engine.predict import NerPredictor
from training.engine.session import start_spark
from training.jobs import lifecycle
from training.jobs.heartbeat import Heartbeat
from training.models import EvaluationJob, JobStatus, ModelType, NlpModel
from training.pipeline.context import one_line
from training.pipeline.predictor import MULTI_LABEL_THRESHOLD
from training.pipeline.trainers.ner import metrics_json

logger = logging.getLogger(__name__)

#: Texts per Spark call, so a long test set reports progress as it goes.
BATCH = 200

Progress = Callable[[int], None]


def score_on_test_set(
    spark: Any,
    model: NlpModel,
    test_set: datasets.FrozenTestSet,
    config: LabelingConfig,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """The model's test-set scores (module docstring), ready for ``NlpModel.test_metrics``."""
    scorer = {
        ModelType.NER: _ner_metrics,
        ModelType.ASSERTION: _assertion_metrics,
        ModelType.CLASSIFICATION: _classification_metrics,
    }[ModelType(model.type)]
    metrics = scorer(spark, model, test_set.documents, config, progress or (lambda done: None))
    return {
        **metrics_json(metrics),
        "size": test_set.size,
        "fingerprint": test_set.fingerprint,
    }


def _batches(items: list[Any]) -> list[list[Any]]:
    return [items[i : i + BATCH] for i in range(0, len(items), BATCH)] or [[]]


def _within(spans: list[tuple[int, int, str]], sentence: Any) -> list[tuple[int, int, str]]:
    return [span for span in spans if span[0] < sentence.end and span[1] > sentence.start]


def _ner_metrics(
    spark: Any,
    model: NlpModel,
    documents: list[datasets.Document],
    config: LabelingConfig,
    progress: Progress,
) -> EntityMetrics:
    labels = set(model.labels or ())
    predictor = NerPredictor(spark, Path(model.path))
    gold_tags: list[list[str]] = []
    predicted_tags: list[list[str]] = []
    done = 0
    for batch in _batches(documents):
        texts = [document.text for document in batch]
        for document, entities in zip(batch, predictor.predict(texts), strict=True):
            gold = [s for s in datasets.ner_spans(document, config) if s[2] in labels]
            predicted = [(e.start, e.end, e.label) for e in entities if e.label in labels]
            for sentence in tokenize(document.text):
                gold_tags.append(exports.bio_tags(sentence.tokens, _within(gold, sentence))[0])
                predicted_tags.append(
                    exports.bio_tags(sentence.tokens, _within(predicted, sentence))[0]
                )
        done += len(batch)
        progress(done)
    return entity_metrics(gold_tags, predicted_tags)


def _assertion_metrics(
    spark: Any,
    model: NlpModel,
    documents: list[datasets.Document],
    config: LabelingConfig,
    progress: Progress,
) -> EntityMetrics:
    predictor = AssertionPredictor(spark, Path(model.path))
    gold: list[tuple[str, ...]] = []
    predicted: list[tuple[str, ...]] = []
    done = 0
    for batch in _batches(documents):
        items = []
        statuses = []
        for document in batch:
            spans = sorted(
                {(s, e, label) for s, e, label in datasets.assertion_spans(document, config)}
            )
            if spans:
                items.append((document.text, [(s, e) for s, e, _ in spans]))
                statuses.append([label for _, _, label in spans])
        if items:
            for wanted, got in zip(statuses, predictor.predict(items), strict=True):
                gold.extend((status,) for status in wanted)
                predicted.extend((status,) for status, _ in got)
        done += len(batch)
        progress(done)
    return label_metrics(gold, predicted)


def _classification_metrics(
    spark: Any,
    model: NlpModel,
    documents: list[datasets.Document],
    config: LabelingConfig,
    progress: Progress,
) -> EntityMetrics:
    group = model.choices_group or next((g.name for g in config.choices), "")
    classes = set(model.labels or ())
    predictor = ClassifierPredictor(spark, Path(model.path), multi_label=model.multi_label)
    gold: list[tuple[str, ...]] = []
    predicted: list[tuple[str, ...]] = []
    # Only texts that chose something in the group are scored; progress counts the whole set.
    labelled = [d for d in documents if datasets.choices_of(d, group)]
    for batch in _batches(labelled):
        texts = [document.text for document in batch]
        for document, scores in zip(batch, predictor.predict(texts) if texts else [], strict=True):
            gold.append(tuple(c for c in datasets.choices_of(document, group) if c in classes))
            if model.multi_label:
                chosen = tuple(c for c, p in scores.items() if p >= MULTI_LABEL_THRESHOLD)
            else:
                chosen = (max(scores, key=lambda c: scores[c]),) if scores else ()
            predicted.append(chosen)
    progress(len(documents))
    return label_metrics(gold, predicted)


# --- the evaluation job's child process --------------------------------------------------------


def run_evaluation(job_id: int) -> None:
    """``manage.py run_evaluation <id>``: re-score one model on today's test set."""
    job = EvaluationJob.objects.select_related("project", "model").get(pk=job_id)
    if job.status != JobStatus.RUNNING:
        logger.info("%s is %s; nothing to evaluate", job, job.status)
        return
    with Heartbeat(job):
        try:
            project = job.project
            test_set = datasets.frozen_test_set(project=project)
            if test_set.is_empty:
                raise ValueError(f"Project '{project.name}' has no test set any more.")
            EvaluationJob.objects.filter(pk=job.pk).update(total=test_set.size)
            spark = start_spark(
                master=settings.SPARK_MASTER,
                driver_memory=settings.SPARK_DRIVER_MEMORY,
                jars_dir=settings.SPARK_JARS_DIR,
                app_name=f"annolab-{project.name}-evaluation-{job.pk}",
                local_dir=settings.VAR_DIR / "spark-tmp",
            )
            scores = score_on_test_set(
                spark,
                job.model,
                test_set,
                parse_labeling_config(project.labeling_config),
                progress=lambda done: EvaluationJob.objects.filter(pk=job.pk).update(done=done),
            )
        except Exception as exc:  # noqa: BLE001 - the job must end with a reason, whatever failed
            logger.exception("evaluation %s failed", job.pk)
            lifecycle.job_finish(job=job, status=JobStatus.FAILED, error=one_line(exc))
            return
        NlpModel.objects.filter(pk=job.model_id).update(test_metrics=scores)
        lifecycle.job_finish(job=job, status=JobStatus.SUCCEEDED, done=test_set.size)
