"""REST endpoints for training runs, the model registry and deployment (api.md)."""

from __future__ import annotations

import io
import zipfile

from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from annolab import fields
from annolab.api import ListView, query_choice
from annolab.errors import ValidationFailed
from projects.api import project_for, task_for
from projects.permissions import Action
from projects.selectors import projects_managed_by
from projects.serializers import ProjectSerializer
from training import model_files, selectors, services
from training import serializers as s
from training.jobs.directory import job_dir
from training.models import (
    Deployment,
    EvaluationJob,
    ModelType,
    NlpModel,
    PreannotationJob,
    TrainingRun,
)
from training.usefulness import model_usefulness


class TrainingListView(ListView):
    conflict_methods = ("post",)

    @extend_schema(responses=s.RunSerializer(many=True))
    def get(self, request: Request, name: str) -> Response:
        project = project_for(request, name, Action.MANAGE)
        runs = project.training_runs.order_by("-created_at", "-id")
        return self.paginated(request, runs, s.RunSerializer)

    @extend_schema(request=s.RunCreateSerializer, responses={202: s.RunSerializer})
    def post(self, request: Request, name: str) -> Response:
        project = project_for(request, name, Action.MANAGE)
        body = s.RunCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        run = services.training_run_start(
            project=project,
            actor=request.user,
            deploy=body.validated_data["deploy"],
            params=body.validated_data["params"],
        )
        return Response(s.RunSerializer(run).data, status=status.HTTP_202_ACCEPTED)


def _run_for(request: Request, name: str, run_id: int) -> TrainingRun:
    project = project_for(request, name, Action.MANAGE)
    return get_object_or_404(TrainingRun, project=project, pk=run_id)


class TrainingDetailView(APIView):
    @extend_schema(responses=s.RunSerializer)
    def get(self, request: Request, name: str, run_id: int) -> Response:
        return Response(s.RunSerializer(_run_for(request, name, run_id)).data)


class TrainingCancelView(APIView):
    conflict_methods = ("post",)

    @extend_schema(request=None, responses=s.RunSerializer)
    def post(self, request: Request, name: str, run_id: int) -> Response:
        run = services.training_run_cancel(run=_run_for(request, name, run_id), actor=request.user)
        return Response(s.RunSerializer(run).data)


class TrainingLogsView(APIView):
    @extend_schema(responses={(200, "application/zip"): OpenApiTypes.BINARY})
    def get(self, request: Request, name: str, run_id: int) -> HttpResponse:
        run = _run_for(request, name, run_id)
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in sorted(job_dir(run).rglob("*")):
                if path.is_file():
                    archive.write(path, path.relative_to(job_dir(run)).as_posix())
        response = HttpResponse(buffer.getvalue(), content_type="application/zip")
        response["Content-Disposition"] = (
            f'attachment; filename="{run.project.name}-run-{run.pk}-logs.zip"'
        )
        return response


class ProjectStatusView(APIView):
    @extend_schema(responses=s.StatusSerializer)
    def get(self, request: Request, name: str) -> Response:
        # A read: a job whose worker died is failed by the worker's schedule, not here.
        project = project_for(request, name)
        training = selectors.active_training(project)
        preannotation = selectors.active_preannotation(project)
        return Response(
            {
                "busy": training is not None or preannotation is not None,
                "training": s.run_data(training),
                "preannotation": s.PreannotationJobSerializer(preannotation).data
                if preannotation
                else None,
                "last_training": s.run_data(selectors.last_finished_training(project)),
            }
        )


def _model_for(request: Request, model_name: str) -> NlpModel:
    """A model the caller may see (selectors.models_visible_to), or 404."""
    return get_object_or_404(selectors.models_visible_to(request.user), name=model_name)


