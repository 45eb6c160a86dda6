"""Create the demo admin, team and project that `make run` shows. Safe to run again."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from annolab.errors import ValidationFailed
from projects import services
from projects.demo import DEMO_CONFIG, DEMO_PROJECT, demo_tasks
from projects.imports import tasks_import
from projects.models import Project, Role

DEMO_ADMIN = ("admin", "annolab-demo")
DEMO_TEAM = [
    ("mike", Role.MANAGER),
    ("anna", Role.ANNOTATOR),
    ("ben", Role.ANNOTATOR),
    ("rita", Role.REVIEWER),
]


class Command(BaseCommand):
    help = "Create the demo admin (admin / annolab-demo), team and mixed-config demo project."

    def handle(self, *args: Any, **options: Any) -> None:
        User = get_user_model()
        username, password = DEMO_ADMIN
        admin = User.objects.filter(username=username).first()
        if admin is None:
            admin = User.objects.create_superuser(username=username, password=password, email="")
            self.stdout.write(f"Created the demo admin: {username} / {password}")
        if Project.objects.filter(name=DEMO_PROJECT).exists():
            self.stdout.write(f"The demo project '{DEMO_PROJECT}' exists already.")
            return
        try:
            with transaction.atomic():
                for member, _role in DEMO_TEAM:
                    if not User.objects.filter(username=member).exists():
                        User.objects.create_user(username=member, password=f"{member}-demo")
                project = services.project_create(
                    owner=admin,
                    name=DEMO_PROJECT,
                    description=(
                        "Clinical notes: symptoms, diseases, drugs, assertion status, "
                        "age and smoking."
                    ),
                    labeling_config=DEMO_CONFIG,
                )
                for member, role in DEMO_TEAM:
                    services.member_add(project=project, actor=admin, username=member, role=role)
                result = tasks_import(project=project, payload=demo_tasks())
        except ValidationFailed as exc:
            raise CommandError(f"{exc.detail} {exc.errors[:3]}") from exc
        self.stdout.write(
            f"Created '{DEMO_PROJECT}' with {result.task_count} tasks and "
            f"{result.completion_count} completions (team password: <name>-demo)."
        )
