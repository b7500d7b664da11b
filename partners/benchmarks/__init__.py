"""Anonymised peer benchmarks (issue 19): where a partnership stands, per KPI and month, among the
partnerships of the same type — a quartile band, the cohort's median and size; never a peer's name
or value. Leaders (internal users) see the named grid of the partnerships in their scope.

* ``models``: the cohort statistics and each partnership's position, stored by the rollup;
* ``compute``: the set-based refresh the scorecard rollup runs in its transaction;
* ``selectors``: what a reader gets (cohorts under ``ACCORD_BENCHMARK_MIN_COHORT`` are absent).
"""
