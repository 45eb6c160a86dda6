"""Every reason of api.md's training-data selection, in its order, on PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from projects import services
from projects.models import Project, Role, SelectionRule, Tag
from projects.selection import Reason, select_training_data
from tests.personas import make_user, span

TEXT = "Patient denies chest pain."


def submitted(task: Any, user: Any, label: str = "Symptom") -> Any:
    return services.completion_create(
        task=task, actor=user, result=[span(TEXT, "chest pain", label)], submit=True
    )


def reasons(project: Project, **kwargs: Any) -> dict[int, tuple[str, int | None]]:
    result = select_training_data(project=project, **kwargs)
    return {t.task_id: (t.reason, t.completion_id) for t in result.tasks}


@pytest.fixture
def second_annotator(project: Project) -> Any:
    user = make_user("bob")
    services.member_add(project=project, actor=project.owner, username="bob", role=Role.ANNOTATOR)
    return user


def test_every_reason(
    project: Project, make_task: Any, anna: Any, rita: Any, second_annotator: Any
) -> None:
    bob = second_annotator
    untagged = make_task(TEXT)
    empty = make_task(TEXT)
    services.completion_create(task=empty, actor=anna, result=[], submit=False)  # draft only

    accepted_task = make_task(TEXT)
    first_accepted = submitted(accepted_task, anna)
    second_accepted = submitted(accepted_task, bob)
    newest_unreviewed = submitted(accepted_task, anna)
    services.completion_review(completion=first_accepted, actor=rita, approved=True)
    services.completion_review(completion=second_accepted, actor=rita, approved=True)

    rejected_task = make_task(TEXT)
    for completion in (submitted(rejected_task, anna), submitted(rejected_task, bob)):
        services.completion_review(completion=completion, actor=rita, approved=False)

    awaiting = make_task(TEXT)
    submitted(awaiting, anna)
    services.task_update(task=awaiting, actor=project.owner, reviewer="rita")

    recent = make_task(TEXT)
    older = submitted(recent, bob)
    newer = submitted(recent, anna)
    rejected_newest = submitted(recent, bob)
    services.completion_review(completion=rejected_newest, actor=rita, approved=False)

    tag = Tag.objects.create(project=project, name="train")
    for task in (empty, accepted_task, rejected_task, awaiting, recent):
        task.tags.add(tag)

    got = reasons(project, tags=["train"])
    assert got[untagged.pk] == (Reason.FILTERED_BY_TAG, None)
    assert got[empty.pk] == (Reason.NO_SUBMITTED_COMPLETION, None)
    # the most recent *accepted* one, not the newest completion
    assert got[accepted_task.pk] == (Reason.ACCEPTED, second_accepted.pk)
    assert newest_unreviewed.pk != second_accepted.pk
    assert got[rejected_task.pk] == (Reason.ALL_REJECTED, None)
    assert got[awaiting.pk] == (Reason.AWAITING_REVIEW, None)
    assert got[recent.pk] == (Reason.MOST_RECENT, newer.pk)
    assert older.pk != newer.pk

    reviewed_only = reasons(project, tags=["train"], completions="reviewed")
    assert reviewed_only[recent.pk] == (Reason.NOT_REVIEWED, None)
    assert reviewed_only[awaiting.pk] == (Reason.NOT_REVIEWED, None)
    assert reviewed_only[accepted_task.pk] == (Reason.ACCEPTED, second_accepted.pk)

    no_tags = reasons(project)
    assert no_tags[untagged.pk] == (Reason.NO_SUBMITTED_COMPLETION, None)


def test_team_priority_picks_the_highest_priority_member(
    project: Project, make_task: Any, anna: Any, second_annotator: Any
) -> None:
    bob = second_annotator
    project.memberships.filter(user=bob).update(priority=1)
    project.memberships.filter(user=anna).update(priority=5)
    task = make_task(TEXT)
    by_bob = submitted(task, bob)
    submitted(task, anna)  # newer, but anna ranks lower

    assert reasons(project)[task.pk][0] == Reason.MOST_RECENT
    project.selection_rule = SelectionRule.TEAM_PRIORITY
    project.save()
    assert reasons(project)[task.pk] == (Reason.TEAM_PRIORITY, by_bob.pk)


def test_query_count_does_not_grow_with_tasks(project: Project, make_task: Any, anna: Any) -> None:
    def count_queries() -> int:
        with CaptureQueriesContext(connection) as queries:
            select_training_data(project=project, tags=["x"])
        return len(queries)

    for _ in range(3):
        submitted(make_task(TEXT), anna)
    few = count_queries()
    for _ in range(30):
        submitted(make_task(TEXT), anna)
    assert count_queries() == few <= 3


def test_training_data_endpoint(
    api: Any, project: Project, make_task: Any, anna: Any, mike: Any
) -> None:
    task = make_task(TEXT)
    completion = submitted(task, anna)
    response = api(mike).get(f"/api/projects/{project.name}/training-data?completions=submitted")
    assert response.status_code == 200
    assert response.json() == {
        "tasks": [{"task_id": task.pk, "completion_id": completion.pk, "reason": "most_recent"}],
        "counts": {"most_recent": 1},
    }
    assert api(anna).get(f"/api/projects/{project.name}/training-data").status_code == 403
    bad = api(mike).get(f"/api/projects/{project.name}/training-data?completions=all")
    assert bad.status_code == 400 and bad.json()["errors"][0]["field"] == "completions"
