"""Demo decision rights and six months of decisions, so the latency analytics tell a story.

Idempotent: types and the first matrix version are created once; the decision log is generated
only while it is empty. Fast: routing and clocks are computed in memory and written with
``bulk_create`` (a few seconds for ~350 decisions with participants, events and escalations).

The story: APAC and LATAM decide slower; promotional approvals wait on Compliance; cluster-level
commercial decisions escalate most; market-level tender bids are quick.
"""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import date, time, timedelta
from zoneinfo import ZoneInfo

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from decisions import services
from decisions.clock import level_clock, next_deadline
from decisions.forums import next_meeting
from decisions.models import (
    Decision,
    DecisionEvent,
    DecisionParticipant,
    DecisionType,
    Escalation,
    Forum,
    Holiday,
    MatrixVersion,
    PauseRule,
)
from decisions.routing import PARTNER_FUNCTION, nearest_holders
from decisions.services.stage_backfill import backfill_stages
from governance.models import Assignment, Function, Notification, OrgUnit, User
from governance.querysets import LOG, can
from governance.services import function_create
from kpis.models import KPI
from partners.demo import PARTNER_HOME
from partners.models import Partnership

# code, name, level, SLA hours, per-priority overrides, calendar, {function: role}, title templates
TYPES = [
    ("PRICE_EXC", "Distributor price exception", "market", 16, {"urgent": 4, "low": 40}, "business",
     {"SALES": "D", "ACCESS": "A", "MKT": "I"},
     ["Price exception for {p} tender", "Special net price for {p} hospital group", "Rebate above list for {p}"]),
    ("TENDER", "Tender bid approval", "market", 16, {"urgent": 6}, "business",
     {"SALES": "D", "ACCESS": "A", "MEDICAL": "I", "MKT": "I"},
     ["Bid for regional tender (lot {n})", "Re-bid on university hospital tender {n}", "Framework tender {n}"]),
    ("KOL_PLAN", "KOL engagement plan", "market", 40, {}, "business",
     {"MEDICAL": "D", "MKT": "R", "SALES": "I"},
     ["KOL advisory board Q{q}", "Speaker programme with KOL panel {n}", "KOL plan for launch wave {n}"]),
    ("SAMPLES", "Product sample allocation", "market", 24, {}, "business",
     {"SALES": "D", "MEDICAL": "A", "MKT": "I"},
     ["Demo device allocation for {p}", "Sample budget shift Q{q}"]),
    ("EVENT", "Congress and event sponsorship", "market", 40, {}, "business",
     {"MKT": "D", "MEDICAL": "A", "SALES": "I"},
     ["Booth at national congress {n}", "Sponsor symposium at society meeting {n}"]),
    ("PROMO", "Promotional material approval", "cluster", 24, {"urgent": 8}, "business",
     {"MKT": "D", "COMPLIANCE": "A", "MEDICAL": "A", "REGULATORY": "I"},
     ["Detail aid v{n} for launch", "Digital campaign creatives wave {n}", "Leave-behind on outcomes data {n}"]),
    ("PARTNER_ONB", "Partner onboarding", "cluster", 80, {"high": 40}, "business",
     {"SALES": "D", "COMPLIANCE": "A", "FINANCE": "A", "ACCESS": "I", "MKT": "I"},
     ["Onboard {p} as distributor", "Due diligence sign-off for {p}"]),
    ("DIST_TERMS", "Distributor contract terms", "cluster", 60, {}, "business",
     {"SALES": "D", "FINANCE": "A", "COMPLIANCE": "I", "ACCESS": "I"},
     ["Payment terms for {p}", "Exclusivity clause for {p}", "Contract renewal terms {p}"]),
    ("DOSSIER", "Market access dossier submission", "cluster", 120, {"urgent": 40}, "business",
     {"ACCESS": "D", "MEDICAL": "A", "REGULATORY": "A", "FINANCE": "I"},
     ["HTA dossier submission {n}", "Reimbursement dossier update {n}", "Value dossier for payer {n}"]),
    ("HCP_FEE", "HCP consultancy fee exception", "cluster", 40, {}, "business",
     {"COMPLIANCE": "D", "MEDICAL": "R", "FINANCE": "I"},
     ["Fee above FMV grid for advisor {n}", "Consultancy contract exception {n}"]),
    ("DISCOUNT", "Volume discount above guideline", "cluster", 24, {}, "24x7",
     {"FINANCE": "D", "SALES": "R", "COMPLIANCE": "I"},
     ["Volume discount for {p}", "Multi-year discount for {p}"]),
    ("LAUNCH_SEQ", "Launch sequencing across markets", "region", 120, {}, "business",
     {"MKT": "D", "ACCESS": "A", "SALES": "R", "MEDICAL": "I", "REGULATORY": "I", "FINANCE": "I"},
     ["Launch wave {n} market sequence", "Move launch of product line {n}"]),
    ("PARTNER_EXIT", "Partnership termination", "region", 80, {}, "business",
     {"SALES": "D", "FINANCE": "A", "COMPLIANCE": "A", "MKT": "I"},
     ["Terminate agreement with {p}", "Exit co-promotion with {p}"]),
    ("DIGITAL_PILOT", "Digital health pilot", "region", 80, {}, "business",
     {"MKT": "D", "COMPLIANCE": "A", "MEDICAL": "R", "FINANCE": "I"},
     ["Remote monitoring pilot {n}", "App pilot with {p}"]),
    ("PORTFOLIO", "Portfolio prioritisation", "global", 160, {}, "business",
     {"FINANCE": "D", "SALES": "R", "MKT": "R", "ACCESS": "I", "MEDICAL": "I"},
     ["Prioritise pipeline asset {n}", "Portfolio review {q}"]),
]
# Joint decisions: the matrix names the partner (PARTNER), so the partner users of the decision's
# partnership agree from their portal. Not in the generated history; logged as live stories.
JOINT_TYPES = [
    ("JOINT_PROMO", "Joint promotion plan", "market", 40, {}, "business",
     {"SALES": "D", "COMPLIANCE": "A", PARTNER_FUNCTION: "A", "MKT": "I"}),
    ("JOINT_FORECAST", "Joint demand forecast", "market", 24, {}, "business",
     {"SALES": "D", PARTNER_FUNCTION: "I", "FINANCE": "I"}),
]
WEIGHTS = {"PRICE_EXC": 14, "TENDER": 12, "KOL_PLAN": 6, "SAMPLES": 5, "EVENT": 5, "PROMO": 12, "PARTNER_ONB": 5,
           "DIST_TERMS": 6, "DOSSIER": 6, "HCP_FEE": 4, "DISCOUNT": 6, "LAUNCH_SEQ": 3, "PARTNER_EXIT": 2,
           "DIGITAL_PILOT": 3, "PORTFOLIO": 1}
