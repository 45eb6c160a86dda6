"""Storing: the checked tasks written in one transaction with a fixed number of bulk queries,
creating the people and tags the file names, and the ``ImportResult`` that says what was stored.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.models import OuterRef, Subquery

from projects.imports.task_checks import ImportedTask
from projects.models import Completion, CompletionStatus, Prediction, Project, Review, Tag, Task

#: Rows per INSERT/UPDATE statement: large enough that a 10,000-task import takes a handful of
#: queries, small enough that no single statement grows without bound.
BATCH_SIZE = 1000


@dataclass(frozen=True)
class ImportResult:
    task_count: int
    completion_count: int
    prediction_count: int
    failed_count: int = 0
    task_ids: list[int] = field(default_factory=list)  # in upload order


def store_tasks(
    project: Project, tasks: list[ImportedTask], emails: dict[str, str]
) -> ImportResult:
    completions = [(index, c) for index, task in enumerate(tasks) for c in task.completions]
    predictions = [(index, p) for index, task in enumerate(tasks) for p in task.predictions]
    usernames = {c.author for _, c in completions} | {
        c.review.reviewer for _, c in completions if c.review
    }
    with transaction.atomic():
        user_ids = _user_ids(usernames, emails)
        tag_ids = _tag_ids(project, {tag for task in tasks for tag in task.tags})

        task_rows = Task.objects.bulk_create(
            [Task(project=project, data=t.data, external_id=t.external_id) for t in tasks],
            batch_size=BATCH_SIZE,
        )
        task_tag = Task.tags.through
        task_tag.objects.bulk_create(
            [
                task_tag(task_id=row.pk, tag_id=tag_ids[name])
                for row, task in zip(task_rows, tasks, strict=True)
                for name in task.tags
            ],
            batch_size=BATCH_SIZE,
        )

        completion_rows = Completion.objects.bulk_create(
            [
                Completion(
                    task_id=task_rows[index].pk,
                    result=c.result,
                    created_by_id=user_ids[c.author],
                    status=CompletionStatus.SUBMITTED if c.submitted_at else CompletionStatus.DRAFT,
                    ground_truth=c.ground_truth,
                    lead_time=c.lead_time,
                    created_at=c.created_at,
                    submitted_at=c.submitted_at,
                    external_id=c.external_id,
                )
                for index, c in completions
            ],
            batch_size=BATCH_SIZE,
        )
        review_rows = Review.objects.bulk_create(
            [
                Review(
                    completion_id=row.pk,
                    reviewer_id=user_ids[c.review.reviewer],
                    approved=c.review.approved,
                    comment=c.review.comment,
                    reviewed_at=c.review.reviewed_at,
                )
                for row, (_, c) in zip(completion_rows, completions, strict=True)
                if c.review
            ],
            batch_size=BATCH_SIZE,
        )
        if review_rows:
            # One UPDATE for all of them; the same "latest review" rule as a review made here.
            latest = Review.objects.filter(completion_id=OuterRef("pk")).order_by(
                "-reviewed_at", "-id"
            )
            Completion.objects.filter(pk__in=[r.completion_id for r in review_rows]).update(
                latest_review=Subquery(latest.values("id")[:1])
            )

        prediction_rows = Prediction.objects.bulk_create(
            [
                Prediction(
                    task_id=task_rows[index].pk,
                    model_name=p.model_name,
                    score=p.score,
                    certainty=p.certainty,
                    result=p.result,
                )
                for index, p in predictions
            ],
            batch_size=BATCH_SIZE,
        )
        _keep_prediction_times(
            [
                (row, p.created_at)
                for row, (_, p) in zip(prediction_rows, predictions, strict=True)
                if p.created_at is not None
            ]
        )

    return ImportResult(
        task_count=len(task_rows),
        completion_count=len(completion_rows),
        prediction_count=len(prediction_rows),
        task_ids=[row.pk for row in task_rows],
    )


def _keep_prediction_times(dated: list[tuple[Prediction, datetime]]) -> None:
    """Give imported predictions the times of the file.

    ``Prediction.created_at`` is auto_now_add, which ``bulk_create`` always overwrites with
    now, so the times are written afterwards. ``bulk_update`` builds a CASE branch per row in
    Python, seconds for 10,000 predictions, so PostgreSQL gets one UPDATE joined to the two
    arrays instead; other databases (SQLite in development) take the portable way.
    """
    if not dated:
        return
    if connection.vendor != "postgresql":
        for row, created_at in dated:
            row.created_at = created_at
        Prediction.objects.bulk_update([row for row, _ in dated], ["created_at"], BATCH_SIZE)
        return
    quote = connection.ops.quote_name
    table = quote(Prediction._meta.db_table)
    pk = quote(Prediction._meta.pk.column)
    column = quote(Prediction._meta.get_field("created_at").column)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET {column} = given.created_at "
            f"FROM unnest(%s::bigint[], %s::timestamptz[]) AS given(id, created_at) "
            f"WHERE {table}.{pk} = given.id",
            [[row.pk for row, _ in dated], [created_at for _, created_at in dated]],
        )


def _user_ids(usernames: set[str], emails: dict[str, str]) -> dict[str, int]:
    """username -> id; people the file names who have no account get an inactive one.

    Inactive with an unusable password: they exist so that authorship is kept, not to log in.
    """
    if not usernames:
        return {}
    user_model = get_user_model()
    found = dict(user_model.objects.filter(username__in=usernames).values_list("username", "pk"))
    missing = sorted(usernames - found.keys())
    if missing:
        new_users = []
        for name in missing:
            user = user_model(username=name, email=emails.get(name, ""), is_active=False)
            user.set_unusable_password()
            new_users.append(user)
        # A concurrent import may create the same people; whoever is second reuses them.
        user_model.objects.bulk_create(new_users, batch_size=BATCH_SIZE, ignore_conflicts=True)
        found.update(user_model.objects.filter(username__in=missing).values_list("username", "pk"))
    return found


def _tag_ids(project: Project, names: set[str]) -> dict[str, int]:
    if not names:
        return {}
    Tag.objects.bulk_create(
        [Tag(project=project, name=name) for name in sorted(names)],
        batch_size=BATCH_SIZE,
        ignore_conflicts=True,  # existing tags (and concurrently created ones) are reused
    )
    return dict(Tag.objects.filter(project=project, name__in=names).values_list("name", "pk"))
