"""The registry and training history in the admin: everything a manager needs, history read-only."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html

from annolab.errors import NotAllowed, ValidationFailed
from training import services
from training.models import Deployment, ModelUpload, NlpModel, PreannotationJob, TrainingRun


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(NlpModel)
class NlpModelAdmin(ReadOnlyAdmin):
    list_display = [
        "name",
        "type",
        "project",
        "source",
        "trigger",
        "trained_at",
        "micro_f1",
        "log_link",
    ]
    list_filter = ["type", "source", "trigger", "project"]
    search_fields = ["name", "project__name", "labels"]
    readonly_fields = [f.name for f in NlpModel._meta.fields if f.name != "log"] + ["log_link"]
    exclude = ["log"]
    actions = ["deploy_to_project"]
    list_select_related = ["project"]

    @admin.display(description="micro F1")
    def micro_f1(self, model: NlpModel) -> str:
        f1 = model.micro_f1
        return "—" if f1 is None else f"{f1:.3f}"

    @admin.display(description="log")
    def log_link(self, model: NlpModel) -> str:
        return format_html('<a href="{}">download</a>', reverse("model-logs", args=[model.name]))

    @admin.action(description="Deploy to its project (rewrites the labeling config)")
    def deploy_to_project(self, request: HttpRequest, queryset: QuerySet[NlpModel]) -> None:
        by_project: dict[int, list[NlpModel]] = {}
        for model in queryset.select_related("project"):
            if model.project is None:
                self.message_user(request, f"{model.name} belongs to no project.", messages.ERROR)
                continue
            by_project.setdefault(model.project_id, []).append(model)
        for models in by_project.values():
            project = models[0].project
            try:
                services.deploy_models(project=project, models=models, actor=request.user)
            except (ValidationFailed, NotAllowed) as exc:
                details = "; ".join(e["message"] for e in getattr(exc, "errors", [])) or str(exc)
                self.message_user(request, f"{project}: {details}", messages.ERROR)
            else:
                names = ", ".join(m.name for m in models)
                self.message_user(request, f"Deployed {names} to {project}.", messages.SUCCESS)


@admin.register(TrainingRun)
class TrainingRunAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
        "project",
        "status",
        "trigger",
        "deploy",
        "created_at",
        "finished_at",
        "logs",
    ]
    list_filter = ["status", "trigger", "project"]
    search_fields = ["project__name", "error"]
    readonly_fields = [f.name for f in TrainingRun._meta.fields] + ["logs"]
    list_select_related = ["project"]

    @admin.display(description="logs")
    def logs(self, run: TrainingRun) -> str:
        url = reverse("training-logs", args=[run.project.name, run.pk])
        return format_html('<a href="{}">zip</a>', url)


@admin.register(PreannotationJob)
class PreannotationJobAdmin(ReadOnlyAdmin):
    list_display = ["id", "project", "status", "done", "total", "created_at", "finished_at"]
    list_filter = ["status", "project"]
    readonly_fields = [f.name for f in PreannotationJob._meta.fields]


@admin.register(Deployment)
class DeploymentAdmin(ReadOnlyAdmin):
    """Every deployment with the config text before and after (restore it from the page)."""

    list_display = ["id", "project", "trigger", "model_names", "actor", "created_at"]
    list_filter = ["trigger", "project"]
    readonly_fields = [f.name for f in Deployment._meta.fields]
    list_select_related = ["project", "actor"]


@admin.register(ModelUpload)
class ModelUploadAdmin(ReadOnlyAdmin):
    """POST /api/models/: each upload, who sent it, and why a failed one was refused."""

    list_display = ["id", "name", "type", "project", "status", "created_by", "created_at", "error"]
    list_filter = ["status", "type"]
    readonly_fields = [f.name for f in ModelUpload._meta.fields]
    list_select_related = ["project", "created_by"]
