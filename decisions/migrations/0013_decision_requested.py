from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    """Built concurrently: writes go on while a large decision table is indexed."""

    atomic = False

    dependencies = [
        ("decisions", "0012_analytics_snapshot"),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="decision",
            index=models.Index(fields=["requested_at", "id"], name="decision_requested"),
        ),
    ]