# Median hours to decide relative to the SLA, per region (the story: APAC and the Americas lag).
REGION_PACE = {"EMEA": 0.7, "AMERICAS": 1.0, "APAC": 1.35}
SLOW_TYPES = {"PROMO": 1.3, "DIST_TERMS": 1.4, "PARTNER_ONB": 1.2, "TENDER": 0.6, "PRICE_EXC": 0.8}
PARTNER_NAMES = ["MedDistrib", "Helios Kliniken", "Sana Group", "NHS Supply Chain", "Vizient", "Nordic Medical",
                 "Apollo Hospitals", "Ramsay Health", "Fresenius", "Dasa"]
HOLIDAYS = [("GLOBAL", date(2025, 12, 25), "Christmas Day"), ("GLOBAL", date(2026, 1, 1), "New Year's Day"),
            ("DE", date(2025, 10, 3), "German Unity Day"), ("JP", date(2026, 1, 12), "Coming of Age Day"),
            ("US", date(2025, 11, 27), "Thanksgiving"), ("GB", date(2025, 12, 26), "Boxing Day")]
# Why decisions of a type may be paused (issue 18): (code, label, party, who may pause, stops the
# clock, max hours, resumes on the party's answer).
PAUSE_RULES = {
    code: [("PARTNER_DATA", "Waiting on partner data", "partner", "either", True, 240, True),
           ("COMPLIANCE_REVIEW", "Waiting on Compliance review", "function", "either", False, 80, True)]
    for code in ("PRICE_EXC", "TENDER", "PARTNER_ONB", "DIST_TERMS", "DISCOUNT", "PARTNER_EXIT")
}
N_DECISIONS = 340
H = timedelta(hours=1)


