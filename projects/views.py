"""Pages of the annotation core: project list, setup, tasks, annotate and review.

Views stay thin: they read through ``projects.selectors``, check roles with
``projects.permissions`` (the same table the API uses) and render. Every write happens in the
browser through the REST API (api.md) with the session cookie and CSRF token, so each workflow
lives in one service behind one endpoint. ``projects`` imports neither ``training`` nor
``activelearning``: pages that need them live in those apps (``training.views``) or ask the API
from JavaScript (the next task of ``/annotate/next/``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from annolab.errors import NotAllowed
from projects import selectors
from projects.api import project_for
from projects.labeling_config import LabelingConfig, LabelingConfigError, parse_labeling_config
from projects.models import (
    Completion,
    CompletionStatus,
    Prediction,
    Project,
    Role,
    Task,
    TaskStatus,
)
from projects.permissions import Action, can, is_site_admin, role_of
from projects.prediction_diff import Outcome, diff_results
from projects.selection import has_test_set

TASKS_PER_PAGE = 50
REVIEW_QUEUE_SIZE = 20
# The review page's text markers, so the diff reads without colour too.
OUTCOME_MARKERS = {
    Outcome.KEPT: "✓",
    Outcome.CHANGED: "~",
    Outcome.DELETED: "✗",
    Outcome.ADDED: "+",
}

# Where `make frontend` installs Label Studio (npm, outside the repository's tracked files).
LABEL_STUDIO_BUILD = (
    Path(settings.BASE_DIR) / "var/frontend/node_modules/@heartexlabs/label-studio/build/static"
)
LABEL_STUDIO_FILES = {
    "main.js": ("js/main.js", "text/javascript"),
    "main.css": ("css/main.css", "text/css"),
}


# --- shared by every project page ---------------------------------------------------------------


def project_page(request: HttpRequest, name: str, action: Action = Action.VIEW) -> Project:
    """The project if the caller may do ``action``: 404 for outsiders, 403 for a missing role.

    The rule is the API's own (``projects.api.project_for``); only the 403 changes shape, from
    the API's exception to Django's, so the page shows the 403 template.
    """
    try:
        return project_for(request, name, action)  # type: ignore[arg-type]
    except NotAllowed as exc:
        raise PermissionDenied(str(exc)) from exc


def project_nav(request: HttpRequest, project: Project) -> dict[str, Any]:
    """What the navigation bar shows for a project: the pages the caller's role opens."""
    user = request.user
    return {
        "project": project,
        "role": "site admin" if is_site_admin(user) else role_of(project=project, user=user),
        "can_manage": can(project=project, user=user, action=Action.MANAGE),
        "can_review": can(project=project, user=user, action=Action.REVIEW),
        "can_annotate": can(project=project, user=user, action=Action.ANNOTATE),
    }


def parsed_config(project: Project) -> LabelingConfig | None:
    """The project's config, or None while it is invalid (pages then show it as text only)."""
    try:
        return parse_labeling_config(project.labeling_config)
    except LabelingConfigError:
        return None


@dataclass(frozen=True)
class SegmentLabel:
    """One label over a segment, with what the annotator did with it (review's diff) if known."""

    label: str
    outcome: Outcome | None = None

    def __str__(self) -> str:
        return self.label

    @property
    def marker(self) -> str:
        return OUTCOME_MARKERS[self.outcome] if self.outcome else ""


@dataclass
class Segment:
    """A stretch of text and the labels of every region that covers all of it."""

    text: str
    labels: list[SegmentLabel] = field(default_factory=list)

    @property
    def outcomes(self) -> list[str]:
        """The distinct outcomes of its labels, for the mark's class and title."""
        return list(dict.fromkeys(str(mark.outcome) for mark in self.labels if mark.outcome))


@dataclass(frozen=True)
class ChoiceChip:
    text: str
    outcome: Outcome | None = None

    @property
    def marker(self) -> str:
        return OUTCOME_MARKERS[self.outcome] if self.outcome else ""


