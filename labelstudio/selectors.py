"""Reads of the Label Studio ML backend: what the deployed models are called, which Label Studio
key holds a task's text, and the stored predictions answered to ``predict``."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings

from projects.labeling_config import LabelingConfigError, parse_labeling_config
from projects.labeling_config.reading import read_config
from projects.models import Prediction, Project, Task
from training.deployed import DeployedModels, deployed_models

#: The object tags whose ``value="$key"`` names the task field that holds the text.
_TEXT_OBJECTS = ("Text", "HyperText")


def deployed(project: Project) -> DeployedModels:
    try:
        return deployed_models(parse_labeling_config(project.labeling_config))
    except LabelingConfigError:
        return DeployedModels()


def model_version(models: DeployedModels) -> str:
    """``setup``'s answer: the deployed models, sorted and joined, "" when none is deployed.

    Sorted so that the string stays the same while the same models are deployed (Label Studio
    compares it with the ``model_version`` of the predictions it keeps).
    """
    return "+".join(sorted(models.names))


def text_key(*, project: Project, label_config: str | None) -> str:
    """The key of a Label Studio task's ``data`` that holds the text annolab labels.

    Read from Label Studio's own config (its ``<Text value="$key">``): the object that annolab's
    controls label if it is there, else its first text object; "text" when nothing says.
    """
    annolab_objects: set[str] = set()
    try:
        config = parse_labeling_config(project.labeling_config)
        annolab_objects = {group.to_name for group in config.labels} | {
            group.to_name for group in config.choices
        }
    except LabelingConfigError:
        pass
    document, _errors = read_config(label_config or "")
    keys: list[tuple[bool, str]] = []
    for item in document.elements if document is not None else []:
        value = item.element.get("value") or ""
        if item.tag in _TEXT_OBJECTS and value.startswith("$") and len(value) > 1:
            keys.append((item.element.get("name") in annolab_objects, value[1:]))
    preferred = [key for labelled, key in keys if labelled]
    return (preferred or [key for _, key in keys] or ["text"])[0]


def trained_controls(project: Project) -> dict[str, str]:
    """The controls of annolab's config a completion may carry: ``{from_name: region type}``.

    A Label Studio region of any other control (``<TextArea>``, ``<Rating>``, a control annolab's
    config does not have) is not trained on and is dropped from the completion.
    """
    try:
        config = parse_labeling_config(project.labeling_config)
    except LabelingConfigError:
        return {}
    controls = {group.name: "labels" for group in config.labels}
    controls.update({group.name: "choices" for group in config.choices})
    return controls


@dataclass(frozen=True)
class Answer:
    """One task's entry in ``predict``'s ``results``."""

    result: list[dict[str, Any]]
    score: float
    model_version: str

    def as_dict(self) -> dict[str, Any]:
        return {"result": self.result, "score": self.score, "model_version": self.model_version}


def tasks_without_prediction(*, tasks: Iterable[Task], model_name: str) -> list[int]:
    """The ids of ``tasks`` that no prediction of ``model_name`` (the deployed set) covers."""
    ids = [task.pk for task in tasks]
    covered = set(
        Prediction.objects.filter(task_id__in=ids, model_name=model_name).values_list(
            "task_id", flat=True
        )
    )
    return [task_id for task_id in dict.fromkeys(ids) if task_id not in covered]


def stored_answers(*, tasks: list[Task], model_name: str, version: str) -> list[Answer]:
    """Each task's newest prediction by the deployed models (``model_name``), else its newest
    prediction of any models (the project was busy), else an empty result.

    ``score`` is annolab's ``certainty`` of the prediction (how sure the models were of the whole
    text), falling back to the mean region confidence, else 0. ``model_version``: ``version``
    (setup's answer) for the deployed models' predictions, so Label Studio, which skips the tasks
    it holds a prediction of the current version for, does not ask again; an older prediction's
    own model names; "" for no prediction at all, so Label Studio asks again next time.
    """
    newest: dict[int, Prediction] = {}
    preferred: dict[int, Prediction] = {}
    # Prediction's default ordering is newest first.
    for prediction in Prediction.objects.filter(task_id__in=[t.pk for t in tasks]):
        newest.setdefault(prediction.task_id, prediction)
        if prediction.model_name == model_name:
            preferred.setdefault(prediction.task_id, prediction)
    answers = []
    for task in tasks:
        prediction = preferred.get(task.pk) or newest.get(task.pk)
        if prediction is None:
            answers.append(Answer(result=[], score=0.0, model_version=""))
            continue
        score = prediction.certainty if prediction.certainty is not None else prediction.score
        answers.append(
            Answer(
                result=list(prediction.result),
                score=float(score or 0.0),
                model_version=version
                if prediction.model_name == model_name
                else prediction.model_name,
            )
        )
    return answers


def _base(url: str) -> tuple[str, str, str]:
    parts = urlsplit(url.strip())
    return parts.scheme.lower(), parts.netloc.lower(), parts.path.rstrip("/")


def hostname_allowed(hostname: str) -> bool:
    """Is ``hostname`` (what Label Studio sent at setup) one of ``LABEL_STUDIO_URLS``?

    annolab requests that URL with the stored token, so only the Label Studio servers an operator
    listed may be asked: same scheme, host and port, and a path under the listed one.
    """
    scheme, netloc, path = _base(hostname)
    if scheme not in ("http", "https") or not netloc or "@" in netloc:
        return False
    for allowed in settings.LABEL_STUDIO_URLS:
        a_scheme, a_netloc, a_path = _base(allowed)
        if (scheme, netloc) == (a_scheme, a_netloc) and (
            path == a_path or path.startswith(f"{a_path}/")
        ):
            return True
    return False