@transaction.atomic
def seed() -> dict:
    now = timezone.now().replace(microsecond=0)
    admin = User.objects.filter(is_superuser=True).order_by("pk").first()
    functions = {f.code: f for f in Function.objects.all()}
    units = {u.code: u for u in OrgUnit.objects.all()}
    if not units or not all(code in functions for t in TYPES for code in t[6]):
        return {}
    for code, day, name in HOLIDAYS:
        if code in units:
            Holiday.objects.get_or_create(org_unit=units[code], date=day, defaults={"name": name})
    if PARTNER_FUNCTION not in functions:
        functions[PARTNER_FUNCTION] = function_create(code=PARTNER_FUNCTION, name="Partner")
    types = {}
    for code, name, level, sla, overrides, calendar, _rights, *_titles in TYPES + JOINT_TYPES:
        types[code] = DecisionType.objects.filter(code=code).first() or services.decision_type_create(
            code=code, name=name, decided_at_level=level, sla_hours=sla, sla_hours_by_priority=overrides,
            calendar=calendar, description=f"{name}: decided at {level} level.")
    for code, rules in PAUSE_RULES.items():
        for rule, label, party, who, stops, max_hours, on_answer in rules:
            PauseRule.objects.get_or_create(decision_type=types[code], code=rule, defaults={
                "label": label, "party": party, "who_may_pause": who, "stops_clock": stops, "max_hours": max_hours,
                "resumes_on_answer": on_answer})
    if "DACH" in units and not Forum.objects.exists():
        _forum(now=now, unit=units["DACH"], chair=functions.get("SALES"), decision_type=types["DIST_TERMS"])
    if not MatrixVersion.objects.exists():
        cells = {(types[t[0]].pk, functions[f].pk): role for t in TYPES + JOINT_TYPES for f, role in t[6].items()}
        services.matrix_publish(actor=admin, cells=cells, note="Initial decision-rights matrix",
                                now=now - timedelta(days=200))
    if not Decision.objects.exists():
        _generate_log(now=now, types=types, functions=functions, units=units)
        backfill_stages()  # the generated log was bulk-written: its stage intervals come from the timelines
        _live_stories(now=now, types=types, units=units)
        _joint_stories(now=now, types=types, units=units)
        _forum_story(now=now)
        _link_expected_kpis()
    return {"decision_types": DecisionType.objects.count(), "matrix_versions": MatrixVersion.objects.count(),
            "decisions": Decision.objects.count(), "escalations": Escalation.objects.count()}


# Which KPI category a decision type is expected to move (demo only).
TYPE_KPI_CATEGORY = {"PRICE_EXC": "acceleration", "TENDER": "access", "KOL_PLAN": "adoption", "SAMPLES": "adoption",
                     "EVENT": "launch", "PROMO": "launch", "PARTNER_ONB": "acceleration", "DIST_TERMS": "acceleration"}


