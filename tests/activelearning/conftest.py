"""Helpers shared by the active-learning tests: labelled submissions and what commit would run."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from activelearning import services
from projects import services as project_services
from projects.models import Completion, Project, Task
from tests.activelearning.helpers import NER_PARAMS, ner_result


@pytest.fixture
def run_commit_hooks(django_capture_on_commit_callbacks: Any) -> Callable[..., Any]:
    """Call ``action`` and then run the on-commit callbacks it registered, as a commit would.

    Callbacks those callbacks register in turn (training's enqueue of the run) stay with the
    test transaction and never run, so no worker and no Spark is involved.
    """

    def run(action: Callable[[], Any]) -> Any:
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            result = action()
        for callback in callbacks:
            callback()
        return result

    return run


@pytest.fixture
def submit(anna: Any, run_commit_hooks: Callable[..., Any]) -> Callable[..., Completion]:
    """Submit a labelled completion of ``task`` (a new one by default) as anna."""

    def do(task: Task, user: Any = None) -> Completion:
        return run_commit_hooks(
            lambda: project_services.completion_create(
                task=task, actor=user or anna, result=ner_result(), submit=True
            )
        )

    return do


@pytest.fixture
def enable(alice: Any) -> Callable[..., Any]:
    def do(project: Project, **settings: Any) -> Any:
        settings = {"enabled": True, "params": NER_PARAMS, **settings}
        return services.active_learning_update(project=project, actor=alice, **settings)

    return do
