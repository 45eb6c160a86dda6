"""Active learning in the admin, for operators: see counters and reservations, unstick triggers.

Settings are changed through the API and pages (services.active_learning_update validates them);
here they are read-only, with actions that go through the same services.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from activelearning import services
from activelearning.models import ActiveLearningSettings, TaskReservation, TaskSkip
from annolab.errors import NotAllowed


@admin.register(ActiveLearningSettings)
class ActiveLearningSettingsAdmin(admin.ModelAdmin):
    list_display = [
        "project",
        "enabled",
        "frequency",
        "deploy",
        "strategy",
        "completions_since_last_training",
        "pending",
    ]
    list_filter = ["enabled", "pending", "strategy", "deploy"]
    search_fields = ["project__name"]
    list_select_related = ["project"]
    actions = ["start_pending_trigger", "switch_off"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # a row appears with the project's first count or settings change

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    @admin.action(description="Start the pending training run now (if the project is free)")
    def start_pending_trigger(
        self, request: HttpRequest, queryset: QuerySet[ActiveLearningSettings]
    ) -> None:
        for row in queryset.select_related("project"):
            run = services.pending_trigger_check(project=row.project)
            if run is not None:
                self.message_user(request, f"{row.project}: started training run {run.pk}.")
            else:
                self.message_user(
                    request, f"{row.project}: nothing pending, or still busy.", messages.WARNING
                )

    @admin.action(description="Switch active learning off (drops a pending trigger)")
    def switch_off(self, request: HttpRequest, queryset: QuerySet[ActiveLearningSettings]) -> None:
        for row in queryset.select_related("project"):
            try:
                services.active_learning_update(
                    project=row.project, actor=request.user, enabled=False
                )
            except NotAllowed as exc:
                self.message_user(request, f"{row.project}: {exc}", messages.ERROR)


@admin.register(TaskReservation)
class TaskReservationAdmin(admin.ModelAdmin):
    """Deleting a reservation hands its task out again at once."""

    list_display = ["task", "user", "reserved_at", "expires_at"]
    list_filter = ["task__project"]
    search_fields = ["user__username", "task__project__name"]
    list_select_related = ["task", "user"]
    readonly_fields = ["task", "user", "reserved_at", "expires_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(TaskSkip)
class TaskSkipAdmin(admin.ModelAdmin):
    """Deleting a skip puts the task back in its place in that user's queue."""

    list_display = ["task", "user", "skipped_at"]
    list_filter = ["task__project"]
    search_fields = ["user__username", "task__project__name"]
    list_select_related = ["task", "user"]
    readonly_fields = ["task", "user", "skipped_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
