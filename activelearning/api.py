"""REST endpoints of active learning (api.md "Active learning"). Thin: parse, call, serialize."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from activelearning import selectors, services
from activelearning import serializers as s
from activelearning.models import Strategy
from annolab.api import query_choice
from annolab.errors import ValidationFailed
from projects.api import project_for
from projects.permissions import Action
from projects.serializers import TaskSerializer

_SETTINGS_FIELDS = ("enabled", "frequency", "deploy", "strategy", "params")
_READ_ONLY_FIELDS = ("completions_since_last_training", "pending", "effective_params")


class ActiveLearningView(APIView):
    @extend_schema(responses=s.ActiveLearningSerializer)
    def get(self, request: Request, name: str) -> Response:
        # A read: a trigger whose project_freed was lost starts from the worker's schedule.
        project = project_for(request, name, Action.MANAGE)
        return Response(asdict(selectors.settings_view(project)))

    @extend_schema(request=s.ActiveLearningUpdateSerializer, responses=s.ActiveLearningSerializer)
    def put(self, request: Request, name: str) -> Response:
        project = project_for(request, name, Action.MANAGE)
        if not isinstance(request.data, dict):
            raise ValidationFailed(
                "Send a JSON object of active-learning settings.",
                [{"message": "Send a JSON object of active-learning settings."}],
            )
        data = request.data
        # The read-only fields of a GET's answer may come back unchanged; a misspelt field must
        # not be ignored silently.
        unknown = sorted(set(data) - set(_SETTINGS_FIELDS) - set(_READ_ONLY_FIELDS))
        if unknown:
            raise ValidationFailed(
                f"{unknown[0]}: Unknown field.",
                [{"field": name, "message": "Unknown field."} for name in unknown],
            )
        changes: dict[str, Any] = {k: data[k] for k in _SETTINGS_FIELDS if k in data}
        services.active_learning_update(project=project, actor=request.user, **changes)
        return Response(asdict(selectors.settings_view(project)))


def _task_id(raw: str) -> int | str:
    """A task id from the query string; anything else goes on as text for the 400 to name."""
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 19 else raw


class NextTaskView(APIView):
    @extend_schema(
        parameters=[
            OpenApiParameter("strategy", str, enum=Strategy.values),
            OpenApiParameter(
                "skip",
                int,
                description="A task id the caller passes on first: its reservation is released "
                "and it comes back only after the caller's other tasks.",
            ),
        ],
        responses={200: TaskSerializer, 204: None},
    )
    def get(self, request: Request, name: str) -> Response:
        project = project_for(request, name, Action.ANNOTATE)
        raw_skip = request.query_params.get("skip")
        task = services.task_reserve_next(
            project=project,
            actor=request.user,
            strategy=query_choice(request, "strategy", list(Strategy.values), None),
            skip=None if raw_skip is None else _task_id(raw_skip),
        )
        if task is None:
            return Response(status=status.HTTP_204_NO_CONTENT)
        return Response(TaskSerializer(task).data)
