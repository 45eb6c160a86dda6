"""Workflows of active learning: count submitted completions, start a training run exactly once
every ``frequency`` of them, start triggers that had to wait, and hand out the next task.

Exactly-once counting
---------------------
``completion_counted`` runs inside the transaction that submits the completion. It adds one to
the project's ``ActiveLearningSettings`` row in a single ``UPDATE ... SET n = n + 1 ... RETURNING``
(``_count_one``). PostgreSQL takes the row lock for the UPDATE and, when a concurrent submitter
holds it, waits for that commit and then recomputes the new values from the row version it
committed (READ COMMITTED's re-check of an updated row), so no count is lost or counted twice;
the lock is held from that one statement to the commit, and the count commits or rolls back
together with the completion. The same statement sets ``pending`` when the new count is a
multiple of ``frequency``: exactly one submit reaches each multiple, and several such submits
before a run starts leave one flag. (Before, the row was read ``SELECT ... FOR UPDATE`` and saved,
three round trips under the lock per submit, which serialised a project's submitters.) It does
not start the run itself: after commit it calls ``pending_trigger_start``, which
locks the project row and then the settings row (always in that order, never the reverse) and,
if the project is free, creates the run and clears the flag in one transaction. A submit never
waits for the project lock (an import or a "Train Now" can hold it), and a flag that a crashed
process left behind is picked up by the next count, the next finished job (``after_job``), or
the worker's ``annolab: start pending triggers`` schedule (every minute; GETs never start a run).

The counter means "completions submitted since the project's last training run started": the
row remembers the newest run it was reset for (``counted_since_run``); a newer run, manual ones
included, resets it at the next count (and the GET shows 0 at once). That newer run also absorbs
a pending trigger: it started after the threshold was reached, so it trains on those completions.
A threshold crossed while the project is busy leaves the counter running (it is still "since the
last run started") and the flag set; the pending run resets it when it starts. Drafts, edits,
imports and deletions send no signal and are not counted.

Reservations
------------
``task_reserve_next`` picks candidates in the strategy's order with ``SELECT ... FOR NO KEY UPDATE
SKIP LOCKED`` (two callers at the same moment never pick the same row) and reserves with
``INSERT ... ON CONFLICT (task_id) DO UPDATE ... WHERE`` the row is the caller's or expired. The
upsert judges the newest committed reservation, not the caller's snapshot, so a task reserved by a
transaction that committed after the candidate query began is seen as taken and skipped.

Which tasks come first (``task_reserve_next`` lists the tiers): the caller's rework before new
work, untouched tasks before overlap, skipped tasks last. A skip is a ``TaskSkip`` row per (task,
user): it only moves the task to the end of that user's queue and releases their reservation.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import connection, transaction
from django.db.models import Case, IntegerField, QuerySet, Value, When
from django.utils import timezone

from activelearning import selectors
from activelearning.models import ActiveLearningSettings, Strategy, TaskReservation, TaskSkip
from annolab.api import INT_COLUMN_MAX
from annolab.errors import ConflictError, ValidationFailed
from projects.models import Completion, Project, Task
from projects.permissions import Action, require
from projects.selectors import tasks_visible_to
from training import selectors as training_selectors
from training import services as training_services
from training.deploy_policy import parse_deploy, require_test_set
from training.jobs import lifecycle
from training.models import JobStatus, TrainingRun, Trigger
from training.params import parse_params

logger = logging.getLogger(__name__)

RESERVATION_TIME = timedelta(minutes=10)
UNSET: Any = object()
_COUNTER_FIELDS = ["completions_since_last_training", "pending", "counted_since_run"]

# --- settings ----------------------------------------------------------------------------------


def _locked_settings(project_id: int) -> ActiveLearningSettings:
    """The project's settings row, locked until the transaction ends; created on first use."""
    row = ActiveLearningSettings.objects.select_for_update().filter(project_id=project_id).first()
    if row is None:
        # INSERT ... ON CONFLICT DO NOTHING: concurrent first submits wait on the unique index
        # for the winner's commit instead of failing, then all queue for the one row's lock.
        ActiveLearningSettings.objects.bulk_create(
            [ActiveLearningSettings(project_id=project_id)], ignore_conflicts=True
        )
        row = ActiveLearningSettings.objects.select_for_update().get(project_id=project_id)
    return row


