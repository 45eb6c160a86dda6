"""Small synthetic clinical notes with exact spans, for tests that train real Spark NLP models."""

from __future__ import annotations

import random
from typing import Any

SYMPTOMS = ["chest pain", "fever", "cough", "headache", "nausea", "dizziness"]
DISEASES = ["pneumonia", "asthma", "diabetes", "migraine", "bronchitis"]
STATUSES = {"Present": "reports {x}", "Absent": "denies {x}"}


def region(text: str, fragment: str, label: str, rid: str, start_at: int = 0) -> dict[str, Any]:
    start = text.index(fragment, start_at)
    return {
        "id": rid,
        "from_name": "label",
        "to_name": "text",
        "type": "labels",
        "value": {
            "start": start,
            "end": start + len(fragment),
            "text": fragment,
            "labels": [label],
        },
    }


def note(rng: random.Random, number: int) -> tuple[str, list[dict[str, Any]], dict[str, str]]:
    symptom, disease = rng.choice(SYMPTOMS), rng.choice(DISEASES)
    status = rng.choice(list(STATUSES))
    age = rng.choice(["Child", "Adult"])
    smoking = rng.choice(["Smoker", "Nonsmoker"])
    subject = "The boy" if age == "Child" else "The woman"
    habit = "She smokes." if smoking == "Smoker" else "Never smoked."
    text = f"{subject} {STATUSES[status].format(x=symptom)}. Known {disease} since May. {habit}"
    result = [
        region(text, symptom, "Symptom", f"s{number}"),
        region(text, symptom, status, f"a{number}"),
        region(text, disease, "Disease", f"d{number}"),
        {
            "id": f"c{number}",
            "from_name": "age",
            "to_name": "text",
            "type": "choices",
            "value": {"choices": [age]},
        },
        {
            "id": f"k{number}",
            "from_name": "smoking",
            "to_name": "text",
            "type": "choices",
            "value": {"choices": [smoking]},
        },
    ]
    return text, result, {"age": age, "smoking": smoking, "status": status}


def labelled_tasks(
    count: int = 40, seed: int = 3, *, unlabelled: int = 5, ner_only: bool = False
) -> list[dict[str, Any]]:
    """Import-format tasks: ``count`` with a submitted completion, ``unlabelled`` without.

    ``ner_only`` keeps the Symptom/Disease regions only, for configs without assertion or choices.
    """
    rng = random.Random(seed)
    tasks = []
    for number in range(count + unlabelled):
        text, result, _ = note(rng, number)
        if ner_only:
            result = [
                r for r in result if r["value"].get("labels", [""])[0] in ("Symptom", "Disease")
            ]
        task: dict[str, Any] = {"data": {"text": text}}
        if number < count:
            task["completions"] = [
                {
                    "created_username": "anna",
                    "created_at": "2026-01-02T10:00:00Z",
                    "submitted_at": f"2026-01-02T10:{number % 60:02d}:00Z",
                    "result": result,
                }
            ]
        tasks.append(task)
    return tasks
