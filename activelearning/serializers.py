"""Shapes of the active-learning endpoints, for the OpenAPI document and the responses.

Input is validated by ``services.active_learning_update`` (so pages and the API share one set of
rules and field names); these serializers describe it.
"""

from __future__ import annotations

from rest_framework import serializers

from activelearning.models import DEFAULT_FREQUENCY, Strategy


class ActiveLearningUpdateSerializer(serializers.Serializer):
    enabled = serializers.BooleanField(required=False)
    frequency = serializers.IntegerField(
        min_value=1, required=False, help_text=f"Default {DEFAULT_FREQUENCY}."
    )
    deploy = serializers.BooleanField(required=False)
    strategy = serializers.ChoiceField(choices=Strategy.choices, required=False)
    params = serializers.JSONField(
        required=False,
        allow_null=True,
        help_text="Params of its training runs; null = those of the last manual run.",
    )


class ActiveLearningSerializer(ActiveLearningUpdateSerializer):
    completions_since_last_training = serializers.IntegerField(read_only=True)
    pending = serializers.BooleanField(read_only=True)
    effective_params = serializers.JSONField(
        read_only=True, help_text="The params the next active-learning run will use."
    )
