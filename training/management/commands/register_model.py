"""Register a Spark NLP model trained elsewhere, so labeling configs can name it.

    python manage.py register_model NAME --type ner --path /models/ner_clinical \
        --labels PROBLEM,TEST,TREATMENT [--project clinic] [--group age]

Deployment of models trained in annolab leaves labels bound to a registered model alone.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from annolab.errors import ValidationFailed
from projects.models import Project
from training.models import ModelType
from training.services import model_register


class Command(BaseCommand):
    help = "Register a saved Spark NLP PipelineModel folder in the model registry."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name")
        parser.add_argument("--type", required=True, choices=ModelType.values)
        parser.add_argument("--path", required=True, help="the saved PipelineModel folder")
        parser.add_argument("--labels", required=True, help="comma-separated labels or choices")
        parser.add_argument("--project", help="the project it belongs to (optional)")
        parser.add_argument("--group", default="", help="classification: the <Choices> name")
        parser.add_argument("--multi-label", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["path"]).resolve()
        if not (path / "metadata").is_dir() and not (path / "stages").is_dir():
            raise CommandError(f"{path} is not a saved Spark PipelineModel folder.")
        project = None
        if options["project"]:
            project = Project.objects.filter(name=options["project"]).first()
            if project is None:
                raise CommandError(f"No project named {options['project']!r}.")
        labels = [label.strip() for label in options["labels"].split(",") if label.strip()]
        try:
            model = model_register(
                name=options["name"],
                model_type=options["type"],
                path=str(path),
                labels=labels,
                project=project,
                choices_group=options["group"],
                multi_label=options["multi_label"],
            )
        except ValidationFailed as exc:
            raise CommandError(exc.detail) from exc
        self.stdout.write(f"Registered {model.name} ({model.type}, {len(labels)} labels).")
