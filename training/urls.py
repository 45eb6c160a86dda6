from annolab.routes import route
from training import api

urlpatterns = [
    route("projects/<str:name>/trainings", api.TrainingListView.as_view(), "trainings"),
    route(
        "projects/<str:name>/trainings/<int:run_id>", api.TrainingDetailView.as_view(), "training"
    ),
    route(
        "projects/<str:name>/trainings/<int:run_id>/cancel",
        api.TrainingCancelView.as_view(),
        "training-cancel",
    ),
    route(
        "projects/<str:name>/trainings/<int:run_id>/logs",
        api.TrainingLogsView.as_view(),
        "training-logs",
    ),
    route("projects/<str:name>/status", api.ProjectStatusView.as_view(), "project-status"),
    route("projects/<str:name>/deploy", api.DeployView.as_view(), "deploy"),
    route("projects/<str:name>/deployments", api.DeploymentListView.as_view(), "deployments"),
    route(
        "projects/<str:name>/deployments/<int:deployment_id>/restore",
        api.DeploymentRestoreView.as_view(),
        "deployment-restore",
    ),
    route(
        "projects/<str:name>/preannotations", api.PreannotationListView.as_view(), "preannotations"
    ),
    route(
        "projects/<str:name>/preannotations/<int:job_id>",
        api.PreannotationDetailView.as_view(),
        "preannotation",
    ),
    route(
        "projects/<str:name>/tasks/<int:task_id>/predictions",
        api.TaskPredictionListView.as_view(),
        "task-predictions",
    ),
    route("models", api.ModelListView.as_view(), "models"),
    # Before models/<name>/...: a model named "uploads" has no sub-path that is a number.
    route("models/uploads/<int:upload_id>", api.ModelUploadDetailView.as_view(), "model-upload"),
    route("models/<str:model_name>/download", api.ModelDownloadView.as_view(), "model-download"),
    route("models/<str:model_name>", api.ModelDetailView.as_view(), "model"),
    route("models/<str:model_name>/logs", api.ModelLogsView.as_view(), "model-logs"),
    route("models/<str:model_name>/evaluate", api.ModelEvaluateView.as_view(), "model-evaluate"),
    route(
        "models/<str:model_name>/usefulness", api.ModelUsefulnessView.as_view(), "model-usefulness"
    ),
]