def highlight(
    text: str,
    result: list[dict[str, Any]],
    marks: dict[tuple[int, str], Outcome] | None = None,
    choice_marks: dict[str, Outcome] | None = None,
) -> tuple[list[Segment], list[ChoiceChip]]:
    """Split ``text`` at every region boundary; also return the choices of the result.

    Regions may overlap (an assertion status sits on the same span as its NER label), so each
    segment carries every label that covers it instead of nesting markup. ``marks`` (region
    index, label → outcome) and ``choice_marks`` (group → outcome) come from
    ``projects.prediction_diff.diff_results`` when the page compares a completion with a
    prediction.
    """
    marks = marks or {}
    choice_marks = choice_marks or {}
    spans: list[tuple[int, int, SegmentLabel]] = []
    choices: list[ChoiceChip] = []
    for index, region in enumerate(result or []):
        value = region.get("value") or {}
        if region.get("type") == "choices":
            group = region.get("from_name")
            choices += [
                ChoiceChip(f"{group}: {c}", choice_marks.get(str(group)))
                for c in value.get("choices") or []
            ]
            continue
        start, end = value.get("start"), value.get("end")
        if isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= len(text):
            spans += [
                (start, end, SegmentLabel(label, marks.get((index, label))))
                for label in value.get("labels") or []
            ]
    cuts = sorted({0, len(text), *(s for s, _, _ in spans), *(e for _, e, _ in spans)})
    segments = [
        Segment(text[a:b], [label for s, e, label in spans if s <= a and b <= e])
        for a, b in zip(cuts, cuts[1:], strict=False)
        if a < b
    ]
    return segments, choices


# --- project list -------------------------------------------------------------------------------


@login_required
def project_list(request: HttpRequest) -> HttpResponse:
    projects = (
        selectors.projects_visible_to(request.user)
        .annotate(task_count=Count("tasks", distinct=True))
        .order_by("name")
    )
    roles = dict(request.user.memberships.values_list("project_id", "role"))
    rows = [{"project": p, "role": roles.get(p.pk, "site admin")} for p in projects]
    return render(request, "projects/project_list.html", {"rows": rows, "section": "projects"})


# --- setup: labeling config, team, model training -----------------------------------------------


@login_required
def setup(request: HttpRequest, name: str) -> HttpResponse:
    project = project_page(request, name, Action.MANAGE)
    config = parsed_config(project)
    model_types = list(config.trainable_model_types) if config else []
    context = {
        **project_nav(request, project),
        "active": "setup",
        "model_types": model_types,
        "tags": list(project.tags.values_list("name", flat=True)),
        # The owner is the project's creator; the API refuses to add a second one.
        "roles": [Role.MANAGER, Role.REVIEWER, Role.ANNOTATOR],
        # Only site admins create accounts (POST /api/users/); the Team tab lets them create
        # one and add it to the team in one step.
        "can_create_users": is_site_admin(request.user),
        "setup_data": {
            "project": project.name,
            "model_types": model_types,
            # The deploy prompts offer "deploy if better" only when there is a set to compare on.
            "has_test_set": has_test_set(project),
            "test_tag": project.test_tag,
        },
    }
    return render(request, "projects/setup.html", context)


# --- tasks --------------------------------------------------------------------------------------


def _score(raw: str | None) -> float | None:
    try:
        value = float(raw) if raw not in (None, "") else None
    except ValueError:
        return None
    return value if value is not None and 0 <= value <= 1 else None


def with_latest_prediction(tasks: QuerySet[Task]) -> QuerySet[Task]:
    """Annotate the score, model and regions of each task's newest prediction (the confidence
    filter and the predicted labels of the tasks page)."""
    newest = Prediction.objects.filter(task_id=OuterRef("pk")).order_by("-created_at", "-id")
    return tasks.annotate(
        latest_score=Subquery(newest.values("score")[:1]),
        latest_model=Subquery(newest.values("model_name")[:1]),
        latest_result=Subquery(newest.values("result")[:1]),
        completion_count=Count(
            "completions", filter=Q(completions__status=CompletionStatus.SUBMITTED), distinct=True
        ),
    )


