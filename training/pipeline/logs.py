"""Training logs a person reads: parameters, data, Spark NLP's lines, and the evaluation table."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from training.engine.metrics import EntityMetrics
from training.pipeline.context import RunContext


class TrainingLog:
    def __init__(self, *, title: str, context: RunContext) -> None:
        run = context.run
        self.lines: list[str] = [
            f"annolab training log: {title}",
            f"project: {context.project.name}",
            f"training run: {run.pk} (trigger: {run.trigger}, deploy: {run.deploy})",
            f"written: {timezone.now().isoformat()}",
            "selection: "
            + ", ".join(f"{reason}={count}" for reason, count in sorted(context.reasons.items())),
            f"tasks: {sum(context.reasons.values())}, completions used: {len(context.documents)}",
        ]

    def section(self, heading: str, body: str) -> None:
        self.lines += ["", f"== {heading} ==", body]

    def parameters(self, params: dict[str, Any]) -> None:
        self.section("Parameters", "\n".join(f"{k}: {v}" for k, v in sorted(params.items())))

    def data(self, **facts: Any) -> None:
        lines = []
        for key, value in facts.items():
            if isinstance(value, dict):
                lines.append(f"{key}:")
                lines += [f"  {k}: {v}" for k, v in sorted(value.items())]
            else:
                lines.append(f"{key}: {value}")
        self.section("Data", "\n".join(lines))

    def evaluation(self, metrics: EntityMetrics | None, what: str) -> None:
        if metrics is None:
            self.section("Evaluation", "no validation split (validation_split = 0): no metrics")
            return
        rows = [f"{'label':<24}{'precision':>10}{'recall':>10}{'f1':>10}{'support':>10}"]
        for label, score in metrics.per_label.items():
            rows.append(
                f"{label:<24}{score.precision:>10.4f}{score.recall:>10.4f}"
                f"{score.f1:>10.4f}{score.support:>10}"
            )
        for name, score in (("micro", metrics.micro), ("macro", metrics.macro)):
            rows.append(
                f"{name:<24}{score.precision:>10.4f}{score.recall:>10.4f}"
                f"{score.f1:>10.4f}{score.support:>10}"
            )
        self.section(f"Evaluation on the validation split ({what})", "\n".join(rows))

    def text(self) -> str:
        return "\n".join(self.lines) + "\n"
