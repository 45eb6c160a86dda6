"""URLs of the annotation pages (the REST API lives under /api/, see projects.urls)."""

from django.urls import path

from projects import views

urlpatterns = [
    path("", views.project_list, name="page-projects"),
    path("projects/<str:name>/setup/", views.setup, name="page-setup"),
    path("projects/<str:name>/tasks/", views.task_list, name="page-tasks"),
    path("projects/<str:name>/annotate/next/", views.annotate_next, name="page-annotate-next"),
    path("projects/<str:name>/annotate/<int:task_id>/", views.annotate, name="page-annotate"),
    path("projects/<str:name>/review/", views.review, name="page-review"),
    path(
        "frontend/label-studio/<str:filename>",
        views.label_studio_asset,
        name="page-label-studio-asset",
    ),
]
