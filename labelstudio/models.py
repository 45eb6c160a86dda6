"""Label Studio ML backend: what annolab remembers of the Label Studio projects it serves.

Label Studio's ids are its own: a Label Studio task is mirrored as an annolab task the first time
annolab sees it (``TaskLink``), and each Label Studio annotation becomes one submitted completion
(``AnnotationLink``), so a webhook delivered twice changes nothing.
"""

from __future__ import annotations

from django.db import models

from projects.models import Completion, Project, Task


class Connection(models.Model):
    """What Label Studio sent in its last ``setup`` for an annolab project.

    ``access_token`` is the Label Studio user's API token: annolab uses it to pull the project's
    annotations (``START_TRAINING``) and never shows it (the admin and the API leave it out).
    """

    project = models.OneToOneField(
        Project, on_delete=models.CASCADE, related_name="label_studio_connection"
    )
    ls_project = models.CharField(
        max_length=100, blank=True, default="", help_text="Label Studio's project id."
    )
    hostname = models.CharField(
        max_length=500, blank=True, default="", help_text="Label Studio's base URL, as it sent it."
    )
    access_token = models.CharField(max_length=500, blank=True, default="")
    label_config = models.TextField(blank=True, default="")
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Label Studio project {self.ls_project} at {self.hostname} → {self.project_id}"


class TaskLink(models.Model):
    """A Label Studio task and the annolab task that mirrors it."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="+")
    ls_task_id = models.BigIntegerField()
    task = models.OneToOneField(Task, on_delete=models.CASCADE, related_name="label_studio_link")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["project", "ls_task_id"], name="ls_task_link_unique"),
        ]

    def __str__(self) -> str:
        return f"Label Studio task {self.ls_task_id} → {self.task_id}"


class AnnotationLink(models.Model):
    """A Label Studio annotation and the submitted completion it became (the latest version)."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="+")
    ls_annotation_id = models.BigIntegerField()
    completion = models.OneToOneField(
        Completion, on_delete=models.CASCADE, related_name="label_studio_link"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["project", "ls_annotation_id"], name="ls_annotation_link_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"Label Studio annotation {self.ls_annotation_id} → {self.completion_id}"
