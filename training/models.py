"""Training runs, pre-annotation jobs and the model registry ("Spark NLP pipeline config").

No Spark here: rows, statuses and the constraints that keep one job per project at a time.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from projects.models import Project


class JobStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    PARTIAL = "partial", "Partially succeeded"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


ACTIVE_STATUSES = (JobStatus.QUEUED, JobStatus.RUNNING)


class Trigger(models.TextChoices):
    MANUAL = "manual", "Manual"
    ACTIVE_LEARNING = "active_learning", "Active learning"


class DeployPolicy(models.TextChoices):
    """What a run does with its models: api.md's ``deploy``, ``false``|``true``|``"if_better"``."""

    NEVER = "never", "Do not deploy"
    ALWAYS = "always", "Deploy"
    IF_BETTER = "if_better", "Deploy if its test-set F1 is at least the deployed model's"


class ModelType(models.TextChoices):
    NER = "ner", "Named entity recognition"
    ASSERTION = "assertion", "Assertion status"
    CLASSIFICATION = "classification", "Classification"


class SupervisedJob(models.Model):
    """What training runs and pre-annotation jobs share: a status, a lease and a child process.

    The child process writes ``heartbeat_at`` every few seconds; a running job whose heartbeat is
    older than the lease lost its worker or child and is failed by the reaper (services).
    """

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=12, choices=JobStatus.choices, default=JobStatus.QUEUED)
    error = models.TextField(blank=True, default="")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    child_pid = models.IntegerField(null=True, blank=True)
    cancel_requested = models.BooleanField(default=False)

    class Meta:
        abstract = True

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES


class TrainingRun(SupervisedJob):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="training_runs")
    trigger = models.CharField(max_length=20, choices=Trigger.choices, default=Trigger.MANUAL)
    deploy = models.CharField(
        max_length=12, choices=DeployPolicy.choices, default=DeployPolicy.NEVER
    )
    params = models.JSONField(default=dict)
    model_types = models.JSONField(default=list, help_text="The model types this run trains.")
    progress = models.JSONField(null=True, blank=True)
    results = models.JSONField(default=list)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # The database, not only the service, guarantees one queued/running run per project.
            models.UniqueConstraint(
                fields=["project"],
                condition=Q(status__in=["queued", "running"]),
                name="trainingrun_one_active_per_project",
            )
        ]

    def __str__(self) -> str:
        return f"training run {self.pk} of {self.project_id} ({self.status})"


class PreannotationJob(SupervisedJob):
    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, related_name="preannotation_jobs"
    )
    task_ids = models.JSONField(default=list)
    models_used = models.JSONField(default=list)
    done = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["project"],
                condition=Q(status__in=["queued", "running"]),
                name="preannotationjob_one_active_per_project",
            )
        ]

    def __str__(self) -> str:
        return f"pre-annotation job {self.pk} of {self.project_id} ({self.status})"


class EvaluationJob(SupervisedJob):
    """``POST /api/models/{name}/evaluate``: re-score a model on today's test set, in the child.

    Busy rules as pre-annotation: one job of any kind per project at a time.
    """

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="evaluation_jobs")
    model = models.ForeignKey("NlpModel", on_delete=models.CASCADE, related_name="evaluations")
    done = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["project"],
                condition=Q(status__in=["queued", "running"]),
                name="evaluationjob_one_active_per_project",
            )
        ]

    def __str__(self) -> str:
        return f"evaluation {self.pk} of {self.model_id} ({self.status})"


#: Every kind of supervised job of a project: a child process with a lease, one active per
#: project (a model upload is supervised too, but busies no project: ``SUPERVISED_MODELS``).
JOB_MODELS: tuple[type[SupervisedJob], ...] = (TrainingRun, PreannotationJob, EvaluationJob)


class ModelUpload(SupervisedJob):
    """``POST /api/models/``: a zipped Spark NLP pipeline, unpacked (``training.zipsafe``) into
    ``staging_path`` by the web process, loaded and asked to predict one sentence by the child
    (``training.pipeline.model_check``), then registered as ``register_model`` does.

    On failure nothing is kept: the staging folder is removed and no model row is made. It
    busies no project (it reads no project data), so it is not in ``JOB_MODELS``; a name is
    reserved by the database while its upload is queued or running.
    """

    project = models.ForeignKey(
        Project, null=True, blank=True, on_delete=models.CASCADE, related_name="model_uploads"
    )
    name = models.CharField(max_length=255)
    type = models.CharField(max_length=20, choices=ModelType.choices)
    labels = models.JSONField(default=list)
    choices_group = models.CharField(max_length=100, blank=True, default="")
    multi_label = models.BooleanField(default=False)
    #: The folder the zip was unpacked into (under MODELS_DIR/uploads/).
    staging_path = models.CharField(max_length=1000)
    #: The pipeline folder inside it (the zip's root or its one top-level folder); the model's
    #: ``path`` once registered.
    pipeline_path = models.CharField(max_length=1000)
    #: The model the upload registered, once it succeeded.
    model = models.ForeignKey(
        "NlpModel", null=True, blank=True, on_delete=models.SET_NULL, related_name="uploads"
    )
    #: One step: loaded and predicted (0 or 1 of 1).
    done = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["name"],
                condition=Q(status__in=["queued", "running"]),
                name="modelupload_one_active_per_name",
            )
        ]

    def __str__(self) -> str:
        return f"model upload {self.pk} of {self.name} ({self.status})"


