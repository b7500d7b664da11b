"""``reference`` in 32 stripes (``kpis.services.data_version``): a committing writer bumps a stripe no
other transaction holds, so it never waits for the counter while it still has foreign keys to
check (one row made a writer that bumped, then checked a key, wait for a writer that held that key
and waited for the row: a deadlock). The version is the stripes' sum. The function also notes the
bump under the transaction's own id and refuses to bump nothing."""

from django.db import migrations

TABLE = "kpis_dashboard_version"
FUNCTION = "kpis_dashboard_reference_changed"
STRIPES = 32

FUNCTION_SQL = f"""CREATE OR REPLACE FUNCTION {FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    me text := pg_current_xact_id()::text;
    chosen int;
BEGIN
    IF current_setting('accord.dashboard_reference_bumped', true) = me THEN
        RETURN NULL;  -- bumped already in this transaction
    END IF;
    SELECT stripe INTO chosen FROM {TABLE} WHERE name = 'reference'
        ORDER BY random() LIMIT 1 FOR UPDATE SKIP LOCKED;
    IF chosen IS NULL THEN  -- every stripe is being bumped: wait for one
        chosen := floor(random() * {STRIPES})::int;
    END IF;
    UPDATE {TABLE} SET version = version + 1 WHERE name = 'reference' AND stripe = chosen;
    IF NOT FOUND THEN
        RAISE EXCEPTION '{TABLE} has no reference stripe %', chosen;
    END IF;
    PERFORM set_config('accord.dashboard_reference_bumped', me, true);
    RETURN NULL;
END $$"""

OLD_FUNCTION_SQL = f"""CREATE OR REPLACE FUNCTION {FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('accord.dashboard_reference_bumped', true) = 'yes' THEN
        RETURN NULL;
    END IF;
    UPDATE {TABLE} SET version = version + 1 WHERE name = 'reference';
    PERFORM set_config('accord.dashboard_reference_bumped', 'yes', true);
    RETURN NULL;
END $$"""


class Migration(migrations.Migration):

    dependencies = [("kpis", "0009_dashboard_version")]

    operations = [
        migrations.RunSQL(
            [f"ALTER TABLE {TABLE} ADD COLUMN stripe int NOT NULL DEFAULT 0",
             f"ALTER TABLE {TABLE} DROP CONSTRAINT {TABLE}_pkey",
             f"ALTER TABLE {TABLE} ADD PRIMARY KEY (name, stripe)",
             f"INSERT INTO {TABLE} (name, stripe) SELECT 'reference', s FROM generate_series(1, {STRIPES - 1}) s",
             FUNCTION_SQL],
            [f"DELETE FROM {TABLE} WHERE stripe > 0",
             f"ALTER TABLE {TABLE} DROP CONSTRAINT {TABLE}_pkey",
             f"ALTER TABLE {TABLE} DROP COLUMN stripe",
             f"ALTER TABLE {TABLE} ADD PRIMARY KEY (name)",
             OLD_FUNCTION_SQL],
        ),
    ]
