"""annolab's URL map: the admin, the REST API (api.md) with its OpenAPI schema, and the pages."""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from activelearning.urls import urlpatterns as activelearning_api
from annolab.routes import route
from labelstudio.urls import urlpatterns as labelstudio_ml_backend
from projects.urls import urlpatterns as project_api
from training.urls import urlpatterns as training_api

api_patterns = [
    *project_api,
    *training_api,
    *activelearning_api,
    route("schema", SpectacularAPIView.as_view(), "schema"),
    route("docs", SpectacularSwaggerView.as_view(url_name="schema"), "docs"),
]

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", include(api_patterns)),
    # Label Studio's "Connect model" URL per project: label-studio-ml-backend's protocol.
    path("ml/", include(labelstudio_ml_backend)),
    path("accounts/", include("django.contrib.auth.urls")),
    path("", include("projects.page_urls")),
    path("", include("training.page_urls")),
]

handler404 = "annolab.api.not_found"