class ModelListView(ListView):
    # The upload is a file; GET reads no body.
    parser_classes = [MultiPartParser]

    @extend_schema(
        parameters=[
            OpenApiParameter("project", str),
            OpenApiParameter("type", str, enum=["ner", "assertion", "classification"]),
        ],
        responses=s.ModelSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        models = selectors.models_list(
            user=request.user,
            project_name=request.query_params.get("project") or None,
            model_type=query_choice(request, "type", list(ModelType.values), None),
        )
        return self.paginated(request, models.order_by("-created_at", "-id"), s.ModelSerializer)

    @extend_schema(
        request={"multipart/form-data": s.ModelUploadCreateSerializer},
        responses={202: s.ModelUploadSerializer},
    )
    def post(self, request: Request) -> Response:
        """Register a zipped Spark NLP pipeline: checked and unpacked now, loaded and asked to
        predict one sentence by the worker (poll ``GET /api/models/uploads/{id}/``)."""
        body = s.ModelUploadCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        upload = services.model_upload_start(
            actor=request.user,
            file=data["file"].file,
            size=data["file"].size,
            name=data["name"],
            model_type=data["type"],
            labels=data["labels"],
            project_name=data.get("project") or None,
            choices_group=data["choices_group"],
            multi_label=data["multi_label"],
        )
        return Response(s.ModelUploadSerializer(upload).data, status=status.HTTP_202_ACCEPTED)


class ModelUploadDetailView(APIView):
    @extend_schema(responses=s.ModelUploadSerializer)
    def get(self, request: Request, upload_id: int) -> Response:
        upload = get_object_or_404(selectors.model_uploads_visible_to(request.user), pk=upload_id)
        return Response(s.ModelUploadSerializer(upload).data)


class ModelDownloadView(APIView):
    conflict_methods = ("get",)

    @extend_schema(responses={(200, "application/zip"): OpenApiTypes.BINARY})
    def get(self, request: Request, model_name: str) -> StreamingHttpResponse:
        """The model's saved Spark NLP pipeline and a README.txt, zipped as it is sent."""
        model = _model_for(request, model_name)
        folder = services.model_download_folder(model=model, actor=request.user)
        response = StreamingHttpResponse(
            model_files.stream_zip(model, folder), content_type="application/zip"
        )
        response["Content-Disposition"] = (
            f'attachment; filename="{model_files.download_name(model)}"'
        )
        return response


class ModelDetailView(APIView):
    @extend_schema(responses=s.ModelSerializer)
    def get(self, request: Request, model_name: str) -> Response:
        model = _model_for(request, model_name)
        return Response(s.ModelSerializer(model, context={"request": request}).data)


class ModelLogsView(APIView):
    @extend_schema(responses={(200, "text/plain"): str})
    def get(self, request: Request, model_name: str) -> HttpResponse:
        model = _model_for(request, model_name)
        response = HttpResponse(model.log, content_type="text/plain; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{model.name}.log"'
        return response


class ModelEvaluateView(APIView):
    """Re-score a model on a project's test set: its own project's, or for a shared model the
    project named in the body (its test set and its busy rules)."""

    conflict_methods = ("post",)

    @extend_schema(request=s.EvaluateSerializer, responses={202: s.EvaluationJobSerializer})
    def post(self, request: Request, model_name: str) -> Response:
        model = _model_for(request, model_name)
        body = s.EvaluateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        name = model.project.name if model.project else body.validated_data.get("project")
        if not name:
            message = "A shared model is evaluated in a project: name it."
            raise ValidationFailed(message, [{"field": "project", "message": message}])
        project = project_for(request, name, Action.MANAGE)
        job = services.evaluation_start(model=model, project=project, actor=request.user)
        return Response(s.EvaluationJobSerializer(job).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(responses=s.EvaluationJobSerializer)
    def get(self, request: Request, model_name: str) -> Response:
        """The model's latest evaluation job in a project the caller manages."""
        model = _model_for(request, model_name)
        jobs = EvaluationJob.objects.filter(
            model=model, project__in=projects_managed_by(request.user)
        )
        job = get_object_or_404(jobs.order_by("-created_at", "-id")[:1])
        return Response(s.EvaluationJobSerializer(job).data)


class DeployView(APIView):
    conflict_methods = ("post",)

    @extend_schema(request=s.DeploySerializer, responses=ProjectSerializer)
    def post(self, request: Request, name: str) -> Response:
        project = project_for(request, name, Action.MANAGE)
        body = s.DeploySerializer(data=request.data)
        body.is_valid(raise_exception=True)
        project = services.deploy_by_name(
            project=project, names=body.validated_data["models"], actor=request.user
        )
        return Response(ProjectSerializer(project).data)


class DeploymentListView(ListView):
    """The project's deployments, newest first: what each bound, before and after."""

    @extend_schema(responses=s.DeploymentSerializer(many=True))
    def get(self, request: Request, name: str) -> Response:
        project = project_for(request, name, Action.MANAGE)
        records = selectors.deployments_of(project)
        return self.paginated(request, records, s.DeploymentSerializer)


class DeploymentRestoreView(APIView):
    @extend_schema(request=None, responses=ProjectSerializer)
    def post(self, request: Request, name: str, deployment_id: int) -> Response:
        project = project_for(request, name, Action.MANAGE)
        # Another project's record is as unknown here as a made-up id.
        record = get_object_or_404(Deployment, project=project, pk=deployment_id)
        project = services.deployment_restore(deployment=record, actor=request.user)
        return Response(ProjectSerializer(project).data)


class PreannotationListView(APIView):
    conflict_methods = ("post",)

    @extend_schema(
        request=s.PreannotationCreateSerializer, responses={202: s.PreannotationJobSerializer}
    )
    def post(self, request: Request, name: str) -> Response:
        project = project_for(request, name, Action.MANAGE)
        body = s.PreannotationCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        job = services.preannotation_start(
            project=project, actor=request.user, task_ids=body.validated_data["task_ids"]
        )
        return Response(s.PreannotationJobSerializer(job).data, status=status.HTTP_202_ACCEPTED)


class PreannotationDetailView(APIView):
    @extend_schema(responses=s.PreannotationJobSerializer)
    def get(self, request: Request, name: str, job_id: int) -> Response:
        project = project_for(request, name, Action.MANAGE)
        job = get_object_or_404(PreannotationJob, project=project, pk=job_id)
        return Response(s.PreannotationJobSerializer(job).data)


class TaskPredictionListView(APIView):
    @extend_schema(responses=s.PredictionSerializer(many=True))
    def get(self, request: Request, name: str, task_id: int) -> Response:
        # Whoever may read the task may read what the models proposed for it.
        task = task_for(request, project_for(request, name), task_id)
        predictions = task.predictions.order_by("-created_at", "-id")
        return Response(s.PredictionSerializer(predictions, many=True).data)


# --- does pre-annotation help? (GET /api/models/{name}/usefulness) -------------------------------


class _UsefulnessCountsSerializer(serializers.Serializer):
    """The schema of one label's counts (training.usefulness computes them)."""

    predicted = fields.IntegerField()
    kept = fields.IntegerField()
    changed = fields.IntegerField()
    deleted = fields.IntegerField()
    added = fields.IntegerField()
    acceptance = fields.FloatField(allow_null=True)


class _LeadTimeSerializer(serializers.Serializer):
    with_prediction = fields.FloatField(allow_null=True)
    without_prediction = fields.FloatField(allow_null=True)


class UsefulnessSerializer(serializers.Serializer):
    """The schema of api.md's usefulness answer; the view returns training.usefulness's dict."""

    model = fields.CharField()
    tasks = fields.IntegerField()
    predicted_regions = fields.IntegerField()
    kept = fields.IntegerField()
    changed = fields.IntegerField()
    deleted = fields.IntegerField()
    added = fields.IntegerField()
    acceptance = fields.FloatField(allow_null=True)
    per_label = serializers.DictField(child=_UsefulnessCountsSerializer())
    lead_time = _LeadTimeSerializer()


class ModelUsefulnessView(APIView):
    @extend_schema(responses=UsefulnessSerializer)
    def get(self, request: Request, model_name: str) -> Response:
        # Whoever may read the model may read how it was received, over their own projects only.
        model = _model_for(request, model_name)
        return Response(model_usefulness(model=model, user=request.user))
