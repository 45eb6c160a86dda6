"""The child process of a model upload (``POST /api/models/``): load the unpacked pipeline with
the predictor pre-annotation will use, predict one sentence, and only then register the model.

Loading through annolab's own predictors, not a bare ``PipelineModel.load``, is the point: a
model that loads but lacks the columns pre-annotation reads (``text`` in; ``ner``, or
``category``) would be registered and then fail every pre-annotation. On any failure the job
says why and nothing is kept (``lifecycle.upload_discard_if_failed`` removes the folder).
"""

from __future__ import annotations

import logging
from pathlib import Path

from django.conf import settings
from django.db import transaction

from annolab.errors import ValidationFailed
from training import services
from training.engine.assertion import AssertionPredictor
from training.engine.classification import ClassifierPredictor
from training.engine.errors import EngineError
from training.engine.predict import NerPredictor
from training.engine.session import start_spark
from training.jobs import lifecycle
from training.jobs.heartbeat import Heartbeat
from training.models import JobStatus, ModelType, ModelUpload
from training.pipeline.context import one_line

logger = logging.getLogger(__name__)

#: The sentence every uploaded model must predict on; CHUNK is its assertion model's question.
PROBE = "The patient reports chest pain and a mild fever since Monday."
CHUNK = (PROBE.index("chest pain"), PROBE.index("chest pain") + len("chest pain"))


def _unknown(labels: list[str], known: list[str] | tuple[str, ...], what: str) -> None:
    missing = [label for label in labels if label not in known]
    if known and missing:
        raise EngineError(
            f"The model does not predict {', '.join(missing)}: its {what} are {', '.join(known)}."
        )


def probe(spark: object, upload: ModelUpload) -> None:
    """Load the model as pre-annotation does and predict ``PROBE``; EngineError when the
    labels of the form are not the model's."""
    folder = Path(upload.pipeline_path)
    if upload.type == ModelType.NER:
        ner = NerPredictor(spark, folder)  # type: ignore[arg-type]
        ner.predict_with_certainty([PROBE])
        _unknown(upload.labels, ner.labels(), "labels")
    elif upload.type == ModelType.ASSERTION:
        assertion = AssertionPredictor(spark, folder)  # type: ignore[arg-type]
        [[(status, _)]] = assertion.predict([(PROBE, [CHUNK])])
        _unknown(upload.labels, assertion.labels, "statuses")
    else:
        classifier = ClassifierPredictor(spark, folder, multi_label=upload.multi_label)  # type: ignore[arg-type]
        classifier.predict([PROBE])
        _unknown(upload.labels, classifier.classes, "classes")


def run_model_check(upload_id: int) -> None:
    """``manage.py run_model_check <id>``: probe the uploaded model, then register it."""
    upload = ModelUpload.objects.select_related("project").get(pk=upload_id)
    if upload.status != JobStatus.RUNNING:
        logger.info("%s is %s; nothing to check", upload, upload.status)
        return
    with Heartbeat(upload):
        try:
            spark = start_spark(
                master=settings.SPARK_MASTER,
                driver_memory=settings.SPARK_DRIVER_MEMORY,
                jars_dir=settings.SPARK_JARS_DIR,
                app_name=f"annolab-model-upload-{upload.pk}",
                local_dir=settings.VAR_DIR / "spark-tmp",
            )
            probe(spark, upload)
        except Exception as exc:  # noqa: BLE001 - the job must end with a reason, whatever failed
            logger.exception("model upload %s failed", upload.pk)
            reason = f"The zip is not a {upload.type} model annolab can use: {one_line(exc)}"
            lifecycle.job_finish(job=upload, status=JobStatus.FAILED, error=reason)
            return
        try:
            with transaction.atomic():
                model = services.model_register(
                    name=upload.name,
                    model_type=upload.type,
                    path=upload.pipeline_path,
                    labels=upload.labels,
                    project=upload.project,
                    choices_group=upload.choices_group,
                    multi_label=upload.multi_label,
                )
                if not lifecycle.job_finish(
                    job=upload, status=JobStatus.SUCCEEDED, model=model, done=1
                ):
                    transaction.set_rollback(True)  # reaped meanwhile: it registers nothing
        except ValidationFailed as exc:
            lifecycle.job_finish(job=upload, status=JobStatus.FAILED, error=exc.detail)
