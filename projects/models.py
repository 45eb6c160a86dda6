"""The annotation core: projects, their team, tasks, completions, reviews and predictions.

Rows hold data and constraints only. Every write that spans rows (submitting, reviewing,
importing) lives in ``projects.services``; reads that the pages and the API share live in
``projects.selectors``.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q

PROJECT_NAME_VALIDATOR = RegexValidator(
    r"^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$",
    "A project name starts with a letter or digit and holds only letters, digits, '_' and '-' "
    "(at most 100 characters).",
)

# The upper bound of ``Project.completions_per_task``: more annotators per task than a team has
# makes no sense.
MAX_COMPLETIONS_PER_TASK = 20


class SelectionRule(models.TextChoices):
    MOST_RECENT = "most_recent", "Most recent completion"
    TEAM_PRIORITY = "team_priority", "Completion of the highest-priority team member"


class Role(models.TextChoices):
    OWNER = "owner", "Owner"
    MANAGER = "manager", "Manager"
    REVIEWER = "reviewer", "Reviewer"
    ANNOTATOR = "annotator", "Annotator"


class Project(models.Model):
    name = models.CharField(max_length=100, unique=True, validators=[PROJECT_NAME_VALIDATOR])
    description = models.TextField(blank=True, default="")
    labeling_config = models.TextField(blank=True, default="")
    selection_rule = models.CharField(
        max_length=20, choices=SelectionRule.choices, default=SelectionRule.MOST_RECENT
    )
    # How many annotators label each task. next-task hands a task to one more annotator only
    # while it has fewer submitted completions than this, so 1 means no overlap at all.
    completions_per_task = models.PositiveSmallIntegerField(
        default=1, help_text="Submitted completions wanted per task (more than 1 = overlap)."
    )
    # Tasks carrying this tag are the frozen test set: never trained on, every model scored on
    # them (training.datasets.frozen_test_set). Blank: the project has no test set.
    test_tag = models.CharField(
        max_length=100,
        blank=True,
        default="test",
        help_text="Tasks with this tag are the test set: never trained on; blank for none.",
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="owned_projects"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="Membership", related_name="projects"
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(completions_per_task__gte=1), name="project_completions_per_task_gte_1"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    """A user's role in one project; ``priority`` 1 is the highest and orders the team."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=20, choices=Role.choices)
    priority = models.PositiveIntegerField(default=100)

    class Meta:
        ordering = ["project", "priority", "user__username"]
        constraints = [
            models.UniqueConstraint(fields=["project", "user"], name="membership_unique_user"),
            models.CheckConstraint(condition=Q(priority__gte=1), name="membership_priority_gte_1"),
        ]

    def __str__(self) -> str:
        return f"{self.user} as {self.role} of {self.project}"


class Tag(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="tags")
    name = models.CharField(max_length=100)

    class Meta:
        ordering = ["project", "name"]
        constraints = [models.UniqueConstraint(fields=["project", "name"], name="tag_unique_name")]

    def __str__(self) -> str:
        return self.name


class TaskStatus(models.TextChoices):
    INCOMPLETE = "incomplete", "Incomplete"
    SUBMITTED = "submitted", "Submitted"
    REVIEWED = "reviewed", "Reviewed"
    TO_CORRECT = "to_correct", "To correct"


class Task(models.Model):
    """A text to label. ``data['text']`` is the text; the status is derived (selectors)."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="tasks")
    data = models.JSONField()
    tags = models.ManyToManyField(Tag, blank=True, related_name="tasks")
    annotators = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="assigned_tasks"
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="review_tasks",
    )
    external_id = models.CharField(
        max_length=100, blank=True, default="", help_text="The id the task had where it came from."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["project", "id"], name="task_project_id")]

    def __str__(self) -> str:
        return f"task {self.pk} of {self.project_id}"

    @property
    def text(self) -> str:
        return str(self.data.get("text", ""))


class CompletionStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Submitted"


class Completion(models.Model):
    """One annotator's labels for a task: a draft until submitted, immutable afterwards."""

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="completions")
    result = models.JSONField(default=list)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="completions"
    )
    status = models.CharField(
        max_length=10, choices=CompletionStatus.choices, default=CompletionStatus.DRAFT
    )
    ground_truth = models.BooleanField(default=False)
    lead_time = models.FloatField(null=True, blank=True)
    # The prediction the annotator started from (the editor copies the newest one), kept to
    # tell corrected pre-annotations from work done from scratch; None for the latter.
    prediction = models.ForeignKey(
        "Prediction", null=True, blank=True, on_delete=models.SET_NULL, related_name="completions"
    )
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    external_id = models.CharField(max_length=100, blank=True, default="")
    # The review that counts (the latest one), kept here so selection needs no subquery per row.
    latest_review = models.OneToOneField(
        "Review", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["task", "status", "submitted_at"], name="completion_task_status"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(Q(status="draft", submitted_at__isnull=True))
                | (Q(status="submitted", submitted_at__isnull=False)),
                name="completion_submitted_at_iff_submitted",
            ),
            models.CheckConstraint(
                condition=Q(lead_time__isnull=True) | Q(lead_time__gte=0),
                name="completion_lead_time_gte_0",
            ),
        ]

    def __str__(self) -> str:
        return f"completion {self.pk} of task {self.task_id}"

    @property
    def is_submitted(self) -> bool:
        return self.status == CompletionStatus.SUBMITTED


class Review(models.Model):
    """A reviewer's verdict on a submitted completion. History is kept; the latest counts."""

    completion = models.ForeignKey(Completion, on_delete=models.CASCADE, related_name="reviews")
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="reviews"
    )
    approved = models.BooleanField()
    comment = models.TextField(blank=True, default="")
    reviewed_at = models.DateTimeField()

    class Meta:
        ordering = ["completion", "reviewed_at", "id"]

    def __str__(self) -> str:
        verdict = "accepted" if self.approved else "rejected"
        return f"{verdict} {self.completion} by {self.reviewer}"


class Prediction(models.Model):
    """A model's pre-annotation of a task; ``score`` is the mean confidence of its regions.

    ``certainty`` is how sure the models were of the whole task (``training.pipeline.predictor``
    says how pre-annotation measures it; an import may carry it): the ``uncertainty`` next-task
    strategy reads it. None where nothing measured it (predictions made elsewhere), in which case
    ``activelearning.selectors`` estimates it from the regions.
    """

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="predictions")
    model_name = models.CharField(max_length=255)
    score = models.FloatField(null=True, blank=True)
    certainty = models.FloatField(null=True, blank=True)
    result = models.JSONField(default=list)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["task", "-created_at"], name="prediction_task_newest")]
        constraints = [
            models.CheckConstraint(
                condition=Q(score__isnull=True) | Q(score__gte=0, score__lte=1),
                name="prediction_score_in_unit_interval",
            ),
            models.CheckConstraint(
                condition=Q(certainty__isnull=True) | Q(certainty__gte=0, certainty__lte=1),
                name="prediction_certainty_in_unit_interval",
            ),
        ]

    def __str__(self) -> str:
        return f"prediction of {self.model_name} for task {self.task_id}"