def _link_expected_kpis() -> None:
    """Give each demo decision one or two KPIs of its type's category (set-based insert)."""
    by_category: dict[str, list[int]] = {}
    for pk, category in KPI.objects.order_by("code").values_list("pk", "category"):
        by_category.setdefault(category, []).append(pk)
    if not by_category:
        return
    through = Decision.kpis.through
    rows = []
    for pk, type_code in Decision.objects.values_list("pk", "decision_type__code"):
        pool = by_category.get(TYPE_KPI_CATEGORY.get(type_code, "access")) or next(iter(by_category.values()))
        for kpi_id in {pool[pk % len(pool)], pool[(pk * 7) % len(pool)]}:
            rows.append(through(decision_id=pk, kpi_id=kpi_id))
    through.objects.bulk_create(rows, ignore_conflicts=True)


def _generate_log(*, now, types, functions, units) -> None:  # noqa: C901 - one generator, read top to bottom
    rng = random.Random(20260301)
    version = MatrixVersion.objects.order_by("number").first()
    by_pk = {u.pk: u for u in units.values()}
    holders: dict[tuple[int, int], list[User]] = defaultdict(list)
    users_by_id: dict[int, User] = {}
    for a in Assignment.objects.select_related("user").order_by("pk"):
        holders[(a.org_unit_id, a.function_id)].append(a.user)
        users_by_id[a.user_id] = a.user
    # Who a decision escalates to, by the sweep's own rule (routing.nearest_holders, strictly above).
    above = nearest_holders(unit_ids=by_pk, function_ids=[f.pk for f in functions.values()],
                           strictly_above=True)
    holidays_by_unit: dict[int, set] = defaultdict(set)
    for unit_id, day in Holiday.objects.values_list("org_unit_id", "date"):
        holidays_by_unit[unit_id].add(day)

    def chain(unit):  # unit and its ancestors, nearest first
        out = [unit]
        while out[-1].parent_id:
            out.append(by_pk[out[-1].parent_id])
        return out

    def region_of(unit):
        return next((u.code for u in chain(unit) if u.level == "region"), "EMEA")

    partnerships = _partnerships_by_unit()
    markets = [u for u in units.values() if u.level == "market"]
    # DACH and Germany get more traffic: that is where the demo personas work.
    weighted_markets = markets + [units[c] for c in ("DE", "DE", "DE", "AT", "CH") if c in units]
    type_codes = [t[0] for t in TYPES]
    rights = {t[0]: t[6] for t in TYPES}
    titles = {t[0]: t[7] for t in TYPES}

    plans = []
    for _ in range(N_DECISIONS):
        code = rng.choices(type_codes, weights=[WEIGHTS[c] for c in type_codes])[0]
        dtype = types[code]
        market = rng.choice(weighted_markets)
        deciding = next(u for u in chain(market) if u.level == dtype.decided_at_level)
        requester = (holders.get((market.pk, functions["SALES"].pk)) or [None])[0]
        decider_function = functions[next(f for f, r in rights[code].items() if r == "D")]
        decider = (holders.get((deciding.pk, decider_function.pk)) or [None])[0]
        if requester is None or decider is None:
            continue
        age_days = rng.betavariate(1.2, 1.0) * 180
        requested_at = now - timedelta(days=age_days, hours=rng.randint(0, 9))
        priority = rng.choices(["low", "normal", "high", "urgent"], weights=[2, 10, 4, 1])[0]
        holidays = holidays_by_unit_for(chain(market), holidays_by_unit) if dtype.calendar == "business" else set()

        def clock(start, dtype=dtype, priority=priority, market=market, holidays=holidays):
            level = level_clock(decision_type=dtype, priority=priority, org_unit=market, start=start,
                                holidays=holidays)
            return level.due_at, level.warn_at

        due, warn = clock(requested_at)
        # Wall-clock hours the decision takes, if it is taken: lognormal around pace × SLA span.
        span = (due - requested_at) / H
        pace = REGION_PACE.get(region_of(market), 1.0) * SLOW_TYPES.get(code, 1.0)
        takes = span * pace * rng.lognormvariate(-0.25, 0.55)
        age_hours = (now - requested_at) / H
        fate = rng.random()
        if fate < 0.05 and age_hours > 48:
            status, end = "withdrawn", requested_at + timedelta(hours=min(takes, age_hours - 1))
        elif takes < age_hours and fate < 0.93:
            status, end = "decided", requested_at + timedelta(hours=takes)
        else:
            status, end = "open", None
        # The escalation ladder the sweep would have climbed by ``horizon``: at each deadline the
        # nearest holder above the current deciding unit (its rule), the next level's clock from there.
        ladder, current_unit, current_decider = [], deciding, decider
        horizon = end or now
        exhausted = False
        while due <= horizon:
            cover = above.get((current_unit.pk, decider_function.pk))
            if cover is None:
                exhausted = status == "open"
                break
            up = (by_pk[cover.org_unit_id], users_by_id[cover.user_ids[0]])
            ladder.append((len(ladder) + 1, current_unit, up[0], current_decider, up[1], due))
            current_unit, current_decider = up
            due, warn = clock(due)
        template = rng.choice(titles[code])
        title = template.format(p=rng.choice(PARTNER_NAMES), n=rng.randint(2, 19), q=rng.randint(1, 4))
        candidates = [p for u in chain(market) for p in partnerships.get(u.pk, [])]
        partnership_id = rng.choice(candidates) if candidates and rng.random() < 0.25 else None
        plans.append({
            "decision": Decision(
                title=f"{title} ({market.code})", description=_description(code, market), decision_type=dtype,
                org_unit=market, partnership_id=partnership_id, priority=priority, options=_options(code, rng),
                status=status, matrix_version=version, requested_by=requester, requested_at=requested_at,
                decider=current_decider, decider_function=decider_function, deciding_unit=current_unit,
                escalation_level=len(ladder), escalation_exhausted=exhausted,
                clock_started_at=ladder[-1][5] if ladder else requested_at, sla_due_at=clock(requested_at)[0],
                due_at=due, warn_at=(warn_at := None if status != "open" or exhausted or warn <= now else warn),
                next_deadline_at=None if status != "open" or exhausted else next_deadline(warn_at, due),
                decided_by=current_decider if status == "decided" else None,
                decided_at=end if status == "decided" else None,
                outcome=_outcome(code, rng) if status == "decided" else "",
                rationale="Trade-off accepted after input from the functions involved." if status == "decided" else "",
            ),
            "deciding": deciding, "decider": decider, "ladder": ladder, "end": end, "takes": takes, "code": code,
        })
    Decision.objects.bulk_create([p["decision"] for p in plans])
    # Confidentiality: about half the decisions on a partnership are shared with the partner (now and
    # then with their options or rationale); the rest stay internal, as every decision does by default.
    shared = [p["decision"] for p in plans if p["decision"].partnership_id and plan_rng(p["decision"], "share") < 0.5]
    for d in shared:
        d.visibility = "shared"
        d.options_visibility = "shared" if plan_rng(d, "share-options") < 0.4 else "internal"
        d.rationale_visibility = "shared" if plan_rng(d, "share-rationale") < 0.5 else "internal"
    Decision.objects.bulk_update(shared, ["visibility", "options_visibility", "rationale_visibility"])

    participants, events, escalations, notes = [], [], [], []
    for plan in plans:
        d, code, deciding, end = plan["decision"], plan["code"], plan["deciding"], plan["end"]
        horizon = end or now
        span_hours = max(1.0, ((end or now) - d.requested_at) / H)
        events.append(DecisionEvent(decision=d, kind="logged", actor=d.requested_by, at=d.requested_at,
                                    message=d.description, data={"matrix_version": version.number},
                                    visibility=d.visibility))
        for fcode, role in rights[code].items():
            function = functions[fcode]
            people = holders.get((deciding.pk, function.pk), [])
            if role == "D":
                people = [plan["decider"]]
            for user in people[:1] if role != "D" else people:
                p = DecisionParticipant(decision=d, user=user, function=function, org_unit=deciding, role=role)
                # Agreement and input arrive inside the decision's life; Compliance and Finance are slowest.
                share = {"COMPLIANCE": 0.75, "FINANCE": 0.6, "REGULATORY": 0.65}.get(fcode, 0.35)
                at = d.requested_at + timedelta(hours=span_hours * min(0.95, share * plan_rng(d, fcode)))
                answered = at <= horizon and (d.status != "open" or plan_rng(d, fcode + "x") < 0.5)
                # On a shared decision some answers are shared too (their authors' choice).
                p.visibility = "shared" if d.visibility == "shared" and plan_rng(d, "share" + fcode) < 0.5 \
                    else "internal"
                if role == "A" and answered:
                    if d.status == "decided" and plan_rng(d, "veto" + fcode) < 0.08:
                        first = d.requested_at + (at - d.requested_at) / 2
                        events.append(DecisionEvent(decision=d, kind="vetoed", actor=user, at=first,
                                                    message="Not acceptable as drafted; revise the terms."))
                    p.agreed, p.agreed_at, p.comment = True, at, "Agreed."
                    events.append(DecisionEvent(decision=d, kind="agreed", actor=user, at=at, message="Agreed.",
                                                visibility=p.visibility))
                elif role in ("I", "R") and answered:
                    p.input_at, p.input_text = at, "Input given: see attached analysis."
                    events.append(DecisionEvent(decision=d, kind="input_given", actor=user, at=at,
                                                message=p.input_text, visibility=p.visibility))
                participants.append(p)
        for level, from_unit, to_unit, from_user, to_user, missed in plan["ladder"]:
            escalations.append(Escalation(decision=d, level=level, function=d.decider_function, from_unit=from_unit,
                                          to_unit=to_unit, from_user=from_user, to_user=to_user,
                                          missed_deadline=missed, at=missed + timedelta(minutes=1)))
            participants.append(DecisionParticipant(decision=d, user=to_user, function=d.decider_function,
                                                    org_unit=to_unit, role="D", level=level))
            events.append(DecisionEvent(
                decision=d, kind="escalated", at=missed + timedelta(minutes=1), level=level,
                message=f"Not decided at {from_unit.name} in time: escalated to "
                        f"{to_user.get_full_name() or to_user.username} ({d.decider_function.name}, {to_unit.name}).",
                data={"from_unit": from_unit.code, "to_unit": to_unit.code, "to_user": to_user.username}))
        if d.escalation_exhausted:
            events.append(DecisionEvent(decision=d, kind="escalated", at=d.due_at + timedelta(minutes=1),
                                        level=d.escalation_level, data={"exhausted": True},
                                        message="Overdue and there is nowhere higher to escalate: admins notified."))
        if d.status == "decided":
            events.append(DecisionEvent(decision=d, kind="decided", actor=d.decider, at=end, level=d.escalation_level,
                                        message=d.outcome, data={"outcome": d.outcome}, visibility=d.visibility))
        elif d.status == "withdrawn":
            events.append(DecisionEvent(decision=d, kind="withdrawn", actor=d.requested_by, at=end,
                                        message="No longer needed."))
        else:
            url = reverse("decisions:detail", args=[d.pk])
            notes.append(Notification(recipient=d.decider, kind="decision.decide", title=f"Decision for you: {d.title}",
                                      url=url, dedupe_key=f"decision:{d.pk}:logged", created_at=d.requested_at))
    DecisionParticipant.objects.bulk_create(participants, ignore_conflicts=True)
    DecisionEvent.objects.bulk_create(sorted(events, key=lambda e: e.at))
    Escalation.objects.bulk_create(escalations)
    Notification.objects.bulk_create(notes, ignore_conflicts=True)


