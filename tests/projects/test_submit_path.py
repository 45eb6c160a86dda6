"""Submitting a completion over HTTP: a fixed, small number of queries, whatever the project holds,
and the same checks as ever (visibility, the result against the labeling config, the role).

The submit is annolab's hottest request (bench/submit_load.py, docs/benchmarks.md); its task is
fetched without the status subqueries a displayed task needs, so these tests pin that the rules
still apply on that path.
"""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.test.utils import CaptureQueriesContext

from projects import services
from projects.models import Completion, Project, Task
from tests.personas import span

TEXT = "Patient denies chest pain."

# Token, project, role, task, its annotators (read by the view's visibility check and again by the
# service's), the insert, the reservation release, the count, and the savepoint around the service
# and its release (BEGIN and COMMIT outside a test).
SUBMIT_QUERIES = 11


def submit_url(project: Project, task: Task) -> str:
    return f"/api/projects/{project.name}/tasks/{task.pk}/completions/"


def body(text: str = TEXT, label: str = "Symptom") -> dict[str, Any]:
    return {"result": [span(text, "chest pain", label)], "submit": True}


def submit_queries(client: Any, project: Project, task: Task) -> list[str]:
    with CaptureQueriesContext(connection) as queries:
        response = client.post(submit_url(project, task), body(), format="json")
    assert response.status_code == 201, response.json()
    return [query["sql"] for query in queries.captured_queries]


def test_a_submit_makes_the_same_few_queries_however_big_the_project(
    api: Any, alice: Any, anna: Any, project: Project, make_task: Any
) -> None:
    client = api(anna)
    first = make_task(TEXT)
    client.post(submit_url(project, first), body(), format="json")  # creates the counter row
    small = submit_queries(client, project, make_task(TEXT))

    # A bigger project: more tasks, tagged and assigned, with submitted and reviewed completions.
    for i in range(30):
        task = make_task(TEXT)
        services.task_update(task=task, actor=alice, tags=[f"batch{i % 3}"], annotators=["anna"])
        completion = services.completion_create(task=task, actor=anna, result=[], submit=True)
        services.completion_review(completion=completion, actor=alice, approved=i % 2 == 0)
    big = submit_queries(client, project, make_task(TEXT))

    assert len(small) == len(big) <= SUBMIT_QUERIES, "\n".join(big)
    # The counter is one UPDATE; nothing on the submit path locks a row with SELECT ... FOR UPDATE.
    assert not [sql for sql in big if "FOR UPDATE" in sql]


def test_a_task_assigned_to_other_annotators_is_404_and_nothing_is_stored(
    api: Any, alice: Any, anna: Any, mike: Any, project: Project, make_task: Any
) -> None:
    task = make_task(TEXT)
    services.task_update(task=task, actor=alice, annotators=["mike"])
    response = api(anna).post(submit_url(project, task), body(), format="json")
    assert response.status_code == 404
    assert api(mike).post(submit_url(project, task), body(), format="json").status_code == 201
    assert list(Completion.objects.filter(task=task).values_list("created_by", flat=True)) == [
        mike.pk
    ]


def test_the_result_is_still_checked_against_the_labeling_config(
    api: Any, anna: Any, project: Project, make_task: Any
) -> None:
    task = make_task(TEXT)
    response = api(anna).post(submit_url(project, task), body(label="Fracture"), format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "result"
    assert "Fracture" in response.json()["detail"]
    assert not Completion.objects.filter(task=task).exists()


def test_a_reviewer_cannot_submit_and_an_outsider_learns_nothing(
    api: Any, rita: Any, oscar: Any, project: Project, make_task: Any
) -> None:
    task = make_task(TEXT)
    assert api(rita).post(submit_url(project, task), body(), format="json").status_code == 403
    assert api(oscar).post(submit_url(project, task), body(), format="json").status_code == 404
    assert api(None).post(submit_url(project, task), body(), format="json").status_code == 401
    assert not Completion.objects.filter(task=task).exists()