@login_required
def task_list(request: HttpRequest, name: str) -> HttpResponse:
    project = project_page(request, name)
    tag = request.GET.get("tag", "").strip()
    status = request.GET.get("status", "")
    status = status if status in TaskStatus.values else ""
    min_score = _score(request.GET.get("min_score"))
    max_score = _score(request.GET.get("max_score"))
    tasks = selectors.task_filter(
        selectors.tasks_visible_to(project=project, user=request.user),
        tags=[tag] if tag else None,
        status=status or None,
    )
    tasks = with_latest_prediction(tasks)
    if min_score is not None:
        tasks = tasks.filter(latest_score__gte=min_score)
    if max_score is not None:
        tasks = tasks.filter(latest_score__lte=max_score)
    page = Paginator(tasks.order_by("id"), TASKS_PER_PAGE).get_page(request.GET.get("page"))
    for task in page:
        task.predicted = predicted_labels(task.text, task.latest_result)
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        **project_nav(request, project),
        "active": "tasks",
        "page": page,
        "tags": list(project.tags.values_list("name", flat=True)),
        "statuses": TaskStatus.choices,
        "filters": {
            "tag": tag,
            "status": status,
            "min_score": "" if min_score is None else min_score,
            "max_score": "" if max_score is None else max_score,
        },
        "query": query.urlencode(),
        # Whom the selected tasks can be assigned to (annotators) or sent to (a reviewer).
        "members": list(project.memberships.select_related("user").order_by("priority")),
    }
    return render(request, "projects/task_list.html", context)


def predicted_labels(text: str, result: list[dict[str, Any]] | None) -> list[str]:
    """What a prediction says, one short line per region: "chest pain: Symptom", "age: Adult"."""
    lines: list[str] = []
    for region in result or []:
        value = region.get("value") or {}
        if region.get("type") == "choices":
            lines.append(f"{region.get('from_name')}: {', '.join(value.get('choices') or [])}")
            continue
        start, end = value.get("start"), value.get("end")
        if isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= len(text):
            lines.append(f"{text[start:end]}: {', '.join(value.get('labels') or [])}")
    return lines


# --- annotate -----------------------------------------------------------------------------------


def latest_predictions(task: Task) -> list[Prediction]:
    """The newest prediction of each model for the task, newest first."""
    seen: set[str] = set()
    newest: list[Prediction] = []
    for prediction in task.predictions.order_by("-created_at", "-id"):
        if prediction.model_name not in seen:
            seen.add(prediction.model_name)
            newest.append(prediction)
    return newest


def editor_prediction(prediction: Prediction) -> dict[str, Any]:
    """A prediction as Label Studio's editor reads it: each region's confidence as its ``score``,
    which the editor shows beside the region (and keeps on the annotator's copy)."""
    regions = []
    for region in prediction.result or []:
        confidence = (region.get("value") or {}).get("confidence")
        if isinstance(confidence, int | float) and not isinstance(confidence, bool):
            region = {**region, "score": confidence}
        regions.append(region)
    return {
        # A numeric id: the editor records it as the copy's parent prediction.
        "id": prediction.pk,
        "model_version": prediction.model_name,
        "score": prediction.score,
        "result": regions,
    }


@login_required
def annotate(request: HttpRequest, name: str, task_id: int) -> HttpResponse:
    project = project_page(request, name, Action.ANNOTATE)
    visible = selectors.tasks_visible_to(project=project, user=request.user)
    task = get_object_or_404(visible, pk=task_id)
    mine = Completion.objects.filter(task=task, created_by=request.user)
    draft = mine.filter(status=CompletionStatus.DRAFT).order_by("-updated_at", "-id").first()
    submitted = mine.filter(status=CompletionStatus.SUBMITTED).order_by("-submitted_at").first()
    rework = selectors.completion_to_rework(task=task, user=request.user)
    predictions = latest_predictions(task)
    user = request.user
    config = parsed_config(project)
    # A draft enters the editor as a not-yet-submitted annotation (Label Studio's `draft`), so
    # its Submit button submits rather than "updates"; rejected work enters the same way, as the
    # start of a new draft (its first save creates it), and its resubmission is a new completion.
    if draft:
        annotations = [{"id": f"draft-{draft.pk}", "userGenerate": True, "draft": draft.result}]
    elif rework:
        annotations = [{"id": f"rework-{rework.pk}", "userGenerate": True, "draft": rework.result}]
    else:
        annotations = []
    if draft:
        started_from = draft.prediction_id
    elif rework:
        started_from = rework.prediction_id
    else:
        # The editor copies the newest prediction into the annotator's own annotation.
        started_from = predictions[0].pk if predictions else None
    options = {
        "config": project.labeling_config,
        "task": {
            "id": task.pk,
            "data": task.data,
            "annotations": annotations,
            "predictions": [editor_prediction(p) for p in predictions],
        },
        "user": {"id": user.pk, "pk": user.pk, "firstName": user.get_username(), "lastName": ""},
        "draft_id": draft.pk if draft else None,
        "prediction_id": started_from,
    }
    context = {
        **project_nav(request, project),
        "active": "annotate",
        "task": task,
        "options": options,
        "submitted": submitted,
        "rework": rework,
        "config_valid": config is not None and not config.is_empty,
        # Without `make frontend` there is no editor to load; say so instead of a blank page.
        "editor_installed": (LABEL_STUDIO_BUILD / LABEL_STUDIO_FILES["main.js"][0]).is_file(),
    }
    return render(request, "projects/annotate.html", context)