# Logged through the real services so the demo personas find work waiting in their queue and bell:
# (requester, type, unit, title, priority, hours ago, [(who, action)])
STORIES = [
    ("manager.de", "PRICE_EXC", "DE", "Price exception for Charité tender (12% below corridor)", "high", 5,
     [("de.access", "agree")]),
    ("manager.de", "TENDER", "DE", "Bid for Bavarian hospital group tender, lot 3", "urgent", 2, []),
    ("manager.de", "PROMO", "DE", "Detail aid v4 for the DACH launch of the closure device", "normal", 20,
     [("dach.medical", "agree")]),
    ("manager.de", "PARTNER_ONB", "DE", "Onboard MedDistrib GmbH as distributor for Northern Germany", "normal", 30,
     []),
    ("manager.jp", "PRICE_EXC", "JP", "Price exception for Tokyo university hospital", "normal", 6, []),
    ("manager.dach", "DIST_TERMS", "AT", "Payment terms for Austrian distributor renewal", "normal", 50, []),
    # Waiting on the requester (vetoed: revise or withdraw) and on the partner (paused for their data).
    ("manager.de", "PRICE_EXC", "DE", "Rebate above list for a regional buying group", "normal", 9,
     [("de.access", "veto")]),
    ("manager.de", "DIST_TERMS", "DE", "Volume tiers for the MedLogistik renewal", "normal", 40,
     [("manager.de", "pause:PARTNER_DATA")]),
]
STORY_PARTNERSHIPS = {"Volume tiers for the MedLogistik renewal": "MedLogistik Germany distribution"}


