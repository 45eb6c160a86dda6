"""Small synthetic clinical notes with exact spans, for tests that train real Spark NLP models."""

from __future__ import annotations

import random
from typing import Any

from projects.tokenizer import tokenize
from training.engine.ner import LabeledSentence

SYMPTOMS = ["chest pain", "fever", "cough", "headache", "nausea", "dizziness"]
DISEASES = ["pneumonia", "asthma", "diabetes", "migraine", "bronchitis"]
STATUSES = {"Present": "reports {x}", "Absent": "denies {x}"}
#: The labeling config of ``labelled_tasks(..., ner_only=True)``: its two entity labels.
NER_CONFIG = """<View>
  <Text name="text" value="$text"/>
  <Labels name="label" toName="text">
    <Label value="Symptom"/>
    <Label value="Disease"/>
  </Labels>
</View>
"""


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


#: Body systems of each symptom and disease, for a multiple-choice group ("systems"): a note
#: names one symptom and one disease, so it gets one or two systems.
SYSTEMS = {
    "cough": "Respiratory",
    "pneumonia": "Respiratory",
    "asthma": "Respiratory",
    "bronchitis": "Respiratory",
    "headache": "Neurological",
    "dizziness": "Neurological",
    "migraine": "Neurological",
}
SYSTEM_CHOICES = ("Respiratory", "Neurological", "Other")


def systems_of(text: str) -> list[str]:
    found = {SYSTEMS.get(word, "Other") for word in [*SYMPTOMS, *DISEASES] if word in text}
    return [system for system in SYSTEM_CHOICES if system in found]


def with_systems(tasks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The tasks with a ``systems`` multiple-choice region added to every completion.

    Derived from the text, not drawn at random, so ``labelled_tasks`` stays as it was.
    """
    for task in tasks:
        for completion in task.get("completions", []):
            completion["result"].append(
                {
                    "id": f"m{len(completion['result'])}",
                    "from_name": "systems",
                    "to_name": "text",
                    "type": "choices",
                    "value": {"choices": systems_of(task["data"]["text"])},
                }
            )
    return tasks


def without_regions(tasks: list[dict[str, Any]], *from_names: str) -> list[dict[str, Any]]:
    """The tasks without the regions of the given controls (for configs that lack them)."""
    for task in tasks:
        for completion in task.get("completions", []):
            completion["result"] = [
                r for r in completion["result"] if r["from_name"] not in from_names
            ]
    return tasks


def with_choice(tasks: list[dict[str, Any]], group: str, value: str) -> list[dict[str, Any]]:
    """Every completion choosing ``value`` in ``group``: a group a classifier cannot learn."""
    for task in tasks:
        for completion in task.get("completions", []):
            for r in completion["result"]:
                if r["from_name"] == group:
                    r["value"]["choices"] = [value]
    return tasks


# --- people and places: the session NER model (tests/training/conftest.py, trained_ner) -----

PEOPLE = ["John Smith", "Mary Jones", "Bob", "Alice Brown", "Émile Zola"]
PLACES = ["Paris", "London", "New York", "Berlin", "São Paulo"]
TEMPLATES = [
    "{person} lives in {place}.",
    "Yesterday {person} flew to {place} again.",
    "In {place}, {person} met friends.",
    "{person} visited {place} 😀 last week.",
]


def tagged(text: str, entities: dict[str, str]) -> LabeledSentence:
    """``text`` (one sentence) tagged BIO from the first occurrence of each entity string."""
    [sentence] = tokenize(text)
    tags = []
    for token in sentence.tokens:
        tag = "O"
        for entity, label in entities.items():
            start = text.find(entity)
            if start <= token.start < start + len(entity):
                tag = ("B-" if token.start == start else "I-") + label
        tags.append(tag)
    return LabeledSentence.from_sentence(sentence, tags)


#: The labeling config of ``corpus``'s labels (the session's NER model, ``trained_ner``).
PEOPLE_CONFIG = """<View>
  <Text name="text" value="$text"/>
  <Labels name="label" toName="text">
    <Label value="PER"/>
    <Label value="LOC"/>
  </Labels>
</View>
"""


def corpus(count: int, seed: int = 7) -> list[LabeledSentence]:
    rng = random.Random(seed)
    sentences = []
    for _ in range(count):
        person, place = rng.choice(PEOPLE), rng.choice(PLACES)
        text = rng.choice(TEMPLATES).format(person=person, place=place)
        sentences.append(tagged(text, {person: "PER", place: "LOC"}))
    return sentences