def _catch_up_with_runs(row: ActiveLearningSettings) -> None:
    """A run started since the last reset (e.g. "Train Now"): count from that run on."""
    latest = selectors.latest_run_id(row.project_id)
    if selectors.run_is_newer(latest, row.counted_since_run_id):
        row.counted_since_run_id = latest
        row.completions_since_last_training = 0
        row.pending = False


def _validation_errors(
    *, project: Project, enabled: Any, frequency: Any, deploy: Any, strategy: Any, params: Any
) -> list[dict[str, Any]]:
    errors: list[dict[str, Any]] = []
    if enabled is not UNSET and not isinstance(enabled, bool):
        errors.append({"field": "enabled", "message": "Must be true or false."})
    if deploy is not UNSET:
        try:
            require_test_set(parse_deploy(deploy), project)
        except ValidationFailed as exc:
            errors.extend(exc.errors)
    if frequency is not UNSET and (
        not isinstance(frequency, int)
        or isinstance(frequency, bool)
        or not 1 <= frequency <= INT_COLUMN_MAX
    ):
        errors.append(
            {"field": "frequency", "message": f"Must be a whole number from 1 to {INT_COLUMN_MAX}."}
        )
    if strategy is not UNSET and strategy not in Strategy.values:
        errors.append(
            {"field": "strategy", "message": f"Must be one of {', '.join(Strategy.values)}."}
        )
    if params is not UNSET and params is not None:
        try:
            parse_params(params)
        except ValidationFailed as exc:
            errors.extend(exc.errors)
    return errors


@transaction.atomic
def active_learning_update(
    *,
    project: Project,
    actor: AbstractBaseUser,
    enabled: Any = UNSET,
    frequency: Any = UNSET,
    deploy: Any = UNSET,
    strategy: Any = UNSET,
    params: Any = UNSET,
) -> ActiveLearningSettings:
    """Change the settings; a field left UNSET keeps its value, ``params=None`` = the default."""
    require(project=project, user=actor, action=Action.MANAGE)
    errors = _validation_errors(
        project=project,
        enabled=enabled,
        frequency=frequency,
        deploy=deploy,
        strategy=strategy,
        params=params,
    )
    if errors:
        first = errors[0]
        raise ValidationFailed(f"{first['field']}: {first['message']}", errors)
    row = _locked_settings(project.pk)
    _catch_up_with_runs(row)
    changes = {
        "enabled": enabled,
        "frequency": frequency,
        "deploy": parse_deploy(deploy) if deploy is not UNSET else UNSET,
        "strategy": strategy,
        "params": params,
    }
    for name, value in changes.items():
        if value is not UNSET:
            setattr(row, name, value)
    if not row.enabled:
        row.pending = False  # switching active learning off drops a trigger that was waiting
    row.save()
    return row


# --- counting and triggering -------------------------------------------------------------------


