"""The admin shows which Label Studio project feeds which annolab project, never the token."""

from __future__ import annotations

from django.contrib import admin

from labelstudio.models import AnnotationLink, Connection, TaskLink


@admin.register(Connection)
class ConnectionAdmin(admin.ModelAdmin):
    list_display = ("project", "ls_project", "hostname", "updated_at")
    exclude = ("access_token",)
    readonly_fields = ("project", "ls_project", "hostname", "label_config", "updated_at")


@admin.register(TaskLink)
class TaskLinkAdmin(admin.ModelAdmin):
    list_display = ("ls_task_id", "task", "project")
    list_filter = ("project",)
    raw_id_fields = ("task",)


@admin.register(AnnotationLink)
class AnnotationLinkAdmin(admin.ModelAdmin):
    list_display = ("ls_annotation_id", "completion", "project")
    list_filter = ("project",)
    raw_id_fields = ("completion",)
