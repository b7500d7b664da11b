"""Writes for the KPI app (one module per noun): ``definitions`` (KPIs, targets, objectives),
``measurements`` (actuals in), ``rollup`` (scorecard cells), ``scorecards`` (function/partner)."""
