"""Demo commitments for the demo partner's partnership: ours (price exceptions answered within 2
business days, onboarding decisions within 10) and theirs (sell-out submitted by working day 5)."""

from __future__ import annotations

from decimal import Decimal

from decisions.models import DecisionType
from kpis.models import KPI
from partners.commitments.models import Commitment
from partners.demo import PARTNER_HOME
from partners.models import Partnership


def seed() -> dict:
    home = Partnership.objects.filter(name=PARTNER_HOME).first()
    types = {t.code: t for t in DecisionType.objects.filter(code__in=["PRICE_EXC", "JOINT_PROMO"])}
    kpi = KPI.objects.filter(code="ACL-REV").first()
    if home is None or Commitment.objects.filter(partnership=home).exists() or len(types) < 2 or kpi is None:
        return {"commitments": Commitment.objects.count()}
    Commitment.objects.bulk_create([
        Commitment(partnership=home, side="ours", measure="decision_sla", decision_type=types["PRICE_EXC"], days=2,
                   target=Decimal("0.9"), name="Price exceptions answered within 2 business days"),
        Commitment(partnership=home, side="ours", measure="decision_sla", decision_type=types["JOINT_PROMO"], days=5,
                   target=Decimal("1"), name="Joint promotion plans decided within 5 business days"),
        Commitment(partnership=home, side="theirs", measure="submission", kpi=kpi, days=5, target=Decimal("1"),
                   name="Monthly revenue submitted by working day 5"),
    ])
    return {"commitments": Commitment.objects.count()}
