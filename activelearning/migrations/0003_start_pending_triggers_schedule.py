from django.db import migrations

from annolab.schedules import schedule_creator, schedule_remover

NAME = "annolab: start pending triggers"


class Migration(migrations.Migration):
    dependencies = [
        ("activelearning", "0002_task_skip"),
        ("django_q", "0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more"),
    ]

    operations = [
        migrations.RunPython(
            schedule_creator(NAME, "activelearning.tasks.start_pending_triggers"),
            schedule_remover(NAME),
        )
    ]
