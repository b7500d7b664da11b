"""Demo partners: ~28 partners of every kind across the regions, their partnerships (every type),
two rounds of maturity assessments (both sides), business reviews with actions (some overdue),
and the partner login ``partner.demo`` (a member of the German distribution partnership).

``seed()`` is idempotent: partners and partnerships are matched by name; assessments, reviews
and actions are only added to partnerships this run created.
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from governance import services as governance_services
from governance.demo import DEMO_PASSWORD
from governance.models import Assignment, Function, OrgUnit, Role, User
from governance.periods import add_months, quarter_label
from partners import services
from partners.models import (
    CADENCE_MONTHS,
    DIMENSION_FIELDS,
    BusinessReview,
    MaturityAssessment,
    Partner,
    Partnership,
    ReviewAction,
)

PARTNER_USERNAME = "partner.demo"
PARTNER_HOME = "MedLogistik Germany distribution"

# (partner, kind, status, coverage, [(partnership, type, owner function, [involved], [units], cadence, status)])
PARTNERS = [
    ("MedLogistik GmbH", "distributor", "active", ["DE", "AT"], [
        (PARTNER_HOME, "distribution", "SALES", ["ACCESS", "MKT", "COMPLIANCE"], ["DE"], "quarterly", "active"),
        ("MedLogistik Austria distribution", "distribution", "SALES", ["ACCESS"], ["AT"], "quarterly", "active"),
    ]),
    ("Alpine Health Supply AG", "distributor", "active", ["CH"], [
        ("Alpine Swiss distribution", "distribution", "SALES", ["REGULATORY"], ["CH"], "semiannual", "active")]),
    ("Nordic MedTrade AB", "distributor", "active", ["SE", "DK", "NO", "FI"], [
        ("Nordics distribution agreement", "distribution", "SALES", ["ACCESS", "FINANCE"], ["NORDICS"], "quarterly",
         "active")]),
    ("Iberia Salud Distribución", "distributor", "active", ["ES", "PT"], [
        ("Iberia tender distribution", "distribution", "SALES", ["ACCESS"], ["ES", "PT"], "quarterly",
         "under_review")]),
    ("Premier Purchasing Alliance", "gpo", "active", ["US"], [
        ("Premier GPO contract", "distribution", "ACCESS", ["SALES", "FINANCE"], ["US"], "quarterly", "active")]),
    ("Unity Health Purchasing", "gpo", "active", ["US", "CA"], [
        ("Unity North America portfolio agreement", "distribution", "ACCESS", ["SALES"], ["NA"], "semiannual",
         "active")]),
    ("NHS Supply Partners", "gpo", "active", ["GB"], [
        ("NHS framework agreement", "distribution", "ACCESS", ["SALES", "MEDICAL"], ["GB"], "quarterly", "active")]),
    ("Berlin University Hospital Network", "hospital", "active", ["DE"], [
        ("Cardiac outcomes research programme", "rnd_collaboration", "MEDICAL", ["MKT"], ["DE"], "semiannual",
         "active")]),
    ("Stockholm Care Group", "hospital", "active", ["SE"], [
        ("Value-based care pilot Stockholm", "rnd_collaboration", "MEDICAL", ["ACCESS", "SALES"], ["SE"], "quarterly",
         "active")]),
    ("Saúde Integrada Hospitals", "hospital", "active", ["BR"], [
        ("Saúde Integrada IDN partnership", "co_promotion", "SALES", ["MEDICAL"], ["BR"], "quarterly", "active")]),
    ("Tokyo Medical University Hospitals", "hospital", "active", ["JP"], [
        ("Japan clinical evidence collaboration", "rnd_collaboration", "MEDICAL", ["REGULATORY"], ["JP"], "annual",
         "active")]),
    ("CareLoop Digital", "digital_health", "active", ["GB", "IE"], [
        ("CareLoop remote monitoring integration", "technology_integration", "MKT", ["MEDICAL", "COMPLIANCE"],
         ["UKI"], "monthly", "active")]),
    ("VitalSignal Health", "digital_health", "active", ["US"], [
        ("VitalSignal adherence app", "technology_integration", "MKT", ["ACCESS"], ["US"], "quarterly", "active")]),
    ("HealthBridge Asia", "digital_health", "prospect", ["SG", "MY"], [
        ("HealthBridge telehealth pilot", "technology_integration", "MKT", ["MEDICAL"], ["SEA"], "quarterly",
         "planned")]),
    ("Rhenus Pharma AG", "pharma", "active", ["DE", "FR"], [
        ("Rhenus diabetes co-promotion", "co_promotion", "MKT", ["SALES", "COMPLIANCE", "MEDICAL"], ["DE", "FR"],
         "quarterly", "active")]),
    ("Sakura Pharmaceuticals", "pharma", "active", ["JP"], [
        ("Sakura Japan co-promotion", "co_promotion", "MKT", ["SALES", "COMPLIANCE"], ["JP"], "quarterly",
         "active")]),
    ("Meridian Biopharma", "pharma", "active", ["US"], [
        ("Meridian device licensing", "licensing", "FINANCE", ["REGULATORY", "MEDICAL"], ["US"], "semiannual",
         "active")]),
    ("Andes Farma", "pharma", "active", ["AR", "CO"], [
        ("Andes regional licensing", "licensing", "FINANCE", ["REGULATORY"], ["LATAM"], "annual", "active")]),
    ("GenoMark Diagnostics", "diagnostics", "active", ["US", "DE"], [
        ("GenoMark companion diagnostic (US)", "companion_diagnostic", "MEDICAL", ["REGULATORY", "ACCESS"], ["US"],
         "quarterly", "active"),
        ("GenoMark companion diagnostic (DACH)", "companion_diagnostic", "MEDICAL", ["REGULATORY"], ["DACH"],
         "quarterly", "active")]),
    ("PathCore Dx", "diagnostics", "active", ["FR", "BE", "NL"], [
        ("PathCore Benelux CDx", "companion_diagnostic", "MEDICAL", ["ACCESS"], ["FRBNL"], "semiannual", "active")]),
    ("Kiwi Diagnostics", "diagnostics", "on_hold", ["AU", "NZ"], [
        ("Kiwi ANZ diagnostics alliance", "companion_diagnostic", "MEDICAL", ["SALES"], ["ANZ"], "semiannual",
         "under_review")]),
    ("Stratus Cloud Health", "technology", "active", ["US", "GB"], [
        ("Stratus connected-device platform", "technology_integration", "MKT", ["COMPLIANCE", "FINANCE"],
         ["US", "GB"], "quarterly", "active")]),
    ("DataVault Analytics", "technology", "active", ["NL"], [
        ("DataVault real-world evidence", "technology_integration", "MEDICAL", ["ACCESS"], ["NL"], "quarterly",
         "active")]),
    ("Lotus MedSupply", "distributor", "active", ["CN", "HK", "TW"], [
        ("Lotus Greater China distribution", "distribution", "SALES", ["REGULATORY", "ACCESS"], ["GCHINA"],
         "quarterly", "active")]),
    ("Siam Medical Trading", "distributor", "active", ["TH"], [
        ("Siam Thailand distribution", "distribution", "SALES", [], ["TH"], "quarterly", "active")]),
    ("Aurora Health Consulting", "other", "active", ["IT", "GR"], [
        ("Aurora Southern Europe market development", "co_promotion", "MKT", ["SALES"], ["SEUR"], "semiannual",
         "active")]),
    ("Maple Medical Distributors", "distributor", "exited", ["CA"], [
        ("Maple Canada distribution (ended)", "distribution", "SALES", [], ["CA"], "quarterly", "ended")]),
    ("Pampas Distribuidora", "distributor", "prospect", ["AR"], [
        ("Pampas Argentina distribution", "distribution", "SALES", ["ACCESS"], ["AR"], "quarterly", "planned")]),
]

ACTION_TITLES = [
    "Share Q-end sell-out data by account", "Agree joint account plan for top-20 hospitals",
    "Confirm tender calendar for next half-year", "Align on KPI definitions for the shared scorecard",
    "Draft the joint marketing calendar", "Complete compliance training for partner field team",
    "Propose a data-sharing agreement", "Review pricing corridor with Finance", "Nominate executive sponsors",
    "Update the decision-rights matrix for joint decisions", "Prepare reimbursement dossier input",
    "Set up monthly pipeline call",
]
AGENDAS = [
    "1. Performance against shared KPIs\n2. Pipeline and forecast\n3. Open decisions\n4. Actions review",
    "1. Market update\n2. Joint plan progress\n3. Maturity assessment gaps\n4. Next steps",
]


def _owner_for(function_code: str, unit: OrgUnit, holders: dict, parents: dict) -> User | None:
    """The nearest holder of the owning function at or above the partnership's first unit."""
    while unit is not None:
        user = holders.get((function_code, unit.pk))
        if user is not None:
            return user
        unit = parents.get(unit.parent_id)
    return None


