"""``/ml/{project}/``: the base URL a user pastes into Label Studio's "Connect model" dialog."""

from annolab.routes import route
from labelstudio import api

urlpatterns = [
    route("<str:name>", api.HealthView.as_view(), "ml-root"),
    route("<str:name>/health", api.HealthView.as_view(), "ml-health"),
    route("<str:name>/setup", api.SetupView.as_view(), "ml-setup"),
    route("<str:name>/predict", api.PredictView.as_view(), "ml-predict"),
    route("<str:name>/webhook", api.WebhookView.as_view(), "ml-webhook"),
]
