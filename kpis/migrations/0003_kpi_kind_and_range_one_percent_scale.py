"""KPI kinds and ranges; percent KPIs on one scale.

Percent KPIs were stored on two scales: ratio KPIs as fractions (0.63), average KPIs as points
(82.8) — each shown as the old formatter read it. From here every percent value is a fraction
(0.63 = 63%, as Excel stores it): the kind of each KPI is set from its unit (% → percent, EUR … →
currency, days … → duration, sums/stocks whose every value is a whole number ≥ 0 → count, else
number), then the actuals and targets of non-ratio percent KPIs are divided by 100, each change with
its history row ('~', reason below), and their keys are marked dirty so the rollup recomputes the
cells (the beat runs it within minutes; ``manage.py rollup_scorecards`` at once).
"""

from django.db import migrations, models

REASON = "Percent KPIs on one scale: points to fraction (0.63 = 63%)"
SET_KINDS = """
UPDATE kpis_kpi k SET kind = CASE
    WHEN k.unit = '%' THEN 'percent'
    WHEN k.unit IN ('EUR', 'USD', 'GBP', 'JPY') THEN 'currency'
    WHEN k.unit IN ('days', 'hours', 'weeks', 'minutes') THEN 'duration'
    WHEN k.aggregation IN ('sum', 'latest') AND NOT EXISTS (
        SELECT 1 FROM kpis_measurement m WHERE m.kpi_id = k.id AND (m.value < 0 OR m.value <> trunc(m.value)))
        THEN 'count'
    ELSE 'number' END
"""
POINTS = "SELECT id FROM kpis_kpi WHERE kind = 'percent' AND aggregation <> 'ratio'"


def _tracked(apps, name):
    history = apps.get_model("kpis", f"Historical{name}")
    return [f.column for f in history._meta.concrete_fields if not f.name.startswith("history_")]


def _rescale(apps, schema_editor, factor: str) -> None:
    with schema_editor.connection.cursor() as cur:
        if factor == "0.01":
            cur.execute(SET_KINDS)
            cols = ", ".join(_tracked(apps, "KPI"))
            cur.execute(f"INSERT INTO kpis_historicalkpi ({cols}, history_date, history_change_reason, "  # noqa: S608
                        f"history_type, history_user_id) SELECT {cols}, now(), %s, '~', NULL FROM kpis_kpi",
                        [REASON])
        for name, table in (("Measurement", "kpis_measurement"), ("Target", "kpis_target")):
            cols = ", ".join(_tracked(apps, name))
            cur.execute(
                f"WITH up AS (UPDATE {table} SET value = value * {factor} WHERE kpi_id IN ({POINTS}) "  # noqa: S608
                f"AND value IS NOT NULL RETURNING *) "
                f"INSERT INTO kpis_historical{name.lower()} ({cols}, history_date, history_change_reason, "
                f"history_type, history_user_id) SELECT {cols}, now(), %s, '~', NULL FROM up", [REASON])
        cur.execute(f"INSERT INTO kpis_dirtycell (kpi_id, org_unit_id, partnership_key, period) "  # noqa: S608
                    f"SELECT kpi_id, org_unit_id, partnership_key, period FROM kpis_measurement WHERE kpi_id IN "
                    f"({POINTS}) UNION SELECT kpi_id, org_unit_id, partnership_key, period FROM kpis_target "
                    f"WHERE kpi_id IN ({POINTS}) ON CONFLICT DO NOTHING")


def forwards(apps, schema_editor):
    _rescale(apps, schema_editor, "0.01")


def backwards(apps, schema_editor):
    _rescale(apps, schema_editor, "100")


class Migration(migrations.Migration):

    dependencies = [
        ('kpis', '0002_ytd_cells_only_at_months_with_a_cell'),
    ]

    operations = [
        migrations.AddField(
            model_name='historicalkpi',
            name='kind',
            field=models.CharField(choices=[('percent', 'Percent (stored as a fraction: 0.63 = 63%)'), ('count', 'Count (whole number, not negative)'), ('currency', 'Currency amount'), ('duration', 'Duration (not negative)'), ('score', 'Score (between a minimum and a maximum)'), ('number', 'Number')], default='number', help_text='What the values are: decides the valid range and how they are shown.', max_length=16),
        ),
        migrations.AddField(
            model_name='historicalkpi',
            name='max_value',
            field=models.DecimalField(blank=True, decimal_places=6, help_text="Largest valid actual (empty: the kind's default). Percent: 1 = 100%.", max_digits=20, null=True),
        ),
        migrations.AddField(
            model_name='historicalkpi',
            name='min_value',
            field=models.DecimalField(blank=True, decimal_places=6, help_text="Smallest valid actual (empty: the kind's default). Percent: 0.5 = 50%.", max_digits=20, null=True),
        ),
        migrations.AddField(
            model_name='kpi',
            name='kind',
            field=models.CharField(choices=[('percent', 'Percent (stored as a fraction: 0.63 = 63%)'), ('count', 'Count (whole number, not negative)'), ('currency', 'Currency amount'), ('duration', 'Duration (not negative)'), ('score', 'Score (between a minimum and a maximum)'), ('number', 'Number')], default='number', help_text='What the values are: decides the valid range and how they are shown.', max_length=16),
        ),
        migrations.AddField(
            model_name='kpi',
            name='max_value',
            field=models.DecimalField(blank=True, decimal_places=6, help_text="Largest valid actual (empty: the kind's default). Percent: 1 = 100%.", max_digits=20, null=True),
        ),
        migrations.AddField(
            model_name='kpi',
            name='min_value',
            field=models.DecimalField(blank=True, decimal_places=6, help_text="Smallest valid actual (empty: the kind's default). Percent: 0.5 = 50%.", max_digits=20, null=True),
        ),
        migrations.RunPython(forwards, backwards),
    ]
