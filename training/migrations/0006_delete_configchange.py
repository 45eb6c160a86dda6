"""Deployment replaced ConfigChange (0005 carried its rows over)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("training", "0005_configchange_to_deployment")]

    operations = [
        migrations.DeleteModel(name="ConfigChange"),
    ]