def _live_stories(*, now, types, units) -> None:
    users = {u.username: u for u in User.objects.filter(username__in={s[0] for s in STORIES} | {
        who for s in STORIES for who, _ in s[6]})}
    for requester, code, unit, title, priority, hours_ago, steps in STORIES:
        if requester not in users or unit not in units:
            continue
        partnership = Partnership.objects.filter(name=STORY_PARTNERSHIPS.get(title, "")).first()
        if partnership is not None and not can(users[requester], LOG, partnership):
            partnership = None
        decision = services.decision_log(
            actor=users[requester], decision_type=types[code], org_unit=units[unit], title=title, priority=priority,
            description=_description(code, units[unit]), options=_options(code, random.Random(title)),
            partnership=partnership, visibility="shared" if partnership else "internal",
            now=now - timedelta(hours=hours_ago))
        at = now - timedelta(hours=hours_ago / 2)
        for who, action in steps:
            if who not in users:
                continue
            if action in ("agree", "veto"):
                services.decision_agree(decision=decision, actor=users[who], agree=action == "agree", now=at,
                                        comment="Fine from our side." if action == "agree" else
                                        "The rebate breaks the corridor; bring it within 10%.")
            elif action.startswith("pause:") and partnership is not None:
                services.decision_pause(decision=decision, actor=users[who], reason=action.split(":")[1],
                                        party="partner", note="Volume forecast for 2027", now=at)


