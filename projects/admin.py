"""The Django admin as an operations tool: find anything fast, change history never."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from projects.models import Completion, Membership, Prediction, Project, Review, Tag, Task


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin):
    list_display = ["name", "owner", "selection_rule", "created_at", "task_count"]
    list_filter = ["selection_rule", "created_at"]
    search_fields = ["name", "description", "owner__username"]
    readonly_fields = ["created_at"]
    autocomplete_fields = ["owner"]
    inlines = [MembershipInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Project]:
        from django.db.models import Count

        return super().get_queryset(request).annotate(_task_count=Count("tasks"))

    @admin.display(ordering="_task_count", description="tasks")
    def task_count(self, project: Project) -> int:
        return project._task_count  # type: ignore[attr-defined]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["project", "user", "role", "priority"]
    list_filter = ["role", "project"]
    search_fields = ["project__name", "user__username"]
    autocomplete_fields = ["project", "user"]


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ["name", "project"]
    list_filter = ["project"]
    search_fields = ["name", "project__name"]


class CompletionInline(admin.TabularInline):
    model = Completion
    extra = 0
    fields = ["id", "created_by", "status", "submitted_at", "ground_truth", "latest_review"]
    readonly_fields = fields
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Task)
class TaskAdmin(admin.ModelAdmin):
    list_display = ["id", "project", "short_text", "reviewer", "created_at"]
    list_filter = ["project", "tags"]
    search_fields = ["id", "external_id", "project__name"]
    autocomplete_fields = ["reviewer", "annotators"]
    filter_horizontal = ["tags"]
    readonly_fields = ["created_at"]
    inlines = [CompletionInline]
    list_select_related = ["project", "reviewer"]

    @admin.display(description="text")
    def short_text(self, task: Task) -> str:
        text = task.text
        return text if len(text) <= 80 else text[:77] + "…"


class ReviewInline(admin.TabularInline):
    model = Review
    extra = 0
    readonly_fields = ["reviewer", "approved", "comment", "reviewed_at"]
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Completion)
class CompletionAdmin(admin.ModelAdmin):
    """Submitted completions and reviews are history: the admin shows them, never edits them."""

    list_display = ["id", "task", "created_by", "status", "submitted_at", "ground_truth", "verdict"]
    list_filter = ["status", "ground_truth", "task__project"]
    search_fields = ["id", "task__id", "created_by__username", "task__project__name"]
    list_select_related = ["task__project", "created_by", "latest_review"]
    readonly_fields = [
        "task",
        "result",
        "created_by",
        "status",
        "ground_truth",
        "lead_time",
        "prediction",
        "created_at",
        "updated_at",
        "submitted_at",
        "external_id",
        "latest_review",
    ]
    inlines = [ReviewInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.display(description="review")
    def verdict(self, completion: Completion) -> str:
        if completion.latest_review is None:
            return "—"
        return "accepted" if completion.latest_review.approved else "rejected"


@admin.register(Review)
class ReviewAdmin(admin.ModelAdmin):
    list_display = ["completion", "reviewer", "approved", "reviewed_at"]
    list_filter = ["approved", "completion__task__project"]
    search_fields = ["reviewer__username", "comment", "completion__id"]
    readonly_fields = ["completion", "reviewer", "approved", "comment", "reviewed_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Prediction)
class PredictionAdmin(admin.ModelAdmin):
    list_display = ["id", "task", "model_name", "score", "certainty", "created_at"]
    list_filter = ["model_name", "task__project"]
    search_fields = ["model_name", "task__id"]
    readonly_fields = ["task", "model_name", "score", "certainty", "result", "created_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
