"""Training parameters (api.md "Training"): defaults, ranges and one error per bad field.

Learning rate and batch size have different defaults for NER and classification; when the
caller leaves them out, ``None`` is stored and each model type takes its own default.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings

from annolab.errors import ValidationFailed

MODEL_TYPES = ("ner", "assertion", "classification")
DEFAULT_LEARNING_RATE = {"ner": 0.001, "assertion": 0.005, "classification": 0.005}
DEFAULT_BATCH_SIZE = {"ner": 8, "assertion": 64, "classification": 64}


@dataclass(frozen=True)
class TrainingParams:
    validation_split: float = 0.2
    epochs: int = 10
    learning_rate: float | None = None
    decay: float = 0.005
    dropout: float = 0.5
    batch_size: int | None = None
    tags: list[str] = field(default_factory=list)
    completions: str = "submitted"
    model_types: list[str] | None = None
    classification_groups: str = "default"
    embeddings: dict[str, Any] = field(default_factory=lambda: {"source": "word2vec"})

    def learning_rate_for(self, model_type: str) -> float:
        return (
            self.learning_rate
            if self.learning_rate is not None
            else DEFAULT_LEARNING_RATE[model_type]
        )

    def batch_size_for(self, model_type: str) -> int:
        return self.batch_size if self.batch_size is not None else DEFAULT_BATCH_SIZE[model_type]

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def embeddings_file(path: str) -> Path | None:
    """The file under EMBEDDINGS_DIR that ``path`` names, or None (missing, or outside it).

    Checked when a run is requested (a 400 naming ``params.embeddings.path``) and again when the
    run reads it, since the file may be gone by then.
    """
    root = Path(settings.EMBEDDINGS_DIR).resolve()
    candidate = (root / path).resolve()
    if not candidate.is_relative_to(root) or not candidate.is_file():
        return None
    return candidate


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def parse_params(raw: Any) -> TrainingParams:
    """Validate ``params`` from a request; raises ValidationFailed naming every bad field."""
    if raw is None:
        return TrainingParams()
    if not isinstance(raw, dict):
        raise ValidationFailed(
            "params must be an object.", [{"field": "params", "message": "Must be an object."}]
        )
    errors: list[dict[str, Any]] = []

    def bad(name: str, message: str) -> None:
        errors.append({"field": f"params.{name}", "message": message})

    known = set(TrainingParams.__dataclass_fields__)
    for name in sorted(set(raw) - known):
        bad(name, f"Unknown parameter; known: {', '.join(sorted(known))}.")

    values: dict[str, Any] = {}
    ranges: dict[str, tuple[str, Any]] = {
        "validation_split": ("0 to 0.5", lambda v: _number(v) and 0 <= v <= 0.5),
        "epochs": (
            "a whole number from 1 to 500",
            lambda v: isinstance(v, int) and not isinstance(v, bool) and 1 <= v <= 500,
        ),
        "learning_rate": ("greater than 0 and at most 1", lambda v: _number(v) and 0 < v <= 1),
        "decay": ("0 to 1", lambda v: _number(v) and 0 <= v <= 1),
        "dropout": ("at least 0 and less than 1", lambda v: _number(v) and 0 <= v < 1),
        "batch_size": (
            "a whole number from 1 to 1024",
            lambda v: isinstance(v, int) and not isinstance(v, bool) and 1 <= v <= 1024,
        ),
    }
    for name, (description, ok) in ranges.items():
        if name in raw and raw[name] is not None:
            if ok(raw[name]):
                values[name] = raw[name]
            else:
                bad(name, f"Must be {description}; got {raw[name]!r}.")

    if "tags" in raw and raw["tags"] is not None:
        tags = raw["tags"]
        if isinstance(tags, list) and all(isinstance(t, str) and t for t in tags):
            values["tags"] = tags
        else:
            bad("tags", "Must be a list of tag names.")
    if "completions" in raw and raw["completions"] is not None:
        if raw["completions"] in ("submitted", "reviewed"):
            values["completions"] = raw["completions"]
        else:
            bad("completions", "Must be 'submitted' or 'reviewed'.")
    if "model_types" in raw and raw["model_types"] is not None:
        types = raw["model_types"]
        if isinstance(types, list) and types and all(t in MODEL_TYPES for t in types):
            values["model_types"] = [t for t in MODEL_TYPES if t in types]
        else:
            bad("model_types", f"Must be a non-empty subset of {', '.join(MODEL_TYPES)}.")
    if "classification_groups" in raw and raw["classification_groups"] is not None:
        if raw["classification_groups"] in ("default", "all"):
            values["classification_groups"] = raw["classification_groups"]
        else:
            bad("classification_groups", "Must be 'default' or 'all'.")
    if "embeddings" in raw and raw["embeddings"] is not None:
        embeddings = raw["embeddings"]
        source = embeddings.get("source") if isinstance(embeddings, dict) else None
        if source == "word2vec":
            values["embeddings"] = {"source": "word2vec"}
        elif source == "file":
            path = embeddings.get("path")
            if not (
                isinstance(path, str)
                and path
                and not path.startswith("/")
                and ".." not in path.split("/")
            ):
                errors.append(
                    {
                        "field": "params.embeddings.path",
                        "message": "A file name relative to the server's embeddings directory.",
                    }
                )
            elif embeddings_file(path) is None:
                errors.append(
                    {
                        "field": "params.embeddings.path",
                        "message": f"No embeddings file {path!r} in the server's embeddings "
                        "directory.",
                    }
                )
            else:
                values["embeddings"] = {"source": "file", "path": path}
        elif source == "pretrained":
            name = embeddings.get("name")
            if isinstance(name, str) and name:
                values["embeddings"] = {"source": "pretrained", "name": name}
            else:
                errors.append(
                    {"field": "params.embeddings.name", "message": "A pretrained model name."}
                )
        else:
            errors.append(
                {
                    "field": "params.embeddings.source",
                    "message": "Must be 'word2vec', 'file' or 'pretrained'.",
                }
            )
    if errors:
        first = errors[0]
        raise ValidationFailed(f"{first['field']}: {first['message']}", errors)
    return TrainingParams(**values)
