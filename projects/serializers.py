"""DRF serializers: the resource shapes of api.md. Validation of meaning lives in services."""

from __future__ import annotations

from rest_framework import serializers

from annolab import fields
from annolab.api import INT_COLUMN_MAX
from projects.models import (
    MAX_COMPLETIONS_PER_TASK,
    Completion,
    Membership,
    Project,
    Review,
    SelectionRule,
    Task,
)


class ProjectSerializer(serializers.ModelSerializer):
    owner = fields.CharField(source="owner.username", read_only=True)

    class Meta:
        model = Project
        fields = [
            "name",
            "description",
            "labeling_config",
            "selection_rule",
            "completions_per_task",
            "test_tag",
            "created_at",
            "owner",
        ]
        read_only_fields = ["created_at", "owner"]


class ProjectCreateSerializer(serializers.Serializer):
    name = fields.CharField(max_length=100)
    description = fields.CharField(required=False, allow_blank=True, default="")
    labeling_config = fields.CharField(
        required=False, allow_blank=True, default="", trim_whitespace=False
    )
    selection_rule = serializers.ChoiceField(
        choices=SelectionRule.choices, required=False, default=SelectionRule.MOST_RECENT
    )


class ProjectUpdateSerializer(serializers.Serializer):
    description = fields.CharField(required=False, allow_blank=True)
    labeling_config = fields.CharField(required=False, allow_blank=True, trim_whitespace=False)
    selection_rule = serializers.ChoiceField(choices=SelectionRule.choices, required=False)
    completions_per_task = fields.IntegerField(
        required=False,
        min_value=1,
        max_value=MAX_COMPLETIONS_PER_TASK,
        help_text="Submitted completions wanted per task; next-task overlaps only above 1.",
    )
    test_tag = fields.CharField(
        required=False,
        allow_blank=True,
        max_length=100,
        help_text="Tasks with this tag are the test set (never trained on); blank for none.",
    )


class LabelingConfigSerializer(serializers.Serializer):
    labeling_config = fields.CharField(allow_blank=True, trim_whitespace=False)


class ConfigErrorSerializer(serializers.Serializer):
    message = fields.CharField()
    line = fields.IntegerField(allow_null=True)


class ConfigValidationSerializer(serializers.Serializer):
    valid = fields.BooleanField()
    errors = ConfigErrorSerializer(many=True)


class MemberSerializer(serializers.ModelSerializer):
    username = fields.CharField(source="user.username")

    class Meta:
        model = Membership
        fields = ["username", "role", "priority"]


class MemberCreateSerializer(serializers.Serializer):
    username = fields.CharField()
    role = fields.CharField()
    priority = fields.IntegerField(required=False, min_value=1, max_value=INT_COLUMN_MAX)


class TaskSerializer(serializers.ModelSerializer):
    tags = serializers.SerializerMethodField()
    status = fields.CharField(read_only=True)
    reviewer = fields.CharField(
        source="reviewer.username", read_only=True, default=None, allow_null=True
    )
    annotators = serializers.SerializerMethodField()

    class Meta:
        model = Task
        fields = ["id", "data", "tags", "status", "reviewer", "annotators", "created_at"]

    def get_tags(self, task: Task) -> list[str]:
        return sorted(tag.name for tag in task.tags.all())

    def get_annotators(self, task: Task) -> list[str]:
        return sorted(user.username for user in task.annotators.all())


class TaskUpdateSerializer(serializers.Serializer):
    tags = serializers.ListField(child=fields.CharField(max_length=100), required=False)
    reviewer = fields.CharField(required=False, allow_null=True, allow_blank=True)
    annotators = serializers.ListField(child=fields.CharField(), required=False)


class ReviewSerializer(serializers.ModelSerializer):
    reviewer = fields.CharField(source="reviewer.username")

    class Meta:
        model = Review
        fields = ["approved", "reviewer", "comment", "reviewed_at"]


class CompletionSerializer(serializers.ModelSerializer):
    created_by = fields.CharField(source="created_by.username", read_only=True)
    review = ReviewSerializer(source="latest_review", read_only=True, allow_null=True)

    class Meta:
        model = Completion
        fields = [
            "id",
            "task",
            "result",
            "status",
            "ground_truth",
            "lead_time",
            "created_by",
            "created_at",
            "submitted_at",
            "review",
            "prediction",
        ]
        extra_kwargs = {
            "prediction": {"help_text": "Id of the prediction the annotator started from, or null."}
        }


class CompletionCreateSerializer(serializers.Serializer):
    result = serializers.ListField(child=serializers.DictField(), allow_empty=True)
    submit = fields.BooleanField(required=False, default=False)
    ground_truth = fields.BooleanField(required=False, default=False)
    lead_time = fields.FloatField(required=False, allow_null=True, min_value=0)
    prediction = fields.IntegerField(
        required=False,
        allow_null=True,
        help_text="Id of the task's prediction the annotator started from (the editor's copy).",
    )


class CompletionUpdateSerializer(serializers.Serializer):
    result = serializers.ListField(child=serializers.DictField(), required=False)
    ground_truth = fields.BooleanField(required=False)
    lead_time = fields.FloatField(required=False, allow_null=True, min_value=0)


class ReviewCreateSerializer(serializers.Serializer):
    approved = fields.BooleanField()
    comment = fields.CharField(required=False, allow_blank=True, default="")


class ImportResultSerializer(serializers.Serializer):
    task_count = fields.IntegerField()
    completion_count = fields.IntegerField()
    prediction_count = fields.IntegerField()
    failed_count = fields.IntegerField()
    task_ids = serializers.ListField(child=fields.IntegerField())


class SelectedTaskSerializer(serializers.Serializer):
    task_id = fields.IntegerField()
    completion_id = fields.IntegerField(allow_null=True)
    reason = fields.CharField()


class TrainingDataSerializer(serializers.Serializer):
    tasks = SelectedTaskSerializer(many=True)
    counts = serializers.DictField(child=fields.IntegerField())


class TokenRequestSerializer(serializers.Serializer):
    username = fields.CharField()
    password = fields.CharField(trim_whitespace=False)


class TokenSerializer(serializers.Serializer):
    token = fields.CharField()


class UserCreateSerializer(serializers.Serializer):
    username = fields.CharField(max_length=150)
    password = fields.CharField(trim_whitespace=False)
    email = fields.EmailField(required=False, default="", help_text="Leave out for none.")


class UserSerializer(serializers.Serializer):
    id = fields.IntegerField()
    username = fields.CharField()
