from annolab.routes import route
from projects import api

urlpatterns = [
    route("auth/token", api.TokenView.as_view(), "auth-token"),
    route("users", api.UserListView.as_view(), "users"),
    route("projects", api.ProjectListView.as_view(), "projects"),
    route("projects/<str:name>", api.ProjectDetailView.as_view(), "project"),
    route("projects/<str:name>/config", api.ProjectConfigView.as_view(), "project-config"),
    route(
        "projects/<str:name>/config/validate",
        api.ProjectConfigValidateView.as_view(),
        "project-config-validate",
    ),
    route("projects/<str:name>/members", api.MemberListView.as_view(), "members"),
    route("projects/<str:name>/members/<str:username>", api.MemberDetailView.as_view(), "member"),
    route("projects/<str:name>/import", api.ImportView.as_view(), "import"),
    route("projects/<str:name>/export", api.ExportView.as_view(), "export"),
    route("projects/<str:name>/tasks", api.TaskListView.as_view(), "tasks"),
    route("projects/<str:name>/tasks/<int:task_id>", api.TaskDetailView.as_view(), "task"),
    route(
        "projects/<str:name>/tasks/<int:task_id>/completions",
        api.TaskCompletionListView.as_view(),
        "task-completions",
    ),
    route("completions/<int:completion_id>", api.CompletionDetailView.as_view(), "completion"),
    route(
        "completions/<int:completion_id>/submit",
        api.CompletionSubmitView.as_view(),
        "completion-submit",
    ),
    route(
        "completions/<int:completion_id>/review",
        api.CompletionReviewView.as_view(),
        "completion-review",
    ),
    route("projects/<str:name>/training-data", api.TrainingDataView.as_view(), "training-data"),
]
