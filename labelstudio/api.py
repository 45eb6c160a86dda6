"""label-studio-ml-backend's protocol for one annolab project, under ``/ml/{project}/``.

The shapes are label-studio-ml-backend's (``label_studio_ml/api.py``), not api.md's, so these
views are left out of annolab's OpenAPI document; errors still answer ``{"detail", "errors"}``.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from annolab.errors import ValidationFailed
from labelstudio import selectors, services
from labelstudio.authentication import TokenBasicAuthentication
from projects.api import project_for
from projects.permissions import Action


def _body(request: Request) -> dict[str, Any]:
    data = request.data
    if not isinstance(data, dict):
        message = "The body must be a JSON object."
        raise ValidationFailed(message, [{"message": message}])
    return data


def _text(data: dict[str, Any], key: str) -> str:
    value = data.get(key)
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ValidationFailed.for_field(key, "Must be a string.")
    return str(value)


@extend_schema(exclude=True)
class MLBackendView(APIView):
    authentication_classes = [TokenBasicAuthentication]
    permission_classes = [IsAuthenticated]


class HealthView(MLBackendView):
    def get(self, request: Request, name: str) -> Response:
        project = project_for(request, name, Action.VIEW)
        version = selectors.model_version(selectors.deployed(project))
        return Response({"status": "UP", "model_version": version})


class SetupView(MLBackendView):
    def post(self, request: Request, name: str) -> Response:
        project = project_for(request, name, Action.ANNOTATE)
        data = _body(request)
        services.connection_setup(
            project=project,
            actor=request.user,
            ls_project=_text(data, "project"),
            hostname=_text(data, "hostname"),
            access_token=_text(data, "access_token"),
            label_config=_text(data, "schema"),
        )
        # Never the token back: it is Label Studio's secret, stored for START_TRAINING.
        return Response({"model_version": selectors.model_version(selectors.deployed(project))})


class PredictView(MLBackendView):
    def post(self, request: Request, name: str) -> Response:
        project = project_for(request, name, Action.ANNOTATE)
        data = _body(request)
        tasks = data.get("tasks")
        if not isinstance(tasks, list):
            raise ValidationFailed.for_field("tasks", "Must be a list of Label Studio tasks.")
        answers, version = services.predictions_answer(
            project=project,
            actor=request.user,
            ls_tasks=tasks,
            label_config=_text(data, "label_config") or None,
        )
        return Response(
            {"results": [answer.as_dict() for answer in answers], "model_version": version}
        )


class WebhookView(MLBackendView):
    def post(self, request: Request, name: str) -> Response:
        project = project_for(request, name, Action.VIEW)
        data = _body(request)
        action = data.get("action")
        ls_project = data.get("project") if isinstance(data.get("project"), dict) else {}
        label_config = ls_project.get("label_config")
        label_config = label_config if isinstance(label_config, str) else None
        if action in services.ANNOTATION_ACTIONS:
            completion = services.annotation_receive(
                project=project,
                actor=request.user,
                ls_task=data.get("task"),
                annotation=data.get("annotation"),
                label_config=label_config,
            )
            return Response(
                {
                    "status": "stored" if completion is not None else "ignored",
                    "completion": completion.pk if completion is not None else None,
                },
                status=status.HTTP_201_CREATED,
            )
        if action == "START_TRAINING":
            run, stored = services.training_start(
                project=project, actor=request.user, ls_project=ls_project.get("id")
            )
            return Response(
                {"status": "training", "training_run": run.pk, "annotations": stored},
                status=status.HTTP_201_CREATED,
            )
        # Every other event (a project or task change, deleted annotations, ...) is not ours.
        return Response({"status": "ignored", "action": action if isinstance(action, str) else ""})