def _count_one(project_id: int) -> tuple[bool, bool] | None:
    """Add one submit to the project's counter in one statement: (enabled, pending) after it.

    None when the project has no settings row yet. The counter restarts at 1 when a run newer
    than the one it counts since exists (``selectors.run_is_newer``, written here in SQL).
    """
    settings_table = connection.ops.quote_name(ActiveLearningSettings._meta.db_table)
    runs_table = connection.ops.quote_name(TrainingRun._meta.db_table)
    # The newest run comes from the statement's snapshot. If this UPDATE waited for the commit
    # of a run start (pending_trigger_start resets the row to that run), the row it re-reads
    # names a run newer than the snapshot's newest: "newer than", not "different from", keeps
    # that reset instead of undoing it.
    newer = "COALESCE(runs.newest > COALESCE(counter.counted_since_run_id, 0), false)"
    count = f"CASE WHEN {newer} THEN 1 ELSE counter.completions_since_last_training + 1 END"
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            UPDATE {settings_table} AS counter
               SET completions_since_last_training = {count},
                   counted_since_run_id = CASE WHEN {newer} THEN runs.newest
                                               ELSE counter.counted_since_run_id END,
                   pending = (counter.pending AND NOT {newer})
                             OR (counter.enabled AND mod({count}, counter.frequency) = 0)
              FROM (SELECT max(id) AS newest FROM {runs_table} WHERE project_id = %s) AS runs
             WHERE counter.project_id = %s
         RETURNING counter.enabled, counter.pending
            """,
            [project_id, project_id],
        )
        return cursor.fetchone()


# No savepoint: this runs inside the submitting transaction (and fails with it), and every round
# trip made while holding the settings row lock lengthens the queue of concurrent submitters.
@transaction.atomic(savepoint=False)
def completion_counted(*, completion: Completion) -> None:
    """Count a newly submitted completion; runs inside the submitting transaction."""
    project_id = completion.task.project_id
    counted = _count_one(project_id)
    if counted is None:
        # INSERT ... ON CONFLICT DO NOTHING: concurrent first submits wait on the unique index
        # for the winner's commit instead of failing, then each counts on the committed row.
        ActiveLearningSettings.objects.bulk_create(
            [ActiveLearningSettings(project_id=project_id)], ignore_conflicts=True
        )
        counted = _count_one(project_id)
    enabled, pending = counted
    if enabled and pending:
        # After commit, so the run starts outside the annotator's transaction and lock; robust,
        # so a failure there cannot turn the committed submit into an error response.
        transaction.on_commit(partial(pending_trigger_start, project_id=project_id), robust=True)


def pending_trigger_start(*, project_id: int) -> TrainingRun | None:
    """Start the waiting active-learning run if the project is free; clears the flag with it."""
    # Lock-free look first: while a long run trains, every submit lands here and finds it busy.
    if not ActiveLearningSettings.objects.filter(project_id=project_id, pending=True).exists():
        return None
    project = Project.objects.filter(pk=project_id).first()
    if project is None or training_selectors.project_is_busy(project):
        return None
    with transaction.atomic():
        # Project row first, then settings, never the reverse: counting takes only the settings
        # row and training_run_start the project row, so waits can never form a cycle.
        Project.objects.select_for_update().filter(pk=project_id).first()
        row = (
            ActiveLearningSettings.objects.select_for_update().filter(project_id=project_id).first()
        )
        if row is None:
            return None
        _catch_up_with_runs(row)
        run = None
        if row.pending and not row.enabled:
            row.pending = False
        elif row.pending:
            run = _start_run(row, project)
        row.save(update_fields=_COUNTER_FIELDS)
    return run


def _start_run(row: ActiveLearningSettings, project: Project) -> TrainingRun | None:
    try:
        run = training_services.training_run_start(
            project=project,
            actor=None,
            deploy=selectors.effective_deploy(row, project),
            params=selectors.effective_params(row),
            trigger=Trigger.ACTIVE_LEARNING,
        )
    except ConflictError:
        return None  # busy after all: the flag stays, project_freed comes back for it
    except ValidationFailed as exc:
        # Nothing trainable (or stale params): an annotator's submit must not fail for it. The
        # next multiple of ``frequency`` tries again.
        logger.warning(
            "Active learning of project %s did not start a training run: %s",
            project.name,
            exc.detail,
        )
        row.pending = False
        return None
    row.pending = False
    row.completions_since_last_training = 0
    row.counted_since_run = run
    logger.info("Active learning started training run %s of project %s", run.pk, project.name)
    return run


def pending_trigger_check(*, project: Project) -> TrainingRun | None:
    """Start a trigger left pending (e.g. its project_freed was lost with a worker)."""
    # A worker that died mid-run leaves a running run with a stale heartbeat: fail it first.
    lifecycle.reap_lost_jobs(project)
    return pending_trigger_start(project_id=project.pk)


def pending_triggers_start() -> list[TrainingRun]:
    """Every project's pending trigger that can start now: the ``annolab: start pending
    triggers`` schedule (every minute on the worker, and when a worker starts)."""
    project_ids = ActiveLearningSettings.objects.filter(enabled=True, pending=True).values_list(
        "project_id", flat=True
    )
    started = []
    for project in Project.objects.filter(pk__in=list(project_ids)):
        run = pending_trigger_check(project=project)
        if run is not None:
            started.append(run)
    return started


def after_job(*, job: TrainingRun | Any) -> None:
    """What follows a finished job of a project: the one place that decides (``project_freed``).

    An active-learning run that deployed models pre-annotates the open tasks first, so the next
    annotators start from its predictions; otherwise, or when nothing is left to pre-annotate, a
    trigger that waited for the project starts now. Every active-learning run starts through
    ``pending_trigger_start``: after a job (here), after the submit that crossed the threshold
    (``completion_counted``), and from the worker's schedule (``pending_triggers_start``).
    """
    if isinstance(job, TrainingRun) and _preannotate_after(job):
        return  # the pre-annotation's own end comes back here and starts a waiting trigger
    pending_trigger_start(project_id=job.project_id)


def _preannotate_after(run: TrainingRun) -> bool:
    """Start the pre-annotation of an active-learning run that deployed; True if one started."""
    if run.trigger != Trigger.ACTIVE_LEARNING or not any(r.get("deployed") for r in run.results):
        return False
    if run.status not in (JobStatus.SUCCEEDED, JobStatus.PARTIAL):
        return False
    try:
        training_services.preannotation_start(project=run.project, actor=None)
    except (ConflictError, ValidationFailed) as exc:
        logger.warning(
            "Pre-annotation after training run %s of project %s did not start: %s",
            run.pk,
            run.project_id,
            exc,
        )
        return False
    return True


# --- next task ---------------------------------------------------------------------------------


def _lock_first(tasks: QuerySet[Task]) -> int | None:
    """The first task (in the query's order) that no concurrent transaction has locked."""
    ids = list(
        tasks.select_for_update(skip_locked=True, no_key=True, of=("self",)).values_list(
            "pk", flat=True
        )[:1]
    )
    return ids[0] if ids else None


def _reserve(*, task_id: int, user_id: int, now: datetime) -> bool:
    """Reserve the task for the user unless someone else holds an unexpired reservation."""
    table = connection.ops.quote_name(TaskReservation._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {table} (task_id, user_id, reserved_at, expires_at)
            VALUES (%s, %s, %s, %s)
            ON CONFLICT (task_id) DO UPDATE
               SET user_id = EXCLUDED.user_id,
                   reserved_at = EXCLUDED.reserved_at,
                   expires_at = EXCLUDED.expires_at
             WHERE {table}.user_id = EXCLUDED.user_id OR {table}.expires_at <= %s
            RETURNING id
            """,
            [task_id, user_id, now, now + RESERVATION_TIME, now],
        )
        return cursor.fetchone() is not None


def _reserve_first(*, tasks: QuerySet[Task], user_id: int, now: datetime) -> int | None:
    """Lock and reserve the first free task of ``tasks``; skip tasks lost to a concurrent caller."""
    lost: set[int] = set()
    while (task_id := _lock_first(tasks.exclude(pk__in=lost))) is not None:
        if _reserve(task_id=task_id, user_id=user_id, now=now):
            return task_id
        lost.add(task_id)  # reserved by a transaction that committed after our query began
    return None


def _in_order(tasks: QuerySet[Task], task_ids: list[int]) -> QuerySet[Task]:
    position = Case(
        *(When(pk=task_id, then=Value(i)) for i, task_id in enumerate(task_ids)),
        output_field=IntegerField(),
    )
    return tasks.filter(pk__in=task_ids).order_by(position)


def _reserve_least_certain(
    *, project: Project, candidates: QuerySet[Task], user_id: int, now: datetime
) -> int | None:
    ranked = selectors.tasks_least_certain_first(project=project, candidates=candidates)
    for start in range(0, len(ranked), 100):
        chunk = ranked[start : start + 100]
        task_id = _reserve_first(tasks=_in_order(candidates, chunk), user_id=user_id, now=now)
        if task_id is not None:
            return task_id
    # Tasks without predictions, in random order. Ranked tasks that were locked by another caller
    # a moment ago may come up again here; the lock and the upsert still keep them exclusive.
    return _reserve_first(tasks=candidates.order_by("?"), user_id=user_id, now=now)


def _reserve_by_strategy(
    *, project: Project, tasks: QuerySet[Task], strategy: str, user_id: int, now: datetime
) -> int | None:
    if strategy == Strategy.SEQUENTIAL:
        return _reserve_first(tasks=tasks.order_by("pk"), user_id=user_id, now=now)
    if strategy == Strategy.RANDOM:
        return _reserve_first(tasks=tasks.order_by("?"), user_id=user_id, now=now)
    return _reserve_least_certain(project=project, candidates=tasks, user_id=user_id, now=now)


def _skip(*, project: Project, actor: AbstractBaseUser, task_id: Any, now: datetime) -> None:
    """The caller passes on a task: release their reservation and put it last in their queue."""
    task = None
    if isinstance(task_id, int) and not isinstance(task_id, bool):
        task = tasks_visible_to(project=project, user=actor).filter(pk=task_id).first()
    if task is None:
        message = f"No task {task_id} in this project to skip."
        raise ValidationFailed(f"skip: {message}", [{"field": "skip", "message": message}])
    TaskSkip.objects.update_or_create(task=task, user=actor, defaults={"skipped_at": now})
    TaskReservation.objects.filter(task=task, user=actor).delete()


def task_reserve_next(
    *,
    project: Project,
    actor: AbstractBaseUser,
    strategy: str | None = None,
    skip: int | None = None,
) -> Task | None:
    """The caller's next task, reserved for them for 10 minutes; None when none is left.

    The order: a task the caller already holds (renewed, so asking twice does not hoard tasks);
    their rework (tasks whose completion a reviewer rejected, the oldest rejection first); then
    the tasks still wanted, those with fewer submitted completions first (so untouched tasks go
    before overlap, which only a project with ``completions_per_task`` > 1 has), each tier in
    the strategy's order; the tasks the caller skipped come last, the longest-skipped first.
    ``skip`` (a task id): pass on that task before choosing; its reservation is released.
    """
    require(project=project, user=actor, action=Action.ANNOTATE)
    if strategy is not None and strategy not in Strategy.values:
        message = f"Must be one of {', '.join(Strategy.values)}."
        raise ValidationFailed(f"strategy: {message}", [{"field": "strategy", "message": message}])
    strategy = strategy or selectors.project_strategy(project)
    now = timezone.now()
    user_id = actor.pk
    with transaction.atomic():
        if skip is not None:
            _skip(project=project, actor=actor, task_id=skip, now=now)
        rework = selectors.rework_tasks(project=project, user=actor, now=now)
        candidates = selectors.next_task_candidates(project=project, user=actor, now=now)
        held = {"reservation__user": actor, "reservation__expires_at__gt": now}
        not_skipped = {"skipped_at__isnull": True}
        task_id = _reserve_first(tasks=rework.filter(**held), user_id=user_id, now=now)
        if task_id is None:
            own = candidates.filter(**held).order_by("pk")
            task_id = _reserve_first(tasks=own, user_id=user_id, now=now)
        if task_id is None:
            task_id = _reserve_first(tasks=rework.filter(**not_skipped), user_id=user_id, now=now)
        for count in range(project.completions_per_task):
            if task_id is not None:
                break
            task_id = _reserve_by_strategy(
                project=project,
                tasks=candidates.filter(submitted_count=count, **not_skipped),
                strategy=strategy,
                user_id=user_id,
                now=now,
            )
        for skipped in (rework, candidates):
            if task_id is None:
                ordered = skipped.filter(skipped_at__isnull=False).order_by("skipped_at", "pk")
                task_id = _reserve_first(tasks=ordered, user_id=user_id, now=now)
    if task_id is None:
        return None
    return tasks_visible_to(project=project, user=actor).get(pk=task_id)


def task_reservation_release(*, completion: Completion) -> None:
    """A submitted task is done for its annotator: let others have it before the 10 minutes."""
    TaskReservation.objects.filter(
        task_id=completion.task_id, user_id=completion.created_by_id
    ).delete()
