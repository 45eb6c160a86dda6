"""Resource shapes of api.md "Training", "Models" and "Pre-annotation"."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from annolab import fields
from annolab.errors import ValidationFailed
from projects.labeling_config import binding_map, changed_tags
from projects.models import Prediction, Project
from projects.selectors import projects_visible_to
from training.deploy_policy import api_value, parse_deploy
from training.models import (
    Deployment,
    EvaluationJob,
    ModelType,
    ModelUpload,
    NlpModel,
    PreannotationJob,
    TrainingRun,
)
from training.selectors import models_deployed_in


@extend_schema_field(
    {
        "oneOf": [{"type": "boolean"}, {"type": "string", "enum": ["if_better"]}],
        "description": 'false, true or "if_better" (deploy only when the test-set F1 is at '
        "least the deployed model's).",
    }
)
class DeployField(serializers.Field):
    """api.md's ``deploy``: ``true``, ``false`` or ``"if_better"`` (``training.deploy_policy``)."""

    def to_internal_value(self, data: Any) -> str:
        try:
            return parse_deploy(data)
        except ValidationFailed as exc:
            raise serializers.ValidationError(exc.errors[0]["message"]) from None

    def to_representation(self, value: str) -> bool | str:
        return api_value(value)


class RunSerializer(serializers.ModelSerializer):
    models = serializers.SerializerMethodField()
    deploy = DeployField(read_only=True)

    class Meta:
        model = TrainingRun
        fields = [
            "id",
            "status",
            "trigger",
            "deploy",
            "params",
            "progress",
            "error",
            "created_at",
            "started_at",
            "finished_at",
            "models",
            "results",
            "model_types",
        ]

    def get_models(self, run: TrainingRun) -> list[str]:
        # A classification result names one model per <Choices> group, comma-separated.
        return [name for r in run.results if r.get("model") for name in r["model"].split(", ")]


class RunCreateSerializer(serializers.Serializer):
    deploy = DeployField(required=False, default=False)
    params = serializers.JSONField(required=False, default=None)


class PreannotationJobSerializer(serializers.ModelSerializer):
    progress = serializers.SerializerMethodField()

    class Meta:
        model = PreannotationJob
        fields = [
            "id",
            "status",
            "progress",
            "error",
            "task_ids",
            "models_used",
            "created_at",
            "started_at",
            "finished_at",
        ]

    def get_progress(self, job: PreannotationJob) -> dict[str, int]:
        return {"done": job.done, "total": job.total}


class EvaluateSerializer(serializers.Serializer):
    project = fields.CharField(
        required=False,
        max_length=100,
        help_text="Only for a shared model (no project of its own): where to evaluate it.",
    )


class EvaluationJobSerializer(serializers.ModelSerializer):
    progress = serializers.SerializerMethodField()
    model = fields.CharField(source="model.name", read_only=True)
    project = fields.CharField(source="project.name", read_only=True)

    class Meta:
        model = EvaluationJob
        fields = [
            "id",
            "status",
            "progress",
            "error",
            "model",
            "project",
            "created_at",
            "started_at",
            "finished_at",
        ]

    def get_progress(self, job: EvaluationJob) -> dict[str, int]:
        return {"done": job.done, "total": job.total}


class StatusSerializer(serializers.Serializer):
    busy = fields.BooleanField()
    training = RunSerializer(allow_null=True)
    preannotation = PreannotationJobSerializer(allow_null=True)
    last_training = RunSerializer(allow_null=True)


class ModelSerializer(serializers.ModelSerializer):
    project = fields.CharField(source="project.name", default=None, read_only=True, allow_null=True)
    training_run = fields.IntegerField(source="training_run_id", read_only=True, allow_null=True)
    deployed_in = serializers.SerializerMethodField()

    class Meta:
        model = NlpModel
        fields = [
            "name",
            "type",
            "project",
            "source",
            "labels",
            "trained_at",
            "trigger",
            "training_run",
            "embeddings",
            "params",
            "metrics",
            "test_metrics",
            "training_completions",
            "deployed_in",
            "choices_group",
            "multi_label",
        ]

    def get_deployed_in(self, model: NlpModel) -> list[str]:
        # Only the projects the reader is a member of: a shared model's other users stay private.
        request = self.context.get("request")
        projects = (
            projects_visible_to(request.user) if request is not None else Project.objects.all()
        )
        return models_deployed_in(model, projects)


class DeploySerializer(serializers.Serializer):
    models = serializers.ListField(child=fields.CharField(), allow_empty=False)


