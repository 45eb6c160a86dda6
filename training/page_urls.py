"""URLs of the pages that show training state: the project dashboard and the model list."""

from django.urls import path

from training import views

urlpatterns = [
    path("projects/<str:name>/", views.dashboard, name="page-dashboard"),
    path("models/", views.model_list, name="page-models"),
]