@transaction.atomic
def seed() -> dict:
    """Create what is missing. Returns counts of what now exists."""
    admin = User.objects.filter(is_superuser=True).order_by("pk").first() or User.objects.filter(
        role=Role.ADMIN).order_by("pk").first()
    if admin is None:
        return {}
    units = {u.code: u for u in OrgUnit.objects.all()}
    by_pk = {u.pk: u for u in units.values()}
    functions = {f.code: f for f in Function.objects.all()}
    holders = {}
    for a in Assignment.objects.select_related("user", "function").order_by("pk"):
        holders.setdefault((a.function.code, a.org_unit_id), a.user)

    partners = {p.name: p for p in Partner.objects.all()}
    existing = set(Partnership.objects.values_list("name", flat=True))
    created: list[tuple[Partnership, int]] = []
    for index, (name, kind, status, coverage, deals) in enumerate(PARTNERS):
        partner = partners.get(name) or services.partner_create(
            actor=admin, name=name, kind=kind, status=status, org_units=[units[c] for c in coverage if c in units]
        )
        for offset, (pname, ptype, owner_fn, involved, scope, cadence, pstatus) in enumerate(deals):
            if pname in existing or not all(c in units for c in scope):
                continue
            first = units[scope[0]]
            start = date(2022 + (index + offset) % 3, 1 + (index * 5) % 12, 1)
            partnership = services.partnership_create(
                actor=admin, partner=partner, name=pname, type=ptype, org_units=[units[c] for c in scope],
                owner_function=functions[owner_fn], functions=[functions[f] for f in involved],
                status=pstatus, start=start, review_cadence=cadence,
                owner=_owner_for(owner_fn, first, holders, by_pk),
                end=date(2025, 6, 30) if pstatus == "ended" else None,
            )
            created.append((partnership, index + offset))

    partner_user = _ensure_partner_user()
    home = Partnership.objects.filter(name=PARTNER_HOME).first()
    if home is not None and not home.members.filter(pk=partner_user.pk).exists():
        home.members.add(partner_user)

    _seed_activity(created, partner_user=partner_user, admin=admin)
    return {
        "partners": Partner.objects.count(),
        "partnerships": Partnership.objects.count(),
        "maturity_assessments": MaturityAssessment.objects.count(),
        "business_reviews": BusinessReview.objects.count(),
        "review_actions": ReviewAction.objects.count(),
    }


