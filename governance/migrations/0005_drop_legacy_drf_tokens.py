"""API tokens moved from rest_framework.authtoken (one permanent token per user, stored in clear) to
django-rest-knox (expiring, hashed): drop the old table and its migration records, so no
clear-text token outlives the switch."""

from django.db import migrations


def drop_legacy_tokens(apps, schema_editor):
    connection = schema_editor.connection
    if "authtoken_token" in connection.introspection.table_names():
        schema_editor.execute("DROP TABLE authtoken_token")
    schema_editor.execute("DELETE FROM django_migrations WHERE app = 'authtoken'")


class Migration(migrations.Migration):

    dependencies = [("governance", "0004_user_timezone")]

    operations = [migrations.RunPython(drop_legacy_tokens, migrations.RunPython.noop)]
