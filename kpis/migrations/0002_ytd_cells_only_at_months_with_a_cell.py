"""YTD cells now exist only where their closing month has a month cell (kpis/README.md). Cells built
before keep YTD windows over months with neither an actual nor a target; the incremental rollup only
revisits series that change, so drop those cells here and every database follows the definition."""

from django.db import migrations

DROP_YTD_WITHOUT_MONTH = """
DELETE FROM kpis_scorecardcell
WHERE grain = 'ytd' AND NOT EXISTS (
    SELECT 1 FROM kpis_scorecardcell m
    WHERE m.org_unit_id = kpis_scorecardcell.org_unit_id AND m.grain = 'month'
      AND m.partnership_key = kpis_scorecardcell.partnership_key AND m.period = kpis_scorecardcell.period
      AND m.kpi_id = kpis_scorecardcell.kpi_id)
"""


class Migration(migrations.Migration):
    dependencies = [("kpis", "0001_initial")]

    operations = [migrations.RunSQL(DROP_YTD_WITHOUT_MONTH, reverse_sql=migrations.RunSQL.noop)]
