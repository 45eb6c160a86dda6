"""Active learning: per-project settings with the completion counter, and task reservations.

Rows and constraints only; counting, triggering and handing out tasks live in
``activelearning.services``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from projects.models import Project, Task
from training.models import DeployPolicy, TrainingRun

DEFAULT_FREQUENCY = 50


class Strategy(models.TextChoices):
    UNCERTAINTY = "uncertainty", "Least certain prediction first"
    RANDOM = "random", "Random"
    SEQUENTIAL = "sequential", "Lowest task id first"


class ActiveLearningSettings(models.Model):
    """One row per project, created the first time it is counted or configured.

    Every submit of the project adds one to its counter in a single ``UPDATE`` whose row lock
    lasts to the commit (``activelearning.services``), so no submit is counted twice or lost and
    exactly one submit sees the counter reach a multiple of ``frequency``.
    """

    project = models.OneToOneField(
        Project, on_delete=models.CASCADE, related_name="active_learning"
    )
    enabled = models.BooleanField(default=False)
    frequency = models.PositiveIntegerField(
        default=DEFAULT_FREQUENCY, help_text="Train after every this many submitted completions."
    )
    # Blank until a manager chooses: then "if_better" when the project has a test set, else
    # never (selectors.effective_deploy).
    deploy = models.CharField(
        max_length=12,
        choices=DeployPolicy.choices,
        blank=True,
        default="",
        help_text="What active-learning runs do with their models; empty = the default.",
    )
    strategy = models.CharField(
        max_length=20, choices=Strategy.choices, default=Strategy.UNCERTAINTY
    )
    params = models.JSONField(
        null=True,
        blank=True,
        help_text="Training params of its runs; empty = those of the latest manual run.",
    )
    completions_since_last_training = models.PositiveIntegerField(default=0)
    pending = models.BooleanField(
        default=False,
        help_text="A threshold was reached and its run has not started yet (e.g. project busy).",
    )
    # The newest training run the counter has been reset for. A newer run of the project (a
    # manual "Train Now" included) means the counter is stale and restarts from 0.
    counted_since_run = models.ForeignKey(
        TrainingRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = "active-learning settings"
        verbose_name_plural = "active-learning settings"
        constraints = [
            models.CheckConstraint(
                condition=Q(frequency__gte=1), name="activelearning_frequency_gte_1"
            ),
        ]

    def __str__(self) -> str:
        state = "on" if self.enabled else "off"
        return f"active learning of {self.project_id} ({state}, every {self.frequency})"


class TaskReservation(models.Model):
    """A task handed out by next-task: nobody else gets it until ``expires_at``.

    One row per task (unique), reused by whoever reserves the task next; an expired row is free.
    """

    task = models.OneToOneField(Task, on_delete=models.CASCADE, related_name="reservation")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="task_reservations"
    )
    reserved_at = models.DateTimeField()
    expires_at = models.DateTimeField()

    class Meta:
        ordering = ["expires_at"]

    def __str__(self) -> str:
        return f"task {self.task_id} reserved for {self.user_id} until {self.expires_at:%H:%M}"


class TaskSkip(models.Model):
    """A user passed on a task: their next-task offers it again only after their other tasks.

    One row per (task, user); skipping again moves ``skipped_at`` on. Nobody else is affected.
    """

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="skips")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="task_skips"
    )
    skipped_at = models.DateTimeField()

    class Meta:
        ordering = ["skipped_at"]
        constraints = [
            models.UniqueConstraint(fields=["task", "user"], name="taskskip_unique_user"),
        ]

    def __str__(self) -> str:
        return f"task {self.task_id} skipped by {self.user_id}"
