"""The completions a run selects, their spans and choices, and what they add up to. Pure Python
over the ORM; Spark never appears here, so the web process checks a request with it before
queueing, and the child's trainers (``training.pipeline.trainers``) build their data from it.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from projects import exports
from projects.labeling_config import LabelingConfig
from projects.models import Completion, Project, Task
from projects.selection import select_training_data
from training.params import TrainingParams


@dataclass(frozen=True)
class Document:
    """A task's text with the regions of the completion selected for training."""

    task_id: int
    completion_id: int
    text: str
    result: list[dict[str, Any]]


@dataclass
class Summary:
    tasks: int = 0
    completions: int = 0
    reasons: dict[str, int] = field(default_factory=dict)
    ner_labels: Counter[str] = field(default_factory=Counter)
    assertion_labels: Counter[str] = field(default_factory=Counter)
    choice_groups: dict[str, Counter[str]] = field(default_factory=dict)
    characters: int = 0


@dataclass(frozen=True)
class FrozenTestSet:
    """The project's frozen test set: the selected completions of its test-tagged tasks.

    ``fingerprint`` identifies exactly what a score was measured on (each task, the completion
    chosen for it, its text and its regions): two scores are compared only when their
    fingerprints are equal, and an edit, a new test task or another selection changes it.
    """

    documents: list[Document]
    fingerprint: str

    @property
    def size(self) -> int:
        return len(self.documents)

    @property
    def is_empty(self) -> bool:
        return not self.documents


def documents_of(completion_ids: list[int]) -> list[Document]:
    rows = (
        Completion.objects.filter(pk__in=completion_ids)
        .order_by("task_id")
        .values_list("task_id", "id", "task__data", "result")
    )
    return [
        Document(task_id, completion_id, str((data or {}).get("text", "")), result or [])
        for task_id, completion_id, data, result in rows
    ]


def selected_documents(
    *, project: Project, params: TrainingParams
) -> tuple[list[Document], dict[str, int]]:
    """The training data: test-set tasks never reach it (reason ``test_set``)."""
    selection = select_training_data(
        project=project, tags=params.tags or None, completions=params.completions
    )
    return documents_of(selection.selected_completion_ids()), selection.counts


def frozen_test_set(*, project: Project, completions: str = "submitted") -> FrozenTestSet:
    """The test set as the selection rules pick it today (``params.completions`` included)."""
    selection = select_training_data(project=project, completions=completions, test_set=True)
    documents = documents_of(selection.selected_completion_ids())
    digest = hashlib.sha256()
    for document in documents:
        digest.update(
            json.dumps(
                [document.task_id, document.completion_id, document.text, document.result],
                sort_keys=True,
                ensure_ascii=False,
            ).encode("utf-8")
        )
        digest.update(b"\n")
    return FrozenTestSet(documents=documents, fingerprint=digest.hexdigest()[:16])


def project_texts(project: Project) -> list[str]:
    """Every task text of the project, labelled or not: what Word2Vec embeddings learn from."""
    return [
        str((data or {}).get("text", ""))
        for data in Task.objects.filter(project=project)
        .order_by("id")
        .values_list("data", flat=True)
    ]


def ner_label_pairs(config: LabelingConfig) -> set[tuple[str, str]]:
    """(``<Labels name>``, value) of each NER label; one value may be an assertion elsewhere."""
    return {
        (group.name, label.value)
        for group in config.labels
        for label in group.labels
        if not label.assertion
    }


def assertion_label_pairs(config: LabelingConfig) -> set[tuple[str, str]]:
    return {
        (group.name, label.value)
        for group in config.labels
        for label in group.labels
        if label.assertion
    }


def ner_spans(document: Document, config: LabelingConfig) -> list[tuple[int, int, str]]:
    return exports.ner_spans(document.result, ner_label_pairs(config))


def assertion_spans(document: Document, config: LabelingConfig) -> list[tuple[int, int, str]]:
    """An assertion status is a second region on the same span as its NER region (api.md)."""
    return exports.ner_spans(document.result, assertion_label_pairs(config))


def choices_of(document: Document, group: str) -> list[str]:
    for region in document.result:
        if region.get("type") == "choices" and region.get("from_name") == group:
            return [str(c) for c in (region.get("value") or {}).get("choices") or []]
    return []


def summarize(*, project: Project, config: LabelingConfig, params: TrainingParams) -> Summary:
    documents, reasons = selected_documents(project=project, params=params)
    summary = Summary(tasks=sum(reasons.values()), completions=len(documents), reasons=reasons)
    characters: set[str] = set()
    for document in documents:
        characters.update(document.text)
        summary.ner_labels.update(label for _, _, label in ner_spans(document, config))
        summary.assertion_labels.update(label for _, _, label in assertion_spans(document, config))
        for group in config.choices:
            chosen = choices_of(document, group.name)
            if chosen:
                summary.choice_groups.setdefault(group.name, Counter()).update(chosen)
    summary.characters = len(characters)
    return summary


def ner_graph_problem(summary: Summary, *, embeddings_dim: int = 100) -> str | None:
    """Why no bundled NerDL graph fits this data, or None (NerDLGraphChecker's rule).

    Characters are counted over the whole texts, a little more than NerDL counts (the tokens
    only), so a request that passes here never fails on the graph later.
    """
    from training.engine.ner import check_ner_graph  # pure Python: no JVM starts

    tags = 2 * len(summary.ner_labels) + 1  # B- and I- per label, plus O
    return check_ner_graph(tags, embeddings_dim, summary.characters)
