"""The demo project `make run` creates: a mixed clinical config and a few dozen labelled tasks.

Texts are built from templates so every span is exact; about a third of the completions are
reviewed (mostly accepted, a few rejected), and some tasks are left for annotators.
"""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

from django.utils import timezone

DEMO_PROJECT = "demo-clinic"
DEMO_CONFIG = """<View>
  <!-- Clinical notes: problems with their assertion status, plus two classifications. -->
  <Text name="text" value="$text"/>
  <Labels name="label" toName="text">
    <Label value="Symptom" background="orange"/>
    <Label value="Disease" background="red"/>
    <Label value="Drug" background="green"/>
    <Label value="Present" assertion="true" background="gray"/>
    <Label value="Absent" assertion="true" background="gray"/>
    <Label value="Possible" assertion="true" background="gray"/>
  </Labels>
  <Header value="Age"/>
  <Choices name="age" toName="text" choice="single" showInLine="true">
    <Choice value="Child"/>
    <Choice value="Adult"/>
    <Choice value="Aged"/>
  </Choices>
  <Header value="Smoking status"/>
  <Choices name="smokingstatus" toName="text" choice="multiple" showInLine="true">
    <Choice value="Smoker"/>
    <Choice value="Past Smoker"/>
    <Choice value="Nonsmoker"/>
  </Choices>
</View>
"""

SYMPTOMS = ["chest pain", "shortness of breath", "fever", "headache", "nausea", "cough", "fatigue"]
DISEASES = ["pneumonia", "diabetes", "asthma", "hypertension", "migraine", "bronchitis"]
DRUGS = ["aspirin", "metformin", "ibuprofen", "amoxicillin", "salbutamol"]
AGES = {
    "Child": ["A 9 year old boy", "A 12 year old girl"],
    "Adult": ["A 34 year old woman", "A 45 year old man"],
    "Aged": ["A 78 year old man", "An 81 year old woman"],
}
SMOKING = {
    "Smoker": "He smokes daily.",
    "Past Smoker": "She quit smoking years ago.",
    "Nonsmoker": "Never smoked.",
}
STATUS_PHRASES = {"Present": "reports {x}", "Absent": "denies {x}", "Possible": "may have {x}"}


def _region(rid: str, text: str, fragment: str, label: str, start_at: int = 0) -> dict[str, Any]:
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


def demo_task(rng: random.Random, number: int) -> tuple[str, list[dict[str, Any]]]:
    """One note and the regions a careful annotator would give it."""
    age = rng.choice(list(AGES))
    smoking = rng.choice(list(SMOKING))
    symptom, disease, drug = rng.choice(SYMPTOMS), rng.choice(DISEASES), rng.choice(DRUGS)
    status = rng.choice(list(STATUS_PHRASES))
    subject = rng.choice(AGES[age])
    text = (
        f"{subject} {STATUS_PHRASES[status].format(x=symptom)}. "
        f"History of {disease}, treated with {drug}. {SMOKING[smoking]}"
    )
    result = [
        _region(f"s{number}", text, symptom, "Symptom"),
        _region(f"a{number}", text, symptom, status),
        _region(f"d{number}", text, disease, "Disease"),
        _region(f"p{number}", text, disease, "Present"),
        _region(f"m{number}", text, drug, "Drug"),
        {
            "id": f"c{number}",
            "from_name": "age",
            "to_name": "text",
            "type": "choices",
            "value": {"choices": [age]},
        },
        {
            "id": f"k{number}",
            "from_name": "smokingstatus",
            "to_name": "text",
            "type": "choices",
            "value": {"choices": [smoking]},
        },
    ]
    return text, result


def demo_tasks(count: int = 48, seed: int = 7) -> list[dict[str, Any]]:
    """Tasks in the Annotation Lab import format: 3/4 labelled, a third of those reviewed."""
    rng = random.Random(seed)
    start = timezone.now() - timedelta(days=10)
    tasks: list[dict[str, Any]] = []
    for number in range(count):
        text, result = demo_task(rng, number)
        task: dict[str, Any] = {"data": {"text": text}, "tags": ["demo"]}
        if number % 4 != 3:
            created = start + timedelta(hours=number)
            completion: dict[str, Any] = {
                "created_username": rng.choice(["anna", "ben"]),
                "created_at": created.isoformat(),
                "submitted_at": (created + timedelta(minutes=3)).isoformat(),
                "lead_time": round(rng.uniform(20, 120), 1),
                "honeypot": False,
                "result": result,
            }
            if number % 3 == 0:
                completion["review_status"] = {
                    "approved": number % 9 != 0,
                    "reviewer": "rita",
                    "comment": "" if number % 9 else "Check the assertion status.",
                    "reviewed_at": (created + timedelta(days=1)).isoformat(),
                }
            task["completions"] = [completion]
        tasks.append(task)
    return tasks
