"""Anonymised peer benchmarks (issue 19), computed and read here, above the partners app whose
partnerships they compare: the stored rows are ``partners.benchmarks.models`` (partnership data,
kept with the partnership); the figures come from the KPI scorecard.

* ``compute``: the set-based refresh the scorecard rollup runs in its transaction;
* ``selectors``: what a reader gets (cohorts under ``ACCORD_BENCHMARK_MIN_COHORT`` are absent);
* ``demo``: the demo's peer partnerships and their figures.
"""