def _forum(*, now, unit, chair, decision_type) -> None:
    """Issue 18: the DACH Commercial Council (first Tuesday of the month, 10:00 Berlin) decides
    distributor contract terms; its next meeting is cancelled, so its queue waits for the one after."""
    forum = services.forum_create(name="DACH Commercial Council", org_unit=unit, chair_function=chair,
                                  recurrence="monthly", weekday=1, week_of_month=1, time_of_day=time(10, 0),
                                  first_date=(now - timedelta(days=120)).date())
    upcoming = next_meeting(forum, now, [])
    if upcoming is not None:
        services.meeting_exception_create(forum=forum, date=upcoming.astimezone(ZoneInfo(unit.timezone)).date(),
                                          note="Moved to the DACH offsite")
    services.decision_type_update(decision_type=decision_type, forum=forum)


def _forum_story(*, now) -> None:
    """The Austrian payment terms need the council: the DACH manager flags them (queued at once)."""
    decision = Decision.objects.filter(title="Payment terms for Austrian distributor renewal", status="open").first()
    if decision is not None and decision.decision_type.forum_id is not None:
        services.decision_flag_forum(decision=decision, actor=decision.requested_by, now=now - timedelta(hours=20),
                                     note="Exclusivity for Austria is a council matter.")


def plan_rng(decision, salt: str) -> float:
    """A stable pseudo-random number per decision and salt (keeps the generator reproducible)."""
    return random.Random(f"{decision.pk}:{salt}").random()


