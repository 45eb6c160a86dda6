"""What the contract tests check the same way on every row: api.md's error shape, list envelope
and the fields each resource carries (api.md "Resources"; responses may carry more)."""

from __future__ import annotations

from typing import Any

PROJECT = {"name", "description", "labeling_config", "selection_rule", "created_at", "owner"}
MEMBER = {"username", "role", "priority"}
TASK = {"id", "data", "tags", "status", "reviewer", "annotators", "created_at"}
COMPLETION = {
    "id",
    "task",
    "result",
    "status",
    "ground_truth",
    "lead_time",
    "created_by",
    "created_at",
    "submitted_at",
    "review",
}
REVIEW = {"approved", "reviewer", "comment", "reviewed_at"}
RUN = {
    "id",
    "status",
    "trigger",
    "deploy",
    "params",
    "progress",
    "error",
    "created_at",
    "started_at",
    "finished_at",
    "models",
    "results",
}
MODEL = {
    "name",
    "type",
    "project",
    "source",
    "labels",
    "trained_at",
    "trigger",
    "training_run",
    "embeddings",
    "params",
    "metrics",
    "deployed_in",
}
JOB = {"id", "status", "progress", "error"}
PREDICTION = {"id", "task", "model", "created_at", "score", "result"}
ACTIVE_LEARNING = {
    "enabled",
    "frequency",
    "deploy",
    "strategy",
    "params",
    "completions_since_last_training",
    "pending",
}


def carries(item: dict[str, Any], fields: set[str]) -> None:
    missing = fields - set(item)
    assert not missing, f"missing {sorted(missing)} in {sorted(item)}"


def assert_error(response: Any, status: int, *, field: str | None = None) -> dict[str, Any]:
    """``status`` in api.md's error shape; a 400 lists its errors, one of them naming ``field``."""
    assert response.status_code == status, (response.status_code, response.content[:400])
    body = response.json()
    assert isinstance(body.get("detail"), str) and body["detail"], body
    if status == 400:
        errors = body.get("errors")
        assert isinstance(errors, list) and errors, body
        assert all(isinstance(e.get("message"), str) and e["message"] for e in errors), errors
        if field is not None:
            assert field in [e.get("field") for e in errors], errors
    return body


def assert_page(response: Any, *, count: int | None = None) -> list[dict[str, Any]]:
    """A paginated list: ``{count, next, previous, results}``; its results."""
    assert response.status_code == 200, (response.status_code, response.content[:400])
    body = response.json()
    assert isinstance(body, dict), body
    carries(body, {"count", "next", "previous", "results"})
    assert isinstance(body["results"], list) and body["count"] >= len(body["results"])
    if count is not None:
        assert body["count"] == count, body
    return body["results"]