#: Every supervised job: what the reaper fails when its child stopped heartbeating.
SUPERVISED_MODELS: tuple[type[SupervisedJob], ...] = (*JOB_MODELS, ModelUpload)
Job = TrainingRun | PreannotationJob | EvaluationJob | ModelUpload


class ModelSource(models.TextChoices):
    TRAINED = "trained", "Trained in annolab"
    REGISTERED = "registered", "Registered from elsewhere"


class NlpModel(models.Model):
    """A Spark NLP model in the registry: trained here, or registered from a saved folder."""

    name = models.CharField(max_length=255, unique=True)
    type = models.CharField(max_length=20, choices=ModelType.choices)
    project = models.ForeignKey(
        Project, null=True, blank=True, on_delete=models.SET_NULL, related_name="models"
    )
    source = models.CharField(max_length=12, choices=ModelSource.choices)
    labels = models.JSONField(default=list)
    choices_group = models.CharField(
        max_length=100, blank=True, default="", help_text="Classification: the <Choices> name."
    )
    multi_label = models.BooleanField(default=False)
    trained_at = models.DateTimeField(null=True, blank=True)
    trigger = models.CharField(max_length=20, choices=Trigger.choices, blank=True, default="")
    training_run = models.ForeignKey(
        TrainingRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="models"
    )
    embeddings = models.JSONField(default=dict, blank=True)
    params = models.JSONField(default=dict, blank=True)
    metrics = models.JSONField(null=True, blank=True)
    #: Scores on the project's test set: ``metrics``' shape plus ``size`` and ``fingerprint``
    #: (training.datasets.FrozenTestSet), so two models are compared only on the same completions.
    test_metrics = models.JSONField(null=True, blank=True)
    #: How many completions trained it (the x axis of "is more data helping?").
    training_completions = models.PositiveIntegerField(null=True, blank=True)
    path = models.CharField(max_length=1000, help_text="The saved Spark PipelineModel folder.")
    log = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["project", "type"], name="nlpmodel_project_type")]

    def __str__(self) -> str:
        return self.name

    @property
    def micro_f1(self) -> float | None:
        """The micro-averaged F1 of ``metrics`` (api.md), None where there is none (registered
        models without an evaluation, a model trained without a validation split)."""
        value = ((self.metrics or {}).get("micro") or {}).get("f1")
        return value if isinstance(value, int | float) else None


class DeploymentTrigger(models.TextChoices):
    """What made a deployment: a person (page, API, admin), a training run's trigger, a restore."""

    MANUAL = "manual", "Manual"
    ACTIVE_LEARNING = "active_learning", "Active learning"
    RESTORE = "restore", "Restore"


class Deployment(models.Model):
    """One call of ``training.services.deploy_models`` or a restore: who, when, why, and the
    models bound before and after, so a team can see what changed and roll it back.

    ``before`` and ``after`` are the config's full binding maps, ``{tag: model name or null}``
    (``projects.labeling_config.bindings``), not only the tags that changed. A *tag* is a
    readable key per bindable place of the config: a ``<Label>``'s value for NER and assertion
    labels, a ``<Choices>`` name for classification; where the same natural key belongs to more
    than one place (the same label value in two ``<Labels>`` groups, or a label value that is
    also a ``<Choices>`` name) each such label is keyed ``"<Labels name>/<value>"``. A record is
    kept even when the config text did not change (the models were bound already).

    It replaced ``ConfigChange`` (migration 0005 carried its rows over): ``old_config`` and
    ``new_config`` are the text an operator can compare in the admin.
    """

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="deployments")
    created_at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    trigger = models.CharField(max_length=20, choices=DeploymentTrigger.choices)
    #: The models asked for (a restore: the models of the record's ``after``).
    model_names = models.JSONField(default=list)
    before = models.JSONField(default=dict)
    after = models.JSONField(default=dict)
    training_run = models.ForeignKey(
        TrainingRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="deployments"
    )
    restored_from = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="restores"
    )
    old_config = models.TextField(blank=True, default="")
    new_config = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["project", "-created_at"], name="deployment_project_time")]

    def __str__(self) -> str:
        return f"deployment {self.pk} of {self.project_id} ({self.trigger})"