def _ensure_partner_user() -> User:
    user = User.objects.filter(username=PARTNER_USERNAME).first()
    if user is None:
        user = services_user_create()
    return user


def services_user_create() -> User:
    user = governance_services.user_create(
        username=PARTNER_USERNAME, password=None, role=Role.PARTNER, first_name="Petra", last_name="Schneider",
        email="petra.schneider@medlogistik.example",
    )
    user.password = make_password(DEMO_PASSWORD)
    user.save(update_fields=["password"])
    return user


def _seed_activity(created: list[tuple[Partnership, int]], *, partner_user: User, admin: User) -> None:
    """Two assessment rounds (both sides), reviews along the cadence and their actions."""
    if not created:
        return
    today = timezone.localdate()
    members = {p.pk: list(p.members.all()) for p, _ in created}
    assessments, reviews, review_meta = [], [], []
    for partnership, n in created:
        rng = random.Random(partnership.name)
        base = 1.8 + (n % 7) * 0.5  # spread the levels from transactional to strategic
        for round_no, months_ago in enumerate((9, 2)):
            when = timezone.make_aware(datetime.combine(add_months(today, -months_ago), time(10, 0)))
            internal = {f: _clamp(base + round_no * 0.5 + rng.uniform(-0.8, 0.8)) for f in DIMENSION_FIELDS}
            partner_view = {f: _clamp(v + rng.choice([-2, -1, -1, 0, 0, 0, 1])) for f, v in internal.items()}
            for side, scores, by in (("internal", internal, partnership.owner or admin),
                                     ("partner", partner_view, partner_user if partnership.name == PARTNER_HOME
                                      else None)):
                if partnership.status == "planned" and round_no == 0:
                    continue
                assessments.append(MaturityAssessment(
                    partnership=partnership, side=side, assessed_at=when + timedelta(days=0 if side == "internal"
                                                                                      else 3),
                    assessed_by=by, comments=_comments(scores, side), summary="", **scores,
                ))
        if partnership.status not in ("active", "under_review"):
            continue
        months = CADENCE_MONTHS[partnership.review_cadence]
        overdue = n % 4 == 1  # a quarter of the governed partnerships are past their review date
        last = add_months(today, -months) - timedelta(days=12) if overdue else today - timedelta(
            days=max(7, months * 30 // 3))
        for k in range(3 if months <= 3 else 2):
            held_on = add_months(last, -months * k)
            held_on -= timedelta(days=max(0, held_on.weekday() - 3))  # meetings happen Monday–Thursday
            if held_on < partnership.start:
                break
            reviews.append(BusinessReview(
                partnership=partnership, date=held_on, kind="qbr" if k % 2 == 0 else "joint_planning",
                status="held", title=_review_title(held_on, months),
                agenda=AGENDAS[k % 2], notes="Discussed performance against the shared scorecard and agreed the "
                "actions below.", created_by=partnership.owner or admin,
            ))
            review_meta.append((partnership, k, overdue, n))
    bulk_create_with_history(assessments, MaturityAssessment, default_user=admin)
    reviews = bulk_create_with_history(reviews, BusinessReview, default_user=admin)

    actions, attendees = [], []
    through = BusinessReview.attendees.through
    for review, (partnership, k, overdue, n) in zip(reviews, review_meta, strict=True):
        owner = partnership.owner or admin
        people = {owner.pk, *(m.pk for m in members[partnership.pk])}
        attendees.extend(through(businessreview_id=review.pk, user_id=pk) for pk in people)
        partner_member = members[partnership.pk][0] if members[partnership.pk] else None
        for j in range(2):
            title = ACTION_TITLES[(n * 3 + k * 2 + j) % len(ACTION_TITLES)]
            action_owner = partner_member if (partner_member and j == 1) else owner
            if k == 0:  # the latest review: open actions, some already overdue
                due = today - timedelta(days=9 + j * 5) if (overdue or n % 3 == 0) and j == 0 else today + timedelta(
                    days=20 + 10 * j)
                if partner_member and j == 1:
                    due = today - timedelta(days=4)
                status, done_at = "open", None
            else:
                due = review.date + timedelta(days=30)
                status = "done" if (n + j) % 5 else "open"
                done_at = timezone.make_aware(datetime.combine(due - timedelta(days=3), time(16))) \
                    if status == "done" else None
            actions.append(ReviewAction(review=review, partnership=partnership, title=title, owner=action_owner,
                                        due_date=due, status=status, done_at=done_at))
    through.objects.bulk_create(attendees, ignore_conflicts=True)
    bulk_create_with_history(actions, ReviewAction, default_user=admin)
    for partnership, _ in created:
        services.partnership_refresh_review_due(partnership=partnership)


def _clamp(value: float) -> int:
    return max(1, min(5, round(value)))


def _review_title(day: date, months: int) -> str:
    if months == 3:
        return f"{quarter_label(day)} business review"
    return f"Partnership review {day:%b %Y}"


def _comments(scores: dict[str, int], side: str) -> dict[str, str]:
    notes = {1: "Ad hoc, no shared process yet.", 2: "Basic alignment; depends on individuals.",
             3: "Working routine in place.", 4: "Jointly planned and measured.", 5: "Fully integrated, best practice."}
    lowest = min(scores, key=scores.get)
    return {lowest: ("Our view: " if side == "internal" else "From our side: ") + notes[scores[lowest]]}
