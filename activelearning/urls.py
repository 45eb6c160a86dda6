from activelearning import api
from annolab.routes import route

urlpatterns = [
    route(
        "projects/<str:name>/active-learning", api.ActiveLearningView.as_view(), "active-learning"
    ),
    route("projects/<str:name>/next-task", api.NextTaskView.as_view(), "next-task"),
]
