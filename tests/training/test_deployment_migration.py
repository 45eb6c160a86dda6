"""Migrations 0004–0006: the ConfigChange rows a site already has become Deployment records,
with their binding maps, and going back restores them."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from projects.models import Project

BEFORE = ("training", "0004_deployment")
LATEST = ("training", "0006_delete_configchange")


def migrate(target: tuple[str, str]) -> Any:
    executor = MigrationExecutor(connection)
    executor.migrate([target])
    return MigrationExecutor(connection).loader.project_state([target]).apps


def migrate_to_the_newest() -> None:
    """Every app's last migration, as the rest of the suite expects: migrating back to 0004
    also unapplies every later migration of training (and whatever depends on them)."""
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
def test_config_changes_become_deployments_and_come_back(project: Project, mike: Any) -> None:
    old = project.labeling_config
    new = old.replace('<Label value="Disease"/>', '<Label value="Disease" model="ner_v1"/>')
    try:
        apps = migrate(BEFORE)
        ConfigChange = apps.get_model("training", "ConfigChange")
        TrainingRun = apps.get_model("training", "TrainingRun")
        run = TrainingRun.objects.create(project_id=project.pk, trigger="active_learning")
        by_hand = ConfigChange.objects.create(
            project_id=project.pk,
            model_names=["ner_v1"],
            old_config=old,
            new_config=new,
            changed_by_id=mike.pk,
        )
        ConfigChange.objects.create(
            project_id=project.pk,
            model_names=["ner_v1"],
            old_config=new,
            new_config=old,
            training_run_id=run.pk,
        )

        apps = migrate(LATEST)
        Deployment = apps.get_model("training", "Deployment")
        manual, automatic = Deployment.objects.order_by("created_at", "id")
        assert manual.trigger == "manual" and manual.actor_id == mike.pk
        assert manual.created_at == by_hand.changed_at
        assert manual.before["Disease"] is None and manual.after["Disease"] == "ner_v1"
        assert manual.after["Symptom"] is None and manual.new_config == new
        assert automatic.trigger == "active_learning" and automatic.training_run_id == run.pk
        assert automatic.after["Disease"] is None

        apps = migrate(BEFORE)
        ConfigChange = apps.get_model("training", "ConfigChange")
        back = list(ConfigChange.objects.order_by("changed_at", "id"))
        assert [c.new_config for c in back] == [new, old]
        assert back[0].changed_by_id == mike.pk and back[1].training_run_id == run.pk
        assert not apps.get_model("training", "Deployment").objects.exists()
    finally:
        migrate_to_the_newest()
