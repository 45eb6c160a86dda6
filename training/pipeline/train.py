"""The child process of a training run: data, embeddings, one model per type, logs, registry.

Runs under ``manage.py run_training <id>``, started by ``training.jobs.supervisor`` after it claimed
the run. One Spark session trains every model type of the run; a model that fails is reported in
``results`` and does not stop the others (run status ``partial``). The child writes the final
status itself; if it dies first, the supervisor (or the lease reaper) fails the run.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.utils import timezone

from annolab.errors import ValidationFailed
from projects.labeling_config import parse_labeling_config
from training import datasets, deploy_policy, services
from training.deployed import deployed_models, replaced_by
from training.engine.session import start_spark
from training.jobs import lifecycle
from training.jobs.directory import job_dir
from training.jobs.heartbeat import Heartbeat
from training.models import DeployPolicy, JobStatus, NlpModel, TrainingRun
from training.params import TrainingParams
from training.pipeline.context import RunContext, TrainedModel, Trainer, one_line
from training.pipeline.embeddings import project_embeddings
from training.pipeline.evaluate import score_on_test_set
from training.pipeline.trainers import assertion, classification, ner

logger = logging.getLogger(__name__)


#: Each model type's trainer (``params.MODEL_TYPES``).
TRAINERS: dict[str, Trainer] = {
    "ner": ner.train,
    "assertion": assertion.train,
    "classification": classification.train,
}


def run_training(run_id: int) -> None:
    run = TrainingRun.objects.select_related("project").get(pk=run_id)
    if run.status != JobStatus.RUNNING:
        logger.info("%s is %s; nothing to train", run, run.status)
        return
    with Heartbeat(run):
        _train(run)


def _set_result(run: TrainingRun, position: int, **changes: Any) -> None:
    run.results[position] = {**run.results[position], **changes}
    TrainingRun.objects.filter(pk=run.pk, status=JobStatus.RUNNING).update(results=run.results)


def _train(run: TrainingRun) -> None:
    project = run.project
    params = TrainingParams(**run.params)
    try:
        config = parse_labeling_config(project.labeling_config)
        documents, reasons = datasets.selected_documents(project=project, params=params)
        test_set = datasets.frozen_test_set(project=project, completions=params.completions)
        context = RunContext(
            run=run,
            project=project,
            config=config,
            params=params,
            documents=documents,
            reasons=reasons,
            run_dir=job_dir(run),
            test_set=test_set,
        )
        context.spark = start_spark(
            master=settings.SPARK_MASTER,
            driver_memory=settings.SPARK_DRIVER_MEMORY,
            jars_dir=settings.SPARK_JARS_DIR,
            app_name=f"annolab-{project.name}-run-{run.pk}",
            local_dir=settings.VAR_DIR / "spark-tmp",
        )
        context.embeddings = project_embeddings(context)
    except Exception as exc:  # noqa: BLE001 - the run must end with a reason, whatever failed
        logger.exception("training run %s could not start", run.pk)
        lifecycle.job_finish(job=run, status=JobStatus.FAILED, error=one_line(exc))
        return

    produced: list[NlpModel] = []
    for position, model_type in enumerate(run.model_types):
        _set_result(run, position, status=JobStatus.RUNNING)
        try:
            trained = TRAINERS[model_type](context)
            models = [_register(context, t) for t in trained]
        except Exception as exc:  # noqa: BLE001 - one model's failure must not hide the others
            logger.exception("training %s failed in run %s", model_type, run.pk)
            _set_result(run, position, status=JobStatus.FAILED, error=one_line(exc))
            continue
        for model in models:
            _score(context, model)
        produced.extend(models)
        _set_result(
            run,
            position,
            status=JobStatus.SUCCEEDED,
            model=", ".join(m.name for m in models),
            error="",
        )

    failed = [r for r in run.results if r["status"] == JobStatus.FAILED]
    if not produced:
        status = JobStatus.FAILED
    elif failed:
        status = JobStatus.PARTIAL
    else:
        status = JobStatus.SUCCEEDED
    error = "; ".join(f"{r['model_type']}: {r['error']}" for r in failed)
    if produced:
        error = "; ".join(filter(None, [error, _deploy(context, produced)]))
    lifecycle.job_finish(job=run, status=status, error=error, results=run.results)


def _score(context: RunContext, model: NlpModel) -> None:
    """Score a new model on the test set; a failure there leaves it unscored, not failed."""
    if context.test_set.is_empty:
        return
    try:
        model.test_metrics = score_on_test_set(
            context.spark, model, context.test_set, context.config
        )
    except Exception:  # noqa: BLE001 - the model trained; the log says why it has no score
        logger.exception("scoring %s on the test set failed", model.name)
        return
    model.save(update_fields=["test_metrics"])


def _rescored(context: RunContext, rival: NlpModel) -> NlpModel:
    """A deployed model's score on today's test set, measured now if it is from another set."""
    if deploy_policy.f1_on_test_set(rival, context.test_set.fingerprint) is None:
        _score(context, rival)
    return rival


def _deploy(context: RunContext, produced: list[NlpModel]) -> str:
    """Decide per model (``training.deploy_policy``), deploy the chosen ones, note why in each
    result; the error text to add to the run's, if the deployment itself failed."""
    run, project = context.run, context.project
    fingerprint = None if context.test_set.is_empty else context.test_set.fingerprint
    deployed = deployed_models(parse_labeling_config(project.labeling_config))
    decisions: dict[str, deploy_policy.Decision] = {}
    for model in produced:
        rivals = []
        if run.deploy == DeployPolicy.IF_BETTER and fingerprint is not None:
            rivals = [_rescored(context, rival) for rival in replaced_by(model, deployed)]
        decisions[model.name] = deploy_policy.decide(
            policy=run.deploy, model=model, rivals=rivals, fingerprint=fingerprint
        )
    chosen = [model for model in produced if decisions[model.name].deployed]
    problem = ""
    if chosen:
        try:
            services.deploy_models(project=project, models=chosen, actor=None, run=run)
        except ValidationFailed as exc:
            details = "; ".join(e["message"] for e in exc.errors)
            problem = f"trained but not deployed: {details}"
            decisions.update(
                {m.name: deploy_policy.Decision(False, f"not deployed: {details}") for m in chosen}
            )
    for position, result in enumerate(run.results):
        names = [n for n in (result.get("model") or "").split(", ") if n in decisions]
        if names:
            reasons = [decisions[n].reason for n in names]
            _set_result(
                run,
                position,
                deployed=all(decisions[n].deployed for n in names),
                deploy_reason=reasons[0]
                if len(names) == 1
                else "; ".join(f"{n}: {r}" for n, r in zip(names, reasons, strict=True)),
            )
    return problem


def _register(context: RunContext, trained: TrainedModel) -> NlpModel:
    (context.run_dir / f"{trained.name}.log").write_text(trained.log, encoding="utf-8")
    return NlpModel.objects.create(
        name=trained.name,
        type=trained.model_type,
        project=context.project,
        source="trained",
        labels=trained.labels,
        choices_group=trained.choices_group,
        multi_label=trained.multi_label,
        trained_at=timezone.now(),
        trigger=context.run.trigger,
        training_run=context.run,
        embeddings=context.params.embeddings,
        training_completions=len(context.documents),
        params=trained.params,
        metrics=trained.metrics,
        path=str(trained.path),
        log=trained.log,
    )
