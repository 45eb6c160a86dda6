"""Shapes of the active-learning endpoints, for the OpenAPI document.

Input is validated by ``services.active_learning_update`` (pages and the API share one set of
rules and field names); these serializers describe it.
"""

from __future__ import annotations

from rest_framework import serializers

from activelearning.models import DEFAULT_FREQUENCY, Strategy
from annolab import fields
from annolab.api import INT_COLUMN_MAX
from training.serializers import DeployField

_PARAMS_HELP = "Params of its training runs (see Training); null = those of the last manual run."


class ActiveLearningUpdateSerializer(serializers.Serializer):
    """PUT body: every field is optional; a field left out keeps its value."""

    enabled = fields.BooleanField(required=False)
    frequency = fields.IntegerField(
        min_value=1,
        max_value=INT_COLUMN_MAX,
        required=False,
        help_text=f"Default {DEFAULT_FREQUENCY}.",
    )
    deploy = DeployField(required=False)
    strategy = serializers.ChoiceField(choices=Strategy.choices, required=False)
    params = serializers.JSONField(required=False, allow_null=True, help_text=_PARAMS_HELP)


class ActiveLearningSerializer(serializers.Serializer):
    enabled = fields.BooleanField()
    frequency = fields.IntegerField(min_value=1, max_value=INT_COLUMN_MAX)
    deploy = DeployField()
    strategy = serializers.ChoiceField(choices=Strategy.choices)
    params = serializers.JSONField(allow_null=True, help_text=_PARAMS_HELP)
    completions_since_last_training = fields.IntegerField(
        help_text="Completions submitted since the project's last training run started."
    )
    pending = fields.BooleanField(
        help_text="A threshold was reached; its run starts when the project is free."
    )
    effective_params = serializers.JSONField(
        help_text="The params the next active-learning run will use."
    )