def holidays_by_unit_for(units, holidays_by_unit) -> set:
    return set().union(*(holidays_by_unit.get(u.pk, set()) for u in units))


def _partnerships_by_unit() -> dict[int, list[int]]:
    out: dict[int, list[int]] = defaultdict(list)
    for partnership_id, unit_id in Partnership.org_units.through.objects.values_list("partnership_id", "orgunit_id"):
        out[unit_id].append(partnership_id)
    return out


def _description(code: str, market: OrgUnit) -> str:
    return {
        "PRICE_EXC": f"A distributor in {market.name} asks for a net price below the corridor to win a tender.",
        "TENDER": f"Public tender in {market.name}; bid price and service levels need approval.",
        "PROMO": "New promotional material must pass medical and compliance review before use.",
        "DOSSIER": "The payer dossier is ready; submission timing and evidence package need sign-off.",
        "PARTNER_ONB": "Due diligence is complete; onboarding needs commercial, finance and compliance sign-off.",
    }.get(code, f"Decision needed for {market.name}; options and trade-offs below.")


def _options(code: str, rng: random.Random) -> list[dict]:
    pairs = [("Approve as requested", "Fastest; keeps the partner engaged", "Sets a precedent"),
             ("Approve with conditions", "Balances value and risk", "Takes longer to agree"),
             ("Decline", "Protects price and compliance position", "Risk of losing the business")]
    return [{"option": o, "pros": p, "cons": c} for o, p, c in pairs[: rng.randint(2, 3)]]


def _outcome(code: str, rng: random.Random) -> str:
    return rng.choice(["Approved as requested.", "Approved with conditions: review after one quarter.",
                       "Approved at a reduced level.", "Declined: outside the guideline."])


def _joint_stories(*, now, types, units) -> None:
    """The demo partner's joint decisions: one decided with their agreement, one waiting on it, one
    asking for their input (the partner answers from their portal)."""
    home = Partnership.objects.filter(name=PARTNER_HOME).first()
    users = {u.username: u for u in User.objects.filter(username__in=["manager.de", "partner.demo"])}
    if home is None or "DE" not in units or len(users) < 2 or not home.members.filter(
            pk=users["partner.demo"].pk).exists():
        return

    def log(code, title, hours_ago, description):
        return services.decision_log(actor=users["manager.de"], decision_type=types[code], org_unit=units["DE"],
                                     partnership=home, title=title, description=description,
                                     now=now - timedelta(hours=hours_ago))

    done = log("JOINT_PROMO", "Joint autumn promotion: closure devices in Bavarian hospitals", 400,
               "Co-funded promotion with the distributor: 40/60 cost split, 8 weeks.")
    services.decision_agree(decision=done, actor=users["partner.demo"], agree=True,
                            comment="Agreed; our field team is staffed for it.", now=now - timedelta(hours=380))
    for seat in done.participants.filter(role="A").exclude(function__code=PARTNER_FUNCTION).select_related("user"):
        services.decision_agree(decision=done, actor=seat.user, agree=True, comment="Materials checked.",
                                now=now - timedelta(hours=370))
    services.decision_decide(decision=done, actor=done.decider, outcome="Go: promotion runs September–October.",
                             now=now - timedelta(hours=360))
    log("JOINT_PROMO", "Joint Q1 promotion plan: hospital bundle with MedLogistik", 20,
        "Bundle offer for university hospitals in Q1; the distributor carries the logistics cost.")
    log("JOINT_FORECAST", "Demand forecast for the Q1 bundle", 8,
        "Volumes for the Q1 bundle; the distributor's view of hospital demand is needed.")
