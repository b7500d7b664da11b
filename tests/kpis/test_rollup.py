"""Rollup correctness: each aggregation, ancestors, quarter/YTD, targets, RAG and coverage,
incremental recomputation and the after-commit enqueue."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.management import call_command

from kpis.models import DirtyCell, Measurement, ScorecardCell
from kpis.services.definitions import kpi_update
from kpis.services.rollup import rollup_incremental
from tests.kpis.conftest import cell

pytestmark = pytest.mark.django_db


def d(x):
    return Decimal(str(x))


def q(x, places="0.0001"):
    return None if x is None else x.quantize(Decimal(places))


def test_sum_kpi_rolls_up_markets_to_cluster_region_and_global(org, kpis, record, target):
    record(kpis["REV"], org["DE"], "2025-01", value=100)
    record(kpis["REV"], org["AT"], "2025-01", value=50)
    record(kpis["REV"], org["JP"], "2025-01", value=30)
    target(kpis["REV"], org["DE"], "2025-01", 100)
    target(kpis["REV"], org["AT"], "2025-01", 80)
    rollup_incremental()
    assert cell(kpis["REV"], org["DACH"], "2025-01").actual == 150
    assert cell(kpis["REV"], org["EMEA"], "2025-01").actual == 150
    assert cell(kpis["REV"], org["GLOBAL"], "2025-01").actual == 180
    dach = cell(kpis["REV"], org["DACH"], "2025-01")
    assert dach.target == 180  # derived: Σ of the markets' targets
    assert q(dach.attainment) == d("0.8333") and dach.rag == "red"
    assert (dach.reporting, dach.expected) == (2, 2)
    assert cell(kpis["REV"], org["DE"], "2025-01").rag == "green"
    at = cell(kpis["REV"], org["AT"], "2025-01")
    assert at.attainment == d("0.625") and at.rag == "red"
    assert not DirtyCell.objects.exists()


def test_average_kpi_is_the_mean_of_the_underlying_measurements(org, kpis, record):
    record(kpis["NPS"], org["DE"], "2025-01", value=10)
    record(kpis["NPS"], org["AT"], "2025-01", value=20)
    record(kpis["NPS"], org["JP"], "2025-01", value=60)
    record(kpis["NPS"], org["DE"], "2025-02", value=40)
    rollup_incremental()
    assert cell(kpis["NPS"], org["DACH"], "2025-01").actual == 15
    assert cell(kpis["NPS"], org["GLOBAL"], "2025-01").actual == 30  # not the mean of region means (37.5)
    # Q1 at DACH: (10 + 20 + 40) / 3 measurements
    assert q(cell(kpis["NPS"], org["DACH"], "2025-01", grain="quarter").actual) == d("23.3333")
    assert cell(kpis["NPS"], org["DE"], "2025-02", grain="ytd").actual == 25


def test_ratio_kpi_rolls_up_as_sum_of_numerators_over_sum_of_denominators(org, kpis, record, target):
    record(kpis["SHARE"], org["DE"], "2025-01", numerator=1, denominator=2)
    record(kpis["SHARE"], org["AT"], "2025-01", numerator=30, denominator=40)
    record(kpis["SHARE"], org["AT"], "2025-02", numerator=0, denominator=18)
    target(kpis["SHARE"], org["DE"], "2025-01", "0.6")
    target(kpis["SHARE"], org["AT"], "2025-01", "0.7")
    rollup_incremental()
    dach = cell(kpis["SHARE"], org["DACH"], "2025-01")
    assert (dach.numerator, dach.denominator) == (31, 42)
    assert q(dach.actual) == d("0.7381")  # the mean of ratios would be 0.625
    assert dach.target == d("0.65")  # ratio targets of children: their mean
    assert dach.rag == "green"
    assert q(cell(kpis["SHARE"], org["DACH"], "2025-01", grain="quarter").actual) == d("0.5167")  # 31 / 60
    assert Measurement.objects.get(org_unit=org["DE"], kpi=kpis["SHARE"]).value == d("0.5")


def test_latest_kpi_takes_the_last_month_of_the_window_and_sums_across_units(org, kpis, record, target):
    for month, de, at in [("2025-01", 10, 5), ("2025-02", 12, 6), ("2025-03", 15, None)]:
        record(kpis["ACCTS"], org["DE"], month, value=de)
        if at is not None:
            record(kpis["ACCTS"], org["AT"], month, value=at)
        target(kpis["ACCTS"], org["DE"], month, 14)
    target(kpis["ACCTS"], org["AT"], "2025-03", 6)  # AT is expected to report in March
    rollup_incremental()
    assert cell(kpis["ACCTS"], org["DACH"], "2025-02").actual == 18
    quarter = cell(kpis["ACCTS"], org["DACH"], "2025-01", grain="quarter")
    assert quarter.actual == 15  # March at DACH: only DE reported
    assert quarter.target == 20  # March's target (DE 14 + AT 6), not Σ over the quarter
    assert (quarter.reporting, quarter.expected) == (1, 2)  # AT's March report is missing
    assert cell(kpis["ACCTS"], org["DE"], "2025-02", grain="ytd").actual == 12


def test_lower_is_better_attainment_is_target_over_actual(org, kpis, record, target):
    record(kpis["DAYS"], org["DE"], "2025-01", value=50)
    record(kpis["DAYS"], org["AT"], "2025-01", value=38)
    target(kpis["DAYS"], org["DE"], "2025-01", 40)
    target(kpis["DAYS"], org["AT"], "2025-01", 40)
    rollup_incremental()
    de = cell(kpis["DAYS"], org["DE"], "2025-01")
    assert de.attainment == d("0.8") and de.rag == "red"
    assert cell(kpis["DAYS"], org["AT"], "2025-01").rag == "green"
    dach = cell(kpis["DAYS"], org["DACH"], "2025-01")
    assert dach.actual == 44 and q(dach.attainment) == d("0.9091") and dach.rag == "amber"


def test_quarter_and_ytd_sum_actuals_and_monthly_targets(org, kpis, record, target):
    months = [("2025-01", 100, 100), ("2025-02", 90, 100), ("2025-03", 80, 100), ("2025-04", 120, 100)]
    for month, value, goal in months:
        record(kpis["REV"], org["DE"], month, value=value)
        target(kpis["REV"], org["DE"], month, goal)
    rollup_incremental()
    q1 = cell(kpis["REV"], org["DE"], "2025-01", grain="quarter")
    assert (q1.actual, q1.target, q1.rag) == (270, 300, "amber")
    q2 = cell(kpis["REV"], org["GLOBAL"], "2025-04", grain="quarter")
    assert (q2.actual, q2.target) == (120, 100)
    ytd = cell(kpis["REV"], org["EMEA"], "2025-04", grain="ytd")
    assert (ytd.actual, ytd.target) == (390, 400)
    assert q(ytd.attainment) == d("0.975") and ytd.rag == "amber"
    assert cell(kpis["REV"], org["DE"], "2025-02", grain="ytd").actual == 190


def test_ytd_cells_exist_for_months_with_an_actual_or_a_target_and_follow_later_changes(org, kpis, record, target):
    from kpis.models import Target
    from kpis.services.definitions import target_delete

    record(kpis["REV"], org["DE"], "2025-01", value=100)
    record(kpis["REV"], org["DE"], "2025-04", value=40)
    march = target(kpis["REV"], org["DE"], "2025-03", 150)
    rollup_incremental()
    ytd = {c.period.month: (c.actual, c.target) for c in ScorecardCell.objects.filter(
        kpi=kpis["REV"], org_unit=org["DE"], grain="ytd", partnership_key=0)}
    # February and May–December have neither a figure nor a target: no YTD cell repeating the month before.
    assert ytd == {1: (100, None), 3: (100, 150), 4: (140, 150)}
    assert cell(kpis["REV"], org["GLOBAL"], "2025-03", grain="ytd").target == 150  # derived up the tree

    record(kpis["REV"], org["DE"], "2025-02", value=5)  # a late month feeds every later YTD cell
    target_delete(target=march)
    rollup_incremental()
    assert not Target.objects.exists()
    ytd = {c.period.month: (c.actual, c.target) for c in ScorecardCell.objects.filter(
        kpi=kpis["REV"], org_unit=org["GLOBAL"], grain="ytd", partnership_key=0)}
    assert ytd == {1: (100, None), 2: (105, None), 4: (145, None)}


def test_explicit_target_and_thresholds_at_a_cluster_win_over_derived_ones(org, kpis, record, target):
    record(kpis["REV"], org["DE"], "2025-01", value=95)
    target(kpis["REV"], org["DE"], "2025-01", 100)
    target(kpis["REV"], org["DACH"], "2025-01", 95, green_at="0.95", red_at="0.8")
    rollup_incremental()
    assert cell(kpis["REV"], org["DE"], "2025-01").rag == "amber"
    dach = cell(kpis["REV"], org["DACH"], "2025-01")
    assert (dach.target, dach.rag) == (95, "green")
    assert cell(kpis["REV"], org["EMEA"], "2025-01").target == 95  # derived from DACH's


def test_a_target_without_actual_shows_as_a_missing_report(org, kpis, record, target):
    record(kpis["REV"], org["DE"], "2025-01", value=10)
    target(kpis["REV"], org["AT"], "2025-01", 10)
    rollup_incremental()
    at = cell(kpis["REV"], org["AT"], "2025-01")
    assert (at.actual, at.rag, at.reporting, at.expected) == (None, "none", 0, 1)
    dach = cell(kpis["REV"], org["DACH"], "2025-01")
    assert (dach.reporting, dach.expected) == (1, 2)


def test_partnership_cells_hold_the_partnership_and_feed_the_all_partnerships_total(org, kpis, record, partner_a):
    record(kpis["REV"], org["DE"], "2025-01", value=100)
    record(kpis["REV"], org["DE"], "2025-01", value=40, partnership=partner_a)
    rollup_incremental()
    assert cell(kpis["REV"], org["DE"], "2025-01").actual == 140
    assert cell(kpis["REV"], org["GLOBAL"], "2025-01", partnership=partner_a).actual == 40
    assert cell(kpis["REV"], org["GLOBAL"], "2025-01", partnership=partner_a).partnership_id == partner_a.pk


def test_correction_replaces_the_value_keeps_history_and_reaches_ancestors(org, kpis, record):
    record(kpis["REV"], org["DE"], "2025-01", value=100)
    rollup_incremental()
    record(kpis["REV"], org["DE"], "2025-01", value=70)
    assert DirtyCell.objects.count() == 1
    rollup_incremental()
    m = Measurement.objects.get()
    assert m.value == 70
    assert [h.value for h in m.history.order_by("history_id")] == [100, 70]
    assert cell(kpis["REV"], org["GLOBAL"], "2025-01").actual == 70
    assert cell(kpis["REV"], org["GLOBAL"], "2025-01", grain="ytd").actual == 70


def test_incremental_rollup_leaves_untouched_cells_alone(org, kpis, record):
    record(kpis["REV"], org["DE"], "2025-01", value=1)
    record(kpis["NPS"], org["JP"], "2025-01", value=5)
    rollup_incremental()
    before = {c.pk for c in ScorecardCell.objects.filter(kpi=kpis["NPS"])}
    record(kpis["REV"], org["DE"], "2025-01", value=2)
    result = rollup_incremental()
    assert result.dirty_keys == 1
    assert {c.pk for c in ScorecardCell.objects.filter(kpi=kpis["NPS"])} == before
    assert result.cells_written < ScorecardCell.objects.count()
    assert rollup_incremental().cells_written == 0  # nothing dirty: a no-op


def test_full_rebuild_gives_the_same_rows_as_incremental(org, kpis, record, target):
    record(kpis["REV"], org["DE"], "2025-01", value=10)
    record(kpis["SHARE"], org["AT"], "2025-02", numerator=3, denominator=7)
    target(kpis["SHARE"], org["AT"], "2025-02", "0.5")
    rollup_incremental()
    fields = ["kpi_id", "org_unit_id", "partnership_key", "grain", "period", "actual", "numerator", "denominator",
              "target", "attainment", "rag", "reporting", "expected"]
    incremental = sorted(ScorecardCell.objects.values_list(*fields))
    call_command("rollup_scorecards", "--full", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert sorted(ScorecardCell.objects.values_list(*fields)) == incremental


def test_changing_a_kpis_direction_rerolls_its_cells(org, kpis, record, target):
    record(kpis["REV"], org["DE"], "2025-01", value=50)
    target(kpis["REV"], org["DE"], "2025-01", 100)
    rollup_incremental()
    assert cell(kpis["REV"], org["DE"], "2025-01").attainment == d("0.5")
    kpi_update(kpi=kpis["REV"], direction="lower")
    rollup_incremental()
    assert cell(kpis["REV"], org["DE"], "2025-01").attainment == 2


def test_writes_enqueue_the_rollup_after_commit(admin_user, org, kpis, django_capture_on_commit_callbacks):
    from unittest import mock

    from kpis.services.measurements import measurements_record
    from tests.kpis.conftest import NOW

    with mock.patch("kpis.tasks.rollup_scorecards.apply_async") as delay:  # sent by governance.jobs.enqueue
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            measurements_record(actor=admin_user, rows=[{"kpi": "REV", "org_unit": "DE", "period": "2025-01",
                                                         "value": 1}], now=NOW)
            assert not delay.called  # not before the commit
        assert len(callbacks) >= 1
    assert delay.called


def test_rollup_task_is_idempotent(org, kpis, record):
    from kpis.tasks import rollup_scorecards

    record(kpis["REV"], org["DE"], "2025-01", value=5)
    rollup_scorecards()
    rows = sorted(ScorecardCell.objects.values_list("org_unit_id", "grain", "period", "actual"))
    rollup_scorecards()
    assert sorted(ScorecardCell.objects.values_list("org_unit_id", "grain", "period", "actual")) == rows
    assert ScorecardCell.objects.filter(grain="month", period=date(2025, 1, 1)).count() == 4  # DE, DACH, EMEA, GLOBAL


def test_writes_of_the_same_second_share_one_rollup_and_a_started_run_lets_the_next_write_enqueue(
        admin_user, org, kpis, django_capture_on_commit_callbacks):
    """Each write marks its cells dirty and asks for the incremental rollup after commit; while a
    run is queued and not started, further writes send none (that run reads their cells); once it
    starts (before it reads), the next write sends a new one; an enqueue that fails asks again."""
    from unittest import mock

    from governance.jobs import coalesced_run_starting
    from kpis.services.dirty import ROLLUP_COALESCE_SECONDS, ROLLUP_TASK
    from kpis.services.measurements import measurements_record
    from tests.kpis.conftest import NOW

    def write(month):
        with django_capture_on_commit_callbacks(execute=True):
            measurements_record(actor=admin_user, rows=[{"kpi": "REV", "org_unit": "DE", "period": month,
                                                         "value": 1}], now=NOW)

    with mock.patch("kpis.tasks.rollup_scorecards.apply_async") as send:
        for month in ("2025-01", "2025-02", "2025-03"):
            write(month)
        assert send.call_count == 1
        assert send.call_args.kwargs["countdown"] == ROLLUP_COALESCE_SECONDS
        assert DirtyCell.objects.count() == 3  # the one run reads all three

        coalesced_run_starting(ROLLUP_TASK)  # the run starts
        write("2025-04")
        assert send.call_count == 2

        coalesced_run_starting(ROLLUP_TASK)
        send.side_effect = ConnectionError("broker down")
        write("2025-05")
        send.side_effect = None
        write("2025-06")  # the failed enqueue left no mark behind: this write asks again
        assert send.call_count == 4


def test_the_rollup_task_clears_the_queued_mark_before_it_reads_the_dirty_cells(org, kpis, record):
    from unittest import mock

    from django.core.cache import cache

    from governance.jobs import _queued_mark
    from kpis.services.dirty import ROLLUP_TASK
    from kpis.tasks import rollup_scorecards

    record(kpis["REV"], org["DE"], "2025-01", value=5)
    cache.set(_queued_mark(ROLLUP_TASK), 1)
    seen = []
    with mock.patch("kpis.services.rollup.rollup_incremental",
                    side_effect=lambda: seen.append(cache.get(_queued_mark(ROLLUP_TASK)))):
        rollup_scorecards()
    assert seen == [None]
