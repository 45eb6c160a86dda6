"""The child's predictor: every deployed model of a project loaded into one Spark session, and
the regions and certainty it predicts for each text.

A prediction's result is in Label Studio's region format (api.md, task format):

* NER: ``{"id", "from_name": <Labels name>, "to_name", "type": "labels",
  "value": {"start", "end", "text", "labels": [label], "confidence"}}``, only for labels the config
  binds to the model that found them;
* assertion: a second ``labels`` region on the span of each NER region, with the status label;
* classification: ``{"id", "from_name": <Choices name>, "to_name", "type": "choices",
  "value": {"choices": [...], "confidence", "scores": {choice: p}}}``.

A prediction also gets a *certainty* in [0, 1] (``Prediction.certainty``; the ``uncertainty``
next-task strategy hands out the least certain task first). Each model contributes one number
and the lowest wins, since one unsure model is enough for the task to need an annotator:

* each NER model: the sequence certainty of the text (``training.engine.predict``: the geometric
  mean of every token's confidence, ``O`` tokens too, so a sentence where the model hesitated
  over an entity it did not tag counts as unsure, and no entity at all is still a measurement);
* the assertion model: the mean confidence of the statuses it gave the text's spans;
* each ``<Choices>`` group: the margin between its two most probable classes.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from projects.labeling_config import ChoicesGroup
from training.deployed import DeployedModels, Target, choices_margin
from training.engine.assertion import AssertionPredictor
from training.engine.classification import ClassifierPredictor
from training.engine.predict import NerPredictor

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

Region = dict[str, Any]


@dataclass(frozen=True)
class TaskPrediction:
    """One text's prediction: its regions and how sure the models are (module docstring)."""

    result: list[Region]
    certainty: float | None


#: A multiple-choice group gets every choice scored at least this (api.md: "score ≥ 0.5").
MULTI_LABEL_THRESHOLD = 0.5


