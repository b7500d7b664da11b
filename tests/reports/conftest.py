"""Exports and packs: the KPI and decision fixtures of their apps, and readers that open what
an export produced (openpyxl for XLSX, pdftotext for PDF) the way a user's tools would."""

from __future__ import annotations

import io
import os
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from tests.decisions.conftest import holders, log_de, price_exception  # noqa: F401
from tests.kpis.conftest import kpis, record, target  # noqa: F401


def read_xlsx(content: bytes) -> dict[str, list[tuple]]:
    """Every sheet of a workbook as its rows of values."""
    from openpyxl import load_workbook

    keep(content, "xlsx")
    wb = load_workbook(io.BytesIO(content))
    return {ws.title: [tuple(r) for r in ws.iter_rows(values_only=True)] for ws in wb.worksheets}


def sheet_dicts(rows: list[tuple]) -> list[dict]:
    header, *body = rows
    return [dict(zip(header, r, strict=False)) for r in body if any(v is not None for v in r)]


def keep(content: bytes, suffix: str) -> None:
    """With ``ACCORD_KEEP_EXPORTS=<dir>``, keep each export opened, to look at it (pdftoppm)."""
    folder = os.environ.get("ACCORD_KEEP_EXPORTS")
    if folder:
        test = os.environ.get("PYTEST_CURRENT_TEST", "export").split("::")[-1].split(" ")[0]
        n = len(list(Path(folder).glob(f"{test}*")))
        (Path(folder) / f"{test}-{n}.{suffix}").write_bytes(content)


def pdf_text(content: bytes) -> str:
    assert content.startswith(b"%PDF"), content[:40]
    keep(content, "pdf")
    return subprocess.run(["pdftotext", "-layout", "-", "-"], input=content, capture_output=True, check=True).stdout \
        .decode()


@pytest.fixture
def rolled(org, kpis, record, target, partner_a):  # noqa: F811
    """The dashboard world of tests/kpis/test_pages.py: DACH in January 2025."""
    from kpis.models import KPIOwnership
    from kpis.services.rollup import rollup_incremental

    record(kpis["REV"], org["DE"], "2025-01", value=120)
    record(kpis["REV"], org["AT"], "2025-01", value=40)
    target(kpis["REV"], org["DE"], "2025-01", 100)
    target(kpis["REV"], org["AT"], "2025-01", 100)
    record(kpis["SHARE"], org["DE"], "2025-01", numerator=1, denominator=2)
    target(kpis["SHARE"], org["DE"], "2025-01", "0.5")
    record(kpis["ACCTS"], org["DE"], "2025-01", value=9)
    target(kpis["ACCTS"], org["DE"], "2025-01", 10)
    record(kpis["REV"], org["DE"], "2025-01", value=30, partnership=partner_a)
    target(kpis["REV"], org["DE"], "2025-01", 40, partnership=partner_a)
    KPIOwnership.objects.create(kpi=kpis["REV"], partnership=partner_a, weight=1)
    rollup_incremental()


def _scores(v):
    return {f: v for f in ["strategy_alignment", "shared_kpis", "governance", "data_sharing", "joint_planning",
                           "value_delivery"]}


@pytest.fixture
def qbr(org, kpis, record, target, partner_a, holders, log_de):  # noqa: F811
    """Partnership A before its QBR today: the previous QBR 60 days ago; REV co-owned with monthly
    actuals; a shared and an internal decision taken since, one of each pending; an overdue and an
    upcoming action; both sides' maturity views."""
    from decisions import services as decisions
    from kpis.models import KPIOwnership
    from kpis.services.rollup import rollup_incremental
    from partners import services as partners

    today = timezone.localdate()
    now = timezone.now()
    KPIOwnership.objects.create(kpi=kpis["REV"], partnership=partner_a, weight=1)
    month = today.replace(day=1)
    for back, value in ((13, 20), (2, 28), (1, 30)):
        y, m = divmod(month.year * 12 + month.month - 1 - back, 12)
        period = f"{y}-{m + 1:02d}"
        record(kpis["REV"], org["DE"], period, value=value, partnership=partner_a)
        target(kpis["REV"], org["DE"], period, 40, partnership=partner_a)
    rollup_incremental()
    admin = holders["admin"]
    partners.review_create(actor=admin, partnership=partner_a, date=today - timedelta(days=60), title="Q-1 review")
    review = partners.review_create(actor=admin, partnership=partner_a, date=today, title="QBR now")
    partners.action_create(actor=admin, review=review, title="Send the tender file", owner=holders["manager_de"],
                           due_date=today - timedelta(days=5))
    partners.action_create(actor=admin, review=review, title="Plan the joint webinar", owner=holders["partner"],
                           due_date=today + timedelta(days=10))
    partners.assessment_create(actor=admin, partnership=partner_a, scores=_scores(4))
    partners.assessment_create(actor=holders["partner"], partnership=partner_a, scores=_scores(2))

    def decided(title, visibility):
        d = log_de(title=title, partnership=partner_a, visibility=visibility, now=now - timedelta(days=3))
        decisions.decision_agree(decision=d, actor=holders["compliance_de"], agree=True, now=now - timedelta(days=2))
        d.refresh_from_db()
        decisions.decision_decide(decision=d, actor=d.decider, outcome="Go", now=now - timedelta(days=1))
        return d

    return {"review": review, "shared": decided("Joint launch budget", "shared"),
            "internal": decided("Secret rebate for MedDistrib", "internal"),
            "pending_shared": log_de(title="Co-branded flyer", partnership=partner_a, visibility="shared", now=now),
            "pending_internal": log_de(title="Internal pending pricing", partnership=partner_a, now=now)}
