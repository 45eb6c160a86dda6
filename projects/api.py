"""REST endpoints of the annotation core (api.md). Thin: parse, call a service, serialize."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import authenticate
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.authtoken.models import Token
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from annolab.api import ListView, query_choice, query_flag
from annolab.errors import ValidationFailed
from annolab.json_input import JSONParser
from projects import exports, imports, selectors, services
from projects import serializers as s
from projects.models import Project, Task, TaskStatus
from projects.permissions import Action, can, require
from projects.selection import COMPLETIONS_FILTERS, select_training_data


def project_for(request: Request, name: str, action: Action = Action.VIEW) -> Project:
    """The named project if the caller is a member; outsiders get 404 (nothing is revealed)."""
    project = get_object_or_404(Project.objects.select_related("owner"), name=name)
    if not can(project=project, user=request.user, action=Action.VIEW):
        raise Http404("No such project.")
    require(project=project, user=request.user, action=action)
    return project


def task_for(request: Request, project: Project, task_id: int) -> Task:
    task = get_object_or_404(
        selectors.tasks_visible_to(project=project, user=request.user), pk=task_id
    )
    return task


def _csv_param(request: Request, name: str) -> list[str] | None:
    raw = request.query_params.get(name)
    if not raw:
        return None
    return [item.strip() for item in raw.split(",") if item.strip()]


class TokenView(APIView):
    authentication_classes: list[type] = []
    permission_classes = [AllowAny]

    @extend_schema(request=s.TokenRequestSerializer, responses=s.TokenSerializer)
    def post(self, request: Request) -> Response:
        body = s.TokenRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        user = authenticate(
            request,
            username=body.validated_data["username"],
            password=body.validated_data["password"],
        )
        if user is None:
            raise ValidationFailed(
                "Unable to log in with the given username and password.",
                [{"message": "Unable to log in with the given username and password."}],
            )
        token, _ = Token.objects.get_or_create(user=user)
        return Response({"token": token.key})


class UserListView(APIView):
    @extend_schema(request=s.UserCreateSerializer, responses={201: s.UserSerializer})
    def post(self, request: Request) -> Response:
        body = s.UserCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        user = services.user_create(actor=request.user, **body.validated_data)
        return Response({"id": user.pk, "username": user.username}, status=status.HTTP_201_CREATED)


class ProjectListView(ListView):
    @extend_schema(responses=s.ProjectSerializer(many=True))
    def get(self, request: Request) -> Response:
        projects = selectors.projects_visible_to(request.user).order_by("name")
        return self.paginated(request, projects, s.ProjectSerializer)

    @extend_schema(request=s.ProjectCreateSerializer, responses={201: s.ProjectSerializer})
    def post(self, request: Request) -> Response:
        body = s.ProjectCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        project = services.project_create(owner=request.user, **body.validated_data)
        return Response(s.ProjectSerializer(project).data, status=status.HTTP_201_CREATED)


class ProjectDetailView(APIView):
    @extend_schema(responses=s.ProjectSerializer)
    def get(self, request: Request, name: str) -> Response:
        return Response(s.ProjectSerializer(project_for(request, name)).data)

    @extend_schema(request=s.ProjectUpdateSerializer, responses=s.ProjectSerializer)
    def patch(self, request: Request, name: str) -> Response:
        project = project_for(request, name, Action.MANAGE)
        body = s.ProjectUpdateSerializer(data=request.data, partial=True)
        body.is_valid(raise_exception=True)
        project = services.project_update(
            project=project, actor=request.user, **body.validated_data
        )
        return Response(s.ProjectSerializer(project).data)

    @extend_schema(responses={204: None})
    def delete(self, request: Request, name: str) -> Response:
        project = project_for(request, name)
        services.project_delete(project=project, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ProjectConfigView(APIView):
    @extend_schema(request=s.LabelingConfigSerializer, responses=s.ProjectSerializer)
    def put(self, request: Request, name: str) -> Response:
        project = project_for(request, name, Action.MANAGE)
        body = s.LabelingConfigSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        project = services.project_config_set(
            project=project,
            actor=request.user,
            labeling_config=body.validated_data["labeling_config"],
        )
        return Response(s.ProjectSerializer(project).data)


class ProjectConfigValidateView(APIView):
    @extend_schema(request=s.LabelingConfigSerializer, responses=s.ConfigValidationSerializer)
    def post(self, request: Request, name: str) -> Response:
        project = project_for(request, name, Action.MANAGE)
        body = s.LabelingConfigSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        errors = services.config_errors(body.validated_data["labeling_config"], project)
        return Response({"valid": not errors, "errors": errors})


class MemberListView(ListView):
    @extend_schema(responses=s.MemberSerializer(many=True))
    def get(self, request: Request, name: str) -> Response:
        project = project_for(request, name)
        members = project.memberships.select_related("user").order_by("priority", "user__username")
        return self.paginated(request, members, s.MemberSerializer)

    @extend_schema(request=s.MemberCreateSerializer, responses={201: s.MemberSerializer})
    def post(self, request: Request, name: str) -> Response:
        project = project_for(request, name, Action.MANAGE)
        body = s.MemberCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        membership = services.member_add(project=project, actor=request.user, **body.validated_data)
        return Response(s.MemberSerializer(membership).data, status=status.HTTP_201_CREATED)


class MemberDetailView(APIView):
    @extend_schema(responses={204: None})
    def delete(self, request: Request, name: str, username: str) -> Response:
        project = project_for(request, name, Action.MANAGE)
        services.member_remove(project=project, actor=request.user, username=username)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ImportView(APIView):
    parser_classes = [JSONParser, MultiPartParser]

    @extend_schema(request=OpenApiTypes.ANY, responses={201: s.ImportResultSerializer})
    def post(self, request: Request, name: str) -> Response:
        project = project_for(request, name, Action.MANAGE)
        upload = request.FILES.get("file")
        if upload is not None:
            result = imports.tasks_import(
                project=project, payload=upload.read(), filename=upload.name
            )
        elif isinstance(request.data, list):
            result = imports.tasks_import(project=project, payload=request.data)
        else:
            raise ValidationFailed(
                "Send a JSON array of tasks or a multipart 'file' (.json, .txt, .csv).",
                [{"message": "Send a JSON array of tasks or a multipart 'file'."}],
            )
        return Response(s.ImportResultSerializer(result).data, status=status.HTTP_201_CREATED)


class ExportView(APIView):
    @extend_schema(
        parameters=[
            OpenApiParameter("format", str, enum=["json", "conll"]),
            OpenApiParameter("tags", str, description="comma-separated tag names"),
            OpenApiParameter("ground_truth", bool),
        ],
        responses={(200, "application/json"): OpenApiTypes.ANY, (200, "text/plain"): str},
    )
    def get(self, request: Request, name: str) -> HttpResponse | Response:
        project = project_for(request, name, Action.MANAGE)
        export_format = query_choice(request, "format", ["json", "conll"], "json")
        tags = _csv_param(request, "tags")
        if export_format == "conll":
            text = exports.export_conll(project=project, tags=tags)
            response: HttpResponse | Response = HttpResponse(
                text, content_type="text/plain; charset=utf-8"
            )
            suffix = "conll"
        else:
            ground_truth = query_flag(request, "ground_truth")
            data = exports.export_json(project=project, tags=tags, ground_truth_only=ground_truth)
            response = Response(data)
            suffix = "json"
        response["Content-Disposition"] = f'attachment; filename="{project.name}.{suffix}"'
        return response


class TaskListView(ListView):
    @extend_schema(
        parameters=[
            OpenApiParameter("tags", str, description="comma-separated tag names"),
            OpenApiParameter(
                "status", str, enum=["incomplete", "submitted", "reviewed", "to_correct"]
            ),
        ],
        responses=s.TaskSerializer(many=True),
    )
    def get(self, request: Request, name: str) -> Response:
        project = project_for(request, name)
        tasks = selectors.task_filter(
            selectors.tasks_visible_to(project=project, user=request.user),
            tags=_csv_param(request, "tags"),
            status=query_choice(request, "status", TaskStatus.values, None),
        ).order_by("id")
        return self.paginated(request, tasks, s.TaskSerializer)


class TaskDetailView(APIView):
    @extend_schema(responses=s.TaskSerializer)
    def get(self, request: Request, name: str, task_id: int) -> Response:
        project = project_for(request, name)
        return Response(s.TaskSerializer(task_for(request, project, task_id)).data)

    @extend_schema(request=s.TaskUpdateSerializer, responses=s.TaskSerializer)
    def patch(self, request: Request, name: str, task_id: int) -> Response:
        project = project_for(request, name, Action.MANAGE)
        task = task_for(request, project, task_id)
        body = s.TaskUpdateSerializer(data=request.data, partial=True)
        body.is_valid(raise_exception=True)
        changes: dict[str, Any] = dict(body.validated_data)
        if "reviewer" in changes:
            changes["reviewer"] = changes["reviewer"] or None
        services.task_update(task=task, actor=request.user, **changes)
        return Response(s.TaskSerializer(task_for(request, project, task_id)).data)

    @extend_schema(responses={204: None})
    def delete(self, request: Request, name: str, task_id: int) -> Response:
        project = project_for(request, name, Action.MANAGE)
        services.task_delete(task=task_for(request, project, task_id), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class TaskCompletionListView(ListView):
    @extend_schema(responses=s.CompletionSerializer(many=True))
    def get(self, request: Request, name: str, task_id: int) -> Response:
        project = project_for(request, name)
        task = task_for(request, project, task_id)
        completions = selectors.visible_completions(project=project, user=request.user, task=task)
        return self.paginated(request, completions.order_by("id"), s.CompletionSerializer)

    @extend_schema(request=s.CompletionCreateSerializer, responses={201: s.CompletionSerializer})
    def post(self, request: Request, name: str, task_id: int) -> Response:
        project = project_for(request, name, Action.ANNOTATE)
        # The answer shows the completion, not the task: no status subqueries (selectors).
        task = selectors.task_for_user(project=project, task_id=task_id, user=request.user)
        body = s.CompletionCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        completion = services.completion_create(
            task=task, actor=request.user, **body.validated_data
        )
        return Response(s.CompletionSerializer(completion).data, status=status.HTTP_201_CREATED)


class CompletionDetailView(APIView):
    conflict_methods = ("patch",)

    @extend_schema(responses=s.CompletionSerializer)
    def get(self, request: Request, completion_id: int) -> Response:
        completion = selectors.completion_for_user(completion_id=completion_id, user=request.user)
        return Response(s.CompletionSerializer(completion).data)

    @extend_schema(request=s.CompletionUpdateSerializer, responses=s.CompletionSerializer)
    def patch(self, request: Request, completion_id: int) -> Response:
        completion = selectors.completion_for_user(completion_id=completion_id, user=request.user)
        body = s.CompletionUpdateSerializer(data=request.data, partial=True)
        body.is_valid(raise_exception=True)
        completion = services.completion_update(
            completion=completion, actor=request.user, **body.validated_data
        )
        return Response(s.CompletionSerializer(completion).data)


class CompletionSubmitView(APIView):
    conflict_methods = ("post",)

    @extend_schema(request=None, responses=s.CompletionSerializer)
    def post(self, request: Request, completion_id: int) -> Response:
        completion = selectors.completion_for_user(completion_id=completion_id, user=request.user)
        completion = services.completion_submit(completion=completion, actor=request.user)
        return Response(s.CompletionSerializer(completion).data)


class CompletionReviewView(APIView):
    conflict_methods = ("post",)

    @extend_schema(request=s.ReviewCreateSerializer, responses=s.CompletionSerializer)
    def post(self, request: Request, completion_id: int) -> Response:
        completion = selectors.completion_for_user(completion_id=completion_id, user=request.user)
        body = s.ReviewCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        completion = services.completion_review(
            completion=completion, actor=request.user, **body.validated_data
        )
        return Response(s.CompletionSerializer(completion).data)


class TrainingDataView(APIView):
    @extend_schema(
        parameters=[
            OpenApiParameter("tags", str, description="comma-separated tag names"),
            OpenApiParameter("completions", str, enum=list(COMPLETIONS_FILTERS)),
        ],
        responses=s.TrainingDataSerializer,
    )
    def get(self, request: Request, name: str) -> Response:
        project = project_for(request, name, Action.MANAGE)
        completions = query_choice(request, "completions", list(COMPLETIONS_FILTERS), "submitted")
        selection = select_training_data(
            project=project, tags=_csv_param(request, "tags"), completions=completions
        )
        return Response(
            {
                "tasks": [
                    {"task_id": t.task_id, "completion_id": t.completion_id, "reason": t.reason}
                    for t in selection.tasks
                ],
                "counts": selection.counts,
            }
        )
