"""Anonymised peer benchmarks (issue 19): where a partnership stands, per KPI and month, among the
partnerships of the same type — a quartile band, the cohort's median and size; never a peer's name
or value. Leaders (internal users) see the named grid of the partnerships in their scope.

``models`` here: the cohort statistics and each partnership's position, stored by the rollup. They
are computed from KPI figures, so the refresh, the readers and the demo live above the KPIs, in
``kpis.benchmarks``.
"""
