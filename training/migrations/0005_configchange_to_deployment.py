"""ConfigChange rows become Deployment records (trigger from their run, else manual); the
binding maps are computed from the stored config text with the same pure function the service
uses. Backwards: a ConfigChange for every record whose config text changed."""

from django.db import migrations

from projects.labeling_config import binding_map


def config_changes_to_deployments(apps, schema_editor):
    ConfigChange = apps.get_model("training", "ConfigChange")
    Deployment = apps.get_model("training", "Deployment")
    changes = ConfigChange.objects.select_related("training_run").order_by("changed_at", "id")
    for change in changes.iterator():
        Deployment.objects.create(
            project_id=change.project_id,
            created_at=change.changed_at,
            actor_id=change.changed_by_id,
            trigger=change.training_run.trigger if change.training_run else "manual",
            model_names=change.model_names,
            before=binding_map(change.old_config),
            after=binding_map(change.new_config),
            training_run_id=change.training_run_id,
            old_config=change.old_config,
            new_config=change.new_config,
        )


def deployments_to_config_changes(apps, schema_editor):
    ConfigChange = apps.get_model("training", "ConfigChange")
    Deployment = apps.get_model("training", "Deployment")
    for record in Deployment.objects.order_by("created_at", "id").iterator():
        if record.old_config == record.new_config:
            continue
        change = ConfigChange.objects.create(
            project_id=record.project_id,
            model_names=record.model_names,
            old_config=record.old_config,
            new_config=record.new_config,
            changed_by_id=record.actor_id,
            training_run_id=record.training_run_id,
        )
        # changed_at is auto_now_add: set the record's time afterwards.
        ConfigChange.objects.filter(pk=change.pk).update(changed_at=record.created_at)
    Deployment.objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("training", "0004_deployment")]

    operations = [
        migrations.RunPython(config_changes_to_deployments, deployments_to_config_changes),
    ]