class Preannotator:
    """Every deployed model of a project, loaded once into one Spark session."""

    def __init__(self, spark: SparkSession, deployed: DeployedModels) -> None:
        self.model_name = deployed.model_name
        self._ner = [
            (NerPredictor(spark, Path(model.path)), targets) for model, targets in deployed.ner
        ]
        self._assertion: tuple[AssertionPredictor, dict[str, Target]] | None = None
        if deployed.assertion is not None:
            model, statuses = deployed.assertion
            self._assertion = (AssertionPredictor(spark, Path(model.path)), statuses)
        self._classifiers: list[tuple[ClassifierPredictor, ChoicesGroup]] = []
        loaded: dict[str, ClassifierPredictor] = {}
        if deployed.classification:
            for model, group in deployed.classification:
                # One model may serve two groups; it is still loaded once.
                if model.name not in loaded:
                    loaded[model.name] = ClassifierPredictor(
                        spark, Path(model.path), multi_label=model.multi_label
                    )
                self._classifiers.append((loaded[model.name], group))

    def predict(self, texts: Sequence[str]) -> list[TaskPrediction]:
        """Each text's regions, in Label Studio's region format, and their certainty."""
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="classifiers") as pool:
            # Classification needs nothing from NER, so it runs beside NER and assertion: while
            # Python unpacks one model's annotations, Spark works on the other's job.
            choices = pool.submit(self._choices, texts)
            results, certainties = self._entities(texts)
            for result, parts, regions in zip(results, certainties, choices.result(), strict=True):
                result.extend(regions)
                parts.extend(
                    choices_margin(region["value"]["scores"].values()) for region in regions
                )
        predictions = []
        for result, parts in zip(results, certainties, strict=True):
            for number, region in enumerate(result, start=1):
                region["id"] = f"p{number}"
            # The lowest: one unsure model is enough for the task to need an annotator.
            predictions.append(TaskPrediction(result, round(min(parts), 4) if parts else None))
        return predictions

    def _entities(self, texts: Sequence[str]) -> tuple[list[list[Region]], list[list[float]]]:
        """NER regions of every NER model, then a status region on each of their spans; and for
        each text the certainty of each NER model and of the assertion model (module docstring).
        """
        results: list[list[Region]] = [[] for _ in texts]
        certainties: list[list[float]] = [[] for _ in texts]
        spans: list[set[tuple[int, int]]] = [set() for _ in texts]
        for predictor, targets in self._ner:
            for index, predicted in enumerate(predictor.predict_with_certainty(texts)):
                if predicted.certainty is not None:
                    certainties[index].append(predicted.certainty)
                for entity in predicted.entities:
                    target = targets.get(entity.label)
                    if target is None:
                        continue  # the config binds this label to another model, or none
                    start, end = entity.start, entity.end
                    results[index].append(
                        _labels_region(
                            target, start, end, texts[index], entity.label, entity.confidence
                        )
                    )
                    spans[index].add((start, end))
        if self._assertion is not None:
            self._add_statuses(texts, spans, results, certainties)
        return results, certainties

    def _add_statuses(
        self,
        texts: Sequence[str],
        spans: list[set[tuple[int, int]]],
        results: list[list[Region]],
        certainties: list[list[float]],
    ) -> None:
        assert self._assertion is not None
        predictor, statuses = self._assertion
        # One status per distinct span: two NER regions on one span share their assertion.
        chunked = [(index, sorted(chunks)) for index, chunks in enumerate(spans) if chunks]
        if not chunked:
            return
        predicted = predictor.predict([(texts[index], chunks) for index, chunks in chunked])
        for (index, chunks), per_chunk in zip(chunked, predicted, strict=True):
            confidences = [confidence for _, confidence in per_chunk]
            certainties[index].append(sum(confidences) / len(confidences))
            for (start, end), (status, confidence) in zip(chunks, per_chunk, strict=True):
                target = statuses.get(status)
                if target is None:
                    continue  # a status this config does not define cannot be shown
                results[index].append(
                    _labels_region(target, start, end, texts[index], status, confidence)
                )

    def _choices(self, texts: Sequence[str]) -> list[list[Region]]:
        results: list[list[Region]] = [[] for _ in texts]
        # A blank text has nothing to classify; some classifiers fail on an empty document.
        todo = [index for index, text in enumerate(texts) if text.strip()]
        if not todo:
            return results
        subset = [texts[index] for index in todo]
        for predictor, group in self._classifiers:
            for index, scores in zip(todo, predictor.predict(subset), strict=True):
                region = _choices_region(group, scores)
                if region is not None:
                    results[index].append(region)
        return results


def score_of(result: Sequence[Region]) -> float | None:
    """A prediction's score: the mean confidence of its regions (api.md), None without any."""
    confidences = [region["value"]["confidence"] for region in result]
    if not confidences:
        return None
    return round(sum(confidences) / len(confidences), 4)


def _confidence(value: float) -> float:
    # Rounded: four digits say all a reviewer needs and keep stored results small.
    return round(min(max(float(value), 0.0), 1.0), 4)


def _labels_region(
    target: Target, start: int, end: int, text: str, label: str, confidence: float
) -> Region:
    return {
        "id": "",
        "from_name": target.from_name,
        "to_name": target.to_name,
        "type": "labels",
        "value": {
            "start": start,
            "end": end,
            "text": text[start:end],
            "labels": [label],
            "confidence": _confidence(confidence),
        },
    }


def _choices_region(group: ChoicesGroup, scores: dict[str, float]) -> Region | None:
    """The group's choice(s): the best for a single choice, all ≥ 0.5 for multiple."""
    offered = {choice: _confidence(p) for choice, p in scores.items() if choice in group.values}
    if not offered:
        return None
    if group.mode == "multiple":
        chosen = [c for c in group.values if offered.get(c, 0.0) >= MULTI_LABEL_THRESHOLD]
    else:
        chosen = [max(offered, key=lambda c: offered[c])]
    if not chosen:
        return None  # no choice is likely enough to propose; annotators start from nothing
    confidence = sum(offered[c] for c in chosen) / len(chosen)
    return {
        "id": "",
        "from_name": group.name,
        "to_name": group.to_name,
        "type": "choices",
        "value": {"choices": chosen, "confidence": _confidence(confidence), "scores": offered},
    }
