"""The dashboard's data version (``kpis.services.data_version``): its table, and triggers on each table
of ``REFERENCE_MODELS`` that bump ``reference`` when a transaction writing it commits."""

from django.db import migrations

TABLE = "kpis_dashboard_version"
FUNCTION = "kpis_dashboard_reference_changed"
TRIGGER = "kpis_dashboard_reference"
TRUNCATE_TRIGGER = "kpis_dashboard_reference_truncate"

# The tables that bump ``reference`` (a many-to-many's table as "app.Model.field"), as of this
# migration: what the dashboard read then. A later table gets its trigger in a later migration.
REFERENCE_MODELS = (
    "kpis.KPI", "kpis.KPIOwnership", "kpis.StrategicObjective", "kpis.StrategicObjective.kpis",
    "governance.OrgUnit", "governance.OrgUnitClosure", "governance.Assignment", "governance.Function",
    "governance.User.groups",
    "partners.Partner", "partners.Partnership", "partners.Partnership.org_units", "partners.Partnership.members",
    "partners.PartnershipUserObjectPermission", "partners.PartnershipGroupObjectPermission",
    "auth.Group", "auth.Permission",
)


def reference_tables(apps) -> list[str]:
    tables = []
    for name in REFERENCE_MODELS:
        app_label, model_name, *field = name.split(".")
        model = apps.get_model(app_label, model_name)
        tables.append(model._meta.get_field(field[0]).remote_field.through._meta.db_table if field
                      else model._meta.db_table)
    return tables


def install(apps, schema_editor):
    """The counters; the function bumping ``reference`` once per transaction; on each table a
    constraint trigger deferred to the commit (a bump at each statement would hold the counter's
    row from the first write on: two writers of these tables could then each hold a row the other
    waits for) and a trigger for ``TRUNCATE`` (which a constraint trigger cannot follow). Both fire
    ``ALWAYS``: also under ``session_replication_role = replica`` (bulk loads, ``pg_restore
    --disable-triggers``)."""
    execute = schema_editor.execute
    execute(f"CREATE TABLE {TABLE} (name text PRIMARY KEY, version bigint NOT NULL DEFAULT 0)")
    execute(f"INSERT INTO {TABLE} (name) VALUES ('cells'), ('reference')")
    execute(f"""CREATE FUNCTION {FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('accord.dashboard_reference_bumped', true) = 'yes' THEN
        RETURN NULL;  -- bumped already in this transaction
    END IF;
    UPDATE {TABLE} SET version = version + 1 WHERE name = 'reference';
    PERFORM set_config('accord.dashboard_reference_bumped', 'yes', true);
    RETURN NULL;
END $$""")
    for table in reference_tables(apps):
        execute(f'CREATE CONSTRAINT TRIGGER {TRIGGER} AFTER INSERT OR UPDATE OR DELETE ON "{table}" '
                f"DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION {FUNCTION}()")
        execute(f'CREATE TRIGGER {TRUNCATE_TRIGGER} AFTER TRUNCATE ON "{table}" '
                f"FOR EACH STATEMENT EXECUTE FUNCTION {FUNCTION}()")
        execute(f'ALTER TABLE "{table}" ENABLE ALWAYS TRIGGER {TRIGGER}')
        execute(f'ALTER TABLE "{table}" ENABLE ALWAYS TRIGGER {TRUNCATE_TRIGGER}')


def uninstall(apps, schema_editor):
    for table in reference_tables(apps):
        schema_editor.execute(f'DROP TRIGGER IF EXISTS {TRIGGER} ON "{table}"')
        schema_editor.execute(f'DROP TRIGGER IF EXISTS {TRUNCATE_TRIGGER} ON "{table}"')
    schema_editor.execute(f"DROP FUNCTION IF EXISTS {FUNCTION}()")
    schema_editor.execute(f"DROP TABLE IF EXISTS {TABLE}")


class Migration(migrations.Migration):

    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("governance", "0009_notificationpreference"),
        ("partners", "0007_enablement_archived"),
        ("kpis", "0008_objective_cascade"),
    ]

    operations = [migrations.RunPython(install, uninstall)]