@login_required
def annotate_next(request: HttpRequest, name: str) -> HttpResponse:
    """Asks GET /api/projects/<name>/next-task from the browser and goes there.

    Which task comes next (strategy, reservation) is ``activelearning``'s to decide, and
    ``projects`` does not import it; the API is the one place that answers.
    """
    project = project_page(request, name, Action.ANNOTATE)
    context = {**project_nav(request, project), "active": "annotate"}
    return render(request, "projects/annotate_next.html", context)


@require_GET
def label_studio_asset(request: HttpRequest, filename: str) -> FileResponse:
    """Serve Label Studio's bundle from the npm install of `make frontend`, never from the repo.

    Only these two files are served, whatever the URL asks for: the rest of node_modules stays
    private, and the pages work with DEBUG off and without collectstatic.
    """
    if filename not in LABEL_STUDIO_FILES:
        raise Http404("No such Label Studio file.")
    relative, content_type = LABEL_STUDIO_FILES[filename]
    path = LABEL_STUDIO_BUILD / relative
    if not path.is_file():
        raise Http404("Label Studio is not installed here; run `make frontend`.")
    response = FileResponse(path.open("rb"), content_type=content_type)
    response["Cache-Control"] = "public, max-age=86400"
    return response


# --- review -------------------------------------------------------------------------------------


@login_required
def review(request: HttpRequest, name: str) -> HttpResponse:
    """Submitted completions nobody has reviewed yet, oldest first, each beside its prediction.

    A completion rejected and then corrected is a new submitted completion without a review,
    so it comes back into the queue by itself. "Prediction vs ground truth": the prediction shown
    is the one the completion started from (``Completion.prediction``), the task's latest when it
    started from none, and every region on both sides is marked kept, changed, deleted or added
    by ``projects.prediction_diff`` (the rule a model's usefulness counts with).
    """
    project = project_page(request, name, Action.REVIEW)
    visible = selectors.tasks_visible_to(project=project, user=request.user)
    queue = (
        Completion.objects.filter(
            task__in=visible.values("pk"),
            status=CompletionStatus.SUBMITTED,
            latest_review__isnull=True,
        )
        .select_related("task", "created_by", "task__reviewer", "prediction")
        .order_by("submitted_at", "id")
    )
    total = queue.count()
    config = parsed_config(project)
    statuses = set(config.assertion_labels) if config is not None else set()
    items = []
    for completion in queue[:REVIEW_QUEUE_SIZE]:
        text = completion.task.text
        prediction = (
            completion.prediction
            or completion.task.predictions.order_by("-created_at", "-id").first()
        )
        diff = (
            diff_results(prediction.result, completion.result, is_status=statuses.__contains__)
            if prediction
            else None
        )
        items.append(
            {
                "completion": completion,
                "task": completion.task,
                "annotation": highlight(
                    text,
                    completion.result,
                    diff.completed if diff else None,
                    diff.choices if diff else None,
                ),
                "prediction": prediction,
                "started_from": prediction is not None
                and completion.prediction_id == prediction.pk,
                "predicted": highlight(text, prediction.result, diff.predicted, diff.choices)
                if prediction and diff
                else None,
            }
        )
    context = {
        **project_nav(request, project),
        "active": "review",
        "items": items,
        "total": total,
        "outcomes": [(o.value, OUTCOME_MARKERS[o]) for o in Outcome],
    }
    return render(request, "projects/review.html", context)