class BindingChangeSerializer(serializers.Serializer):
    tag = fields.CharField()
    before = fields.CharField(allow_null=True)
    after = fields.CharField(allow_null=True)


class DeploymentSerializer(serializers.ModelSerializer):
    """api.md's deployment: ``before``/``after`` are full ``{tag: model or null}`` maps; the
    extra ``changes`` lists only the tags whose model differs, in config order."""

    actor = fields.CharField(source="actor.username", default=None, read_only=True, allow_null=True)
    before = serializers.DictField(child=fields.CharField(allow_null=True), read_only=True)
    after = serializers.DictField(child=fields.CharField(allow_null=True), read_only=True)
    models = serializers.ListField(child=fields.CharField(), source="model_names", read_only=True)
    training_run = fields.IntegerField(source="training_run_id", read_only=True, allow_null=True)
    restored_from = fields.IntegerField(source="restored_from_id", read_only=True, allow_null=True)
    changes = serializers.SerializerMethodField()

    class Meta:
        model = Deployment
        fields = [
            "id",
            "created_at",
            "actor",
            "trigger",
            "before",
            "after",
            "changes",
            "models",
            "training_run",
            "restored_from",
        ]

    @extend_schema_field(BindingChangeSerializer(many=True))
    def get_changes(self, record: Deployment) -> list[dict[str, str | None]]:
        # jsonb keeps its own key order, so the config text gives the order people wrote.
        order = {tag: position for position, tag in enumerate(binding_map(record.new_config))}
        tags = changed_tags(record.before, record.after)
        return [
            {"tag": tag, "before": record.before.get(tag), "after": record.after.get(tag)}
            for tag in sorted(tags, key=lambda tag: order.get(tag, len(order)))
        ]


def run_data(run: TrainingRun | None) -> dict[str, Any] | None:
    return RunSerializer(run).data if run is not None else None


class PreannotationCreateSerializer(serializers.Serializer):
    task_ids = serializers.ListField(
        child=fields.IntegerField(min_value=1), required=False, allow_null=True, default=None
    )


class PredictionSerializer(serializers.ModelSerializer):
    task = fields.IntegerField(source="task_id", read_only=True)
    model = fields.CharField(source="model_name", read_only=True)
    result = serializers.JSONField(read_only=True)

    class Meta:
        model = Prediction
        fields = ["id", "task", "model", "created_at", "score", "result"]
        read_only_fields = fields


class ModelUploadCreateSerializer(serializers.Serializer):
    """``POST /api/models/`` (multipart): a zipped Spark NLP pipeline and what to register it as.

    Multipart sends text, so ``multi_label`` is DRF's form boolean (``true``/``false``).
    """

    file = serializers.FileField(
        help_text="A zip of a saved Spark NLP PipelineModel folder: at its root or inside one "
        "top-level folder (what GET /api/models/{model}/download produces)."
    )
    name = fields.CharField(max_length=200, help_text="The new model's name; not taken yet.")
    type = serializers.ChoiceField(choices=ModelType.values)
    labels = fields.CharField(
        max_length=10_000,
        help_text="The labels (NER), statuses (assertion) or classes it predicts, comma-separated.",
    )
    project = fields.CharField(
        required=False,
        allow_blank=True,
        max_length=100,
        help_text="A project you manage; left out, the model is shared (site admins only).",
    )
    choices_group = fields.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=100,
        help_text="Classification: the <Choices> name it predicts.",
    )
    multi_label = serializers.BooleanField(
        required=False, default=False, help_text="Classification: a multi-label classifier."
    )

    def validate_labels(self, value: str) -> list[str]:
        labels = list(dict.fromkeys(label.strip() for label in value.split(",") if label.strip()))
        if not labels:
            raise serializers.ValidationError("Name at least one label, comma-separated.")
        if any(len(label) > 100 for label in labels):
            raise serializers.ValidationError("A label is at most 100 characters.")
        return labels


class ModelUploadSerializer(serializers.ModelSerializer):
    """A model upload's job: the pre-annotation job's shape plus what it registers."""

    progress = serializers.SerializerMethodField()
    project = fields.CharField(source="project.name", default=None, read_only=True, allow_null=True)
    model = fields.CharField(source="model.name", default=None, read_only=True, allow_null=True)

    class Meta:
        model = ModelUpload
        fields = [
            "id",
            "status",
            "progress",
            "error",
            "name",
            "type",
            "project",
            "labels",
            "choices_group",
            "multi_label",
            "model",
            "created_at",
            "started_at",
            "finished_at",
        ]

    def get_progress(self, job: ModelUpload) -> dict[str, int]:
        return {"done": job.done, "total": job.total}
