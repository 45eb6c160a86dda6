"""Data the active-learning tests share."""

from __future__ import annotations

from typing import Any

from tests.personas import span

TEXT = "Patient denies chest pain but has pneumonia."
NER_PARAMS = {"model_types": ["ner"], "epochs": 2}


def ner_result() -> list[dict[str, Any]]:
    return [span(TEXT, "chest pain", "Symptom"), span(TEXT, "pneumonia", "Disease")]
