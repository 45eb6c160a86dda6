"""DRF serializers: the resource shapes of api.md. Validation of meaning lives in services."""

from __future__ import annotations

from rest_framework import serializers

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
    owner = serializers.CharField(source="owner.username", read_only=True)

    class Meta:
        model = Project
        fields = [
            "name",
            "description",
            "labeling_config",
            "selection_rule",
            "completions_per_task",
            "created_at",
            "owner",
        ]
        read_only_fields = ["created_at", "owner"]


class ProjectCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    labeling_config = serializers.CharField(
        required=False, allow_blank=True, default="", trim_whitespace=False
    )
    selection_rule = serializers.ChoiceField(
        choices=SelectionRule.choices, required=False, default=SelectionRule.MOST_RECENT
    )


class ProjectUpdateSerializer(serializers.Serializer):
    description = serializers.CharField(required=False, allow_blank=True)
    labeling_config = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False)
    selection_rule = serializers.ChoiceField(choices=SelectionRule.choices, required=False)
    completions_per_task = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=MAX_COMPLETIONS_PER_TASK,
        help_text="Submitted completions wanted per task; next-task overlaps only above 1.",
    )


class LabelingConfigSerializer(serializers.Serializer):
    labeling_config = serializers.CharField(allow_blank=True, trim_whitespace=False)


class ConfigErrorSerializer(serializers.Serializer):
    message = serializers.CharField()
    line = serializers.IntegerField(allow_null=True)


class ConfigValidationSerializer(serializers.Serializer):
    valid = serializers.BooleanField()
    errors = ConfigErrorSerializer(many=True)


class MemberSerializer(serializers.ModelSerializer):
    username = serializers.CharField(source="user.username")

    class Meta:
        model = Membership
        fields = ["username", "role", "priority"]


class MemberCreateSerializer(serializers.Serializer):
    username = serializers.CharField()
    role = serializers.CharField()
    priority = serializers.IntegerField(required=False, min_value=1)


class TaskSerializer(serializers.ModelSerializer):
    tags = serializers.SerializerMethodField()
    status = serializers.CharField(read_only=True)
    reviewer = serializers.CharField(source="reviewer.username", read_only=True, default=None)
    annotators = serializers.SerializerMethodField()

    class Meta:
        model = Task
        fields = ["id", "data", "tags", "status", "reviewer", "annotators", "created_at"]

    def get_tags(self, task: Task) -> list[str]:
        return sorted(tag.name for tag in task.tags.all())

    def get_annotators(self, task: Task) -> list[str]:
        return sorted(user.username for user in task.annotators.all())


class TaskUpdateSerializer(serializers.Serializer):
    tags = serializers.ListField(child=serializers.CharField(max_length=100), required=False)
    reviewer = serializers.CharField(required=False, allow_null=True, allow_blank=True)
    annotators = serializers.ListField(child=serializers.CharField(), required=False)


class ReviewSerializer(serializers.ModelSerializer):
    reviewer = serializers.CharField(source="reviewer.username")

    class Meta:
        model = Review
        fields = ["approved", "reviewer", "comment", "reviewed_at"]


class CompletionSerializer(serializers.ModelSerializer):
    created_by = serializers.CharField(source="created_by.username", read_only=True)
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
    submit = serializers.BooleanField(required=False, default=False)
    ground_truth = serializers.BooleanField(required=False, default=False)
    lead_time = serializers.FloatField(required=False, allow_null=True, min_value=0)
    prediction = serializers.IntegerField(
        required=False,
        allow_null=True,
        help_text="Id of the task's prediction the annotator started from (the editor's copy).",
    )


class CompletionUpdateSerializer(serializers.Serializer):
    result = serializers.ListField(child=serializers.DictField(), required=False)
    ground_truth = serializers.BooleanField(required=False)
    lead_time = serializers.FloatField(required=False, allow_null=True, min_value=0)


class ReviewCreateSerializer(serializers.Serializer):
    approved = serializers.BooleanField()
    comment = serializers.CharField(required=False, allow_blank=True, default="")


class ImportResultSerializer(serializers.Serializer):
    task_count = serializers.IntegerField()
    completion_count = serializers.IntegerField()
    prediction_count = serializers.IntegerField()
    failed_count = serializers.IntegerField()
    task_ids = serializers.ListField(child=serializers.IntegerField())


class SelectedTaskSerializer(serializers.Serializer):
    task_id = serializers.IntegerField()
    completion_id = serializers.IntegerField(allow_null=True)
    reason = serializers.CharField()


class TrainingDataSerializer(serializers.Serializer):
    tasks = SelectedTaskSerializer(many=True)
    counts = serializers.DictField(child=serializers.IntegerField())


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField()
    password = serializers.CharField(trim_whitespace=False)


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField()


class UserCreateSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(trim_whitespace=False)
    email = serializers.EmailField(required=False, allow_blank=True, default="")


class UserSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
