"""Pages that show training state: the project dashboard and the model list.

The dashboard lives here rather than in ``projects.views`` because it shows the last training
run, and dependencies point one way: ``training`` may read ``projects``, never the reverse.
Writes (deploying a model) go through the REST API from the browser, like every other page.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from projects import selectors as project_selectors
from projects.models import Completion, CompletionStatus, Review, TaskStatus
from projects.permissions import Action, can
from projects.views import parsed_config, project_nav, project_page
from training import selectors
from training.models import NlpModel


@login_required
def dashboard(request: HttpRequest, name: str) -> HttpResponse:
    project = project_page(request, name)
    tasks = project_selectors.tasks_visible_to(project=project, user=request.user)
    # order_by() clears the default ordering, which would otherwise join the GROUP BY.
    by_status = dict(tasks.order_by().values_list("status").annotate(n=Count("pk")))
    task_counts = [(label, by_status.get(value, 0)) for value, label in TaskStatus.choices]
    completions = Completion.objects.filter(task__in=tasks.values("pk"))
    completion_counts = completions.aggregate(
        submitted=Count("pk", filter=Q(status=CompletionStatus.SUBMITTED)),
        drafts=Count("pk", filter=Q(status=CompletionStatus.DRAFT)),
    )
    review_counts = Review.objects.filter(completion__in=completions.values("pk")).aggregate(
        accepted=Count("pk", filter=Q(approved=True)),
        rejected=Count("pk", filter=Q(approved=False)),
    )
    config = parsed_config(project)
    deployed: list[dict[str, Any]] = []
    if config is not None:
        bound = {**config.label_models, **config.choices_models}
        for model_name in config.model_names:
            predicts = [target for target, model in bound.items() if model == model_name]
            deployed.append({"name": model_name, "predicts": predicts})
    last_run = selectors.last_finished_training(project)
    last_models = (
        [(model, model.micro_f1) for model in NlpModel.objects.filter(training_run=last_run)]
        if last_run
        else []
    )
    context = {
        **project_nav(request, project),
        "active": "dashboard",
        "task_counts": task_counts,
        "task_total": sum(by_status.values()),
        "completion_counts": completion_counts,
        "review_counts": review_counts,
        "deployed": deployed,
        "config_invalid": config is None,
        "last_run": last_run,
        "last_models": last_models,
        "active_run": selectors.active_training(project),
    }
    return render(request, "training/dashboard.html", context)


@login_required
def model_list(request: HttpRequest) -> HttpResponse:
    """The "Spark NLP pipeline config": the table itself comes from GET /api/models/."""
    projects = list(project_selectors.projects_visible_to(request.user).order_by("name"))
    deployable = [
        p.name for p in projects if can(project=p, user=request.user, action=Action.MANAGE)
    ]
    wanted = request.GET.get("project", "")
    context = {
        "section": "models",
        "project_names": [p.name for p in projects],
        "deployable": deployable,
        "selected_project": wanted if wanted in {p.name for p in projects} else "",
        "page_data": {"deployable": deployable},
    }
    return render(request, "training/model_list.html", context)
