"""Demo catch-ball: the company proposed next month's sell-out target to the demo partner (their
turn), and one earlier negotiation went proposal → counter → agreed. Idempotent."""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from governance.models import User
from governance.periods import month_shift
from kpis.catchball import services
from kpis.catchball.models import TargetProposal
from kpis.models import KPI
from partners.demo import PARTNER_HOME, PARTNER_USERNAME
from partners.models import Partnership


@transaction.atomic
def seed() -> dict:

    home = Partnership.objects.filter(name=PARTNER_HOME).first()
    users = {u.username: u for u in User.objects.filter(username__in=["manager.de", PARTNER_USERNAME])}
    kpis = {k.code: k for k in KPI.objects.filter(code__in=["ACL-REV", "ADP-ACTIVE"], ownerships__partnership=home)}
    if TargetProposal.objects.exists() or home is None or len(users) < 2 or len(kpis) < 2:
        return {"target_proposals": TargetProposal.objects.count()}
    unit = home.org_units.order_by("code").first()
    now = timezone.now()
    month = timezone.localdate().replace(day=1)
    company, partner = users["manager.de"], users[PARTNER_USERNAME]
    done = services.proposal_create(actor=company, kpi=kpis["ADP-ACTIVE"], org_unit=unit, partnership=home,
                                    period=month_shift(month, 1), value="64", comment="Two new hospital groups.",
                                    now=now - timedelta(days=9))
    services.proposal_counter(actor=partner, proposal=done, value="60", now=now - timedelta(days=8),
                              comment="One group signs only in the following quarter.")
    services.proposal_accept(actor=company, proposal=done, now=now - timedelta(days=7))
    services.proposal_create(actor=company, kpi=kpis["ACL-REV"], org_unit=unit, partnership=home,
                             period=month_shift(month, 1), value="265000", now=now - timedelta(days=1),
                             comment="+5% on this month, with the Q1 bundle.")
    return {"target_proposals": TargetProposal.objects.count()}
