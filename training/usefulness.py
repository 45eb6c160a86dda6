"""Does pre-annotation help? What annotators did with a model's predicted regions.

For one model, over the submitted completions that started from a prediction this model took part
in (``Completion.prediction``; a prediction's ``model_name`` is the deployed models' names joined
with ``+``, ``training.deployed.DeployedModels.model_name``), the predicted regions *of that model's
kind* are compared with the completion's regions of the same kind:

* NER: the ``labels`` regions whose labels are the model's labels;
* assertion: the status regions (labels among the model's statuses), compared with statuses only;
* classification: the choices of the model's ``<Choices>`` group (``choices_group``; when a
  registered model names none, any group, restricted to the model's classes), one outcome a task.

How regions are matched and what counts as kept, changed, deleted and added is
``projects.prediction_diff``'s rule, the same the review page marks with. A completion started
from a prediction without this model, a draft, or a completion whose prediction was deleted since
(the link is then gone) does not count.

Lead time compares the same completions with the project's submitted completions that started
from no prediction. A completion's lead time is its ``lead_time`` (the annotate page records the
seconds from opening the task to the save); where a client sent none, the time from its first
save (``created_at``, the draft) to ``submitted_at``. A completion created already submitted with
no ``lead_time`` was not timed at all and is left out rather than counted as 0 s.

Only projects the reader is a member of count (a shared model is used by many projects; their
data stays theirs). Plain ORM and Python, no Spark: the web process answers it.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import QuerySet

from projects.models import Completion, CompletionStatus, Project
from projects.prediction_diff import (
    Outcome,
    choices_of,
    compare_choices,
    match_spans,
    spans_of,
)
from projects.selectors import projects_visible_to
from training.models import ModelType, NlpModel


@dataclass
class Counts:
    predicted: int = 0
    kept: int = 0
    changed: int = 0
    deleted: int = 0
    added: int = 0

    def count(self, outcome: Outcome) -> None:
        setattr(self, outcome.value, getattr(self, outcome.value) + 1)
        if outcome is not Outcome.ADDED:
            self.predicted += 1

    @property
    def acceptance(self) -> float | None:
        """The share of predicted regions kept exactly; None when nothing was predicted."""
        return self.kept / self.predicted if self.predicted else None

    def as_dict(self) -> dict[str, Any]:
        return {
            "predicted": self.predicted,
            "kept": self.kept,
            "changed": self.changed,
            "deleted": self.deleted,
            "added": self.added,
            "acceptance": self.acceptance,
        }


def made_with(model_name: str, prediction_model_name: str) -> bool:
    """Whether a prediction called ``prediction_model_name`` was made with ``model_name``."""
    return model_name in prediction_model_name.split("+")


def lead_time_of(completion: Completion) -> float | None:
    """Seconds the annotator spent (the module's rule), or None when it was not measured."""
    if completion.lead_time is not None:
        return completion.lead_time
    if completion.submitted_at is None:
        return None
    seconds = (completion.submitted_at - completion.created_at).total_seconds()
    return seconds if seconds > 0 else None


def _median(values: Iterable[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return statistics.median(known) if known else None


def _outcomes(
    model: NlpModel, predicted: list[dict[str, Any]], completed: list[dict[str, Any]]
) -> Iterable[tuple[Outcome, frozenset[str]]]:
    """Each outcome of one completion, with the labels it is counted under: the predicted
    region's labels (kept, changed, deleted) or the completed region's (added)."""
    labels = set(model.labels or [])

    def keep(label: str) -> bool:
        return label in labels

    if model.type == ModelType.CLASSIFICATION:
        groups = _choice_groups(model, predicted)
        for group in groups:
            guessed = choices_of(predicted, group, keep)
            chosen = choices_of(completed, group, keep)
            outcome = compare_choices(guessed, chosen)
            if outcome is not None:
                yield outcome, chosen if outcome is Outcome.ADDED else guessed
        return
    for match in match_spans(spans_of(predicted, keep), spans_of(completed, keep)):
        span = match.predicted or match.completed
        assert span is not None  # a match always has one side
        yield match.outcome, span.labels


def _choice_groups(model: NlpModel, predicted: list[dict[str, Any]]) -> list[str]:
    if model.choices_group:
        return [model.choices_group]
    found = {
        region.get("from_name")
        for region in predicted
        if isinstance(region, dict) and region.get("type") == "choices"
    }
    return sorted(group for group in found if isinstance(group, str))


def _completions_using(model: NlpModel, projects: QuerySet[Project]) -> list[Completion]:
    candidates = (
        Completion.objects.filter(
            status=CompletionStatus.SUBMITTED,
            task__project__in=projects,
            # A LIKE narrows the rows in SQL; the exact test on the '+'-joined names follows.
            prediction__model_name__contains=model.name,
        )
        .select_related("prediction", "task")
        .order_by("id")
    )
    return [c for c in candidates if made_with(model.name, c.prediction.model_name)]  # type: ignore[union-attr]


def model_usefulness(*, model: NlpModel, user: AbstractBaseUser) -> dict[str, Any]:
    """api.md's ``GET /api/models/{name}/usefulness``: what annotators did with ``model``'s
    predicted regions, per label, and the median lead time with and without a prediction."""
    projects = projects_visible_to(user)
    if model.project_id is not None:
        projects = projects.filter(pk=model.project_id)
    completions = _completions_using(model, projects)

    total = Counts()
    per_label = {label: Counts() for label in model.labels or []}
    for completion in completions:
        assert completion.prediction is not None
        for outcome, labels in _outcomes(model, completion.prediction.result, completion.result):
            total.count(outcome)
            for label in sorted(labels):
                per_label.setdefault(label, Counts()).count(outcome)

    # The baseline: work from scratch in the same projects (a shared model: where it was used).
    used_in = (
        [model.project_id]
        if model.project_id is not None
        else sorted({c.task.project_id for c in completions})
    )
    from_scratch = Completion.objects.filter(
        status=CompletionStatus.SUBMITTED,
        task__project__in=projects.filter(pk__in=used_in),
        prediction__isnull=True,
    ).only("lead_time", "submitted_at", "created_at")
    return {
        "model": model.name,
        "tasks": len(completions),
        "predicted_regions": total.predicted,
        "kept": total.kept,
        "changed": total.changed,
        "deleted": total.deleted,
        "added": total.added,
        "acceptance": total.acceptance,
        "per_label": {label: counts.as_dict() for label, counts in per_label.items()},
        "lead_time": {
            "with_prediction": _median(lead_time_of(c) for c in completions),
            "without_prediction": _median(lead_time_of(c) for c in from_scratch.iterator()),
        },
    }
