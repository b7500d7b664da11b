"""The access model as a table: for every (model, action) pair the code knows, which of the
world's objects each role gets from ``Model.objects.restrict(user, action)`` — and the guarantees
that keep every read and write on that one vocabulary (no unscoped references in serializers or
filters, no ``.objects.all()`` in views, no hand-picked ``visible_to``/``editable_by``).

Objects are the world's ``a`` (Germany / partnership A) and ``b`` (Japan / partnership B) of
tests/security/conftest.py. Letters per role, in the order admin, leader (EMEA), manager DE,
manager JP, partner (member of A): which of a/b the role may take the action on.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from django.conf import settings
from django.test import RequestFactory
from rest_framework import serializers

from governance.querysets import can, registered_actions, scoped
from tests.security.conftest import World

pytestmark = pytest.mark.django_db

ROLES = ("admin", "leader", "manager_de", "manager_jp", "partner")
EVERYONE, ORG, PARTNERSHIP, INTERNAL = ("ab", "a", "a", "b", "a"), ("ab", "a", "a", "b", ""), \
    ("ab", "a", "a", "b", "a"), ("ab", "ab", "ab", "ab", "")
ADMIN = ("ab", "", "", "", "")
IN_SCOPE_INTERNAL = ("ab", "a", "a", "b", "")

# (model label, action) -> per-role letters. A pair the code declares without a row here fails
# test_every_model_action_pair_has_a_declared_expectation.
ACCESS: dict[tuple[str, str], tuple[str, ...]] = {
    ("governance.OrgUnit", "view"): PARTNERSHIP,
    ("governance.OrgUnit", "log"): PARTNERSHIP,
    ("governance.OrgUnit", "change"): ADMIN,
    ("governance.Function", "view"): ("ab",) * 5,  # admins create functions: a role rule, no object rule
    ("governance.Function", "change"): ADMIN,
    # a = manager DE, b = manager JP. The leader sees the manager in their subtree; a manager
    # sees themselves; a partner user only themselves (neither a nor b).
    ("governance.User", "view"): ("ab", "a", "a", "b", ""),
    ("governance.User", "change"): ADMIN,
    ("governance.User", "share"): ("ab", "ab", "ab", "ab", ""),
    ("governance.Assignment", "view"): ORG,
    ("governance.Notification", "view"): ("", "", "a", "b", ""),  # one's own, admins included
    ("governance.Notification", "change"): ("", "", "a", "b", ""),
    ("partners.Partner", "view"): PARTNERSHIP,
    ("partners.Partner", "change"): IN_SCOPE_INTERNAL,
    ("partners.Partner", "delete"): IN_SCOPE_INTERNAL,
    ("partners.Partnership", "view"): PARTNERSHIP,
    ("partners.Partnership", "log"): PARTNERSHIP,
    ("partners.Partnership", "change"): IN_SCOPE_INTERNAL,
    ("partners.Partnership", "delete"): IN_SCOPE_INTERNAL,
    ("partners.MaturityAssessment", "view"): PARTNERSHIP,
    ("partners.MaturityAssessment", "change"): IN_SCOPE_INTERNAL,  # both are internal-side assessments
    ("partners.MaturityAssessment", "delete"): ADMIN,
    ("partners.BusinessReview", "view"): PARTNERSHIP,
    ("partners.BusinessReview", "change"): IN_SCOPE_INTERNAL,
    ("partners.BusinessReview", "delete"): IN_SCOPE_INTERNAL,
    ("partners.ReviewAction", "view"): PARTNERSHIP,
    ("partners.ReviewAction", "change"): ("ab", "a", "a", "b", "a"),  # the partner owns action a
    ("partners.ReviewAction", "delete"): IN_SCOPE_INTERNAL,
    ("partners.EnablementItem", "view"): PARTNERSHIP,
    ("partners.EnablementItem", "change"): ("ab", "a", "a", "b", "a"),  # the partner owns item a
    ("partners.EnablementItem", "delete"): IN_SCOPE_INTERNAL,  # archive and edit: who may change the partnership
    ("kpis.KPI", "view"): ("ab", "ab", "ab", "ab", "a"),
    ("kpis.KPI", "change"): ADMIN,
    ("kpis.KPI", "delete"): ADMIN,
    ("kpis.KPIOwnership", "view"): PARTNERSHIP,  # the partnership co-owner rows: a = A's, b = B's
    ("kpis.Target", "view"): PARTNERSHIP,
    ("kpis.Target", "change"): ADMIN,
    ("kpis.Target", "delete"): ADMIN,
    ("kpis.Measurement", "view"): PARTNERSHIP,
    ("kpis.ScorecardCell", "view"): PARTNERSHIP,
    ("kpis.TargetProposal", "view"): PARTNERSHIP,  # who may answer is the catch-ball's side rule, not a scope
    ("kpis.TargetProposalStep", "view"): PARTNERSHIP,
    # Cohort statistics are aggregates: internal users all; a partner user their type's cohorts of the
    # KPIs their partnership co-owns (a: KPI A, co-owned by partnership A). Positions: with the partnership.
    ("partners.PeerCohort", "view"): ("ab", "ab", "ab", "ab", "a"),
    ("partners.PeerPosition", "view"): PARTNERSHIP,
    ("partners.Commitment", "view"): PARTNERSHIP,  # both sides see both sides' commitments
    # The cascade: a (Germany) and b (Japan) refine a global objective; the line and subtrees see them,
    # leaders and managers in scope change them, partner users see none (objectives have no sharing flag).
    ("kpis.StrategicObjective", "view"): IN_SCOPE_INTERNAL,
    ("kpis.StrategicObjective", "change"): IN_SCOPE_INTERNAL,
    ("kpis.StrategicObjective", "delete"): IN_SCOPE_INTERNAL,
    ("decisions.DecisionType", "view"): ("ab",) * 5,
    ("decisions.DecisionType", "change"): ADMIN,
    ("decisions.DecisionType", "delete"): ADMIN,
    ("decisions.MatrixVersion", "view"): INTERNAL,
    ("decisions.Holiday", "view"): ORG,
    ("decisions.Holiday", "change"): ADMIN,
    ("decisions.Decision", "view"): PARTNERSHIP,
    ("decisions.Decision", "change"): ("ab", "", "a", "b", ""),  # requester and decider of each; not the leader
    # The world's decisions are shared with their partner; their answers and escalations are not.
    ("decisions.DecisionParticipant", "view"): ORG,
    ("decisions.DecisionEvent", "view"): PARTNERSHIP,  # the "logged" entry records the shared decision
    ("decisions.Escalation", "view"): ORG,
    ("decisions.Chase", "view"): ORG,
    # Stage intervals and pauses of the shared decision reach the partner (internal parties redacted).
    ("decisions.DecisionStage", "view"): PARTNERSHIP,
    ("decisions.DecisionPause", "view"): PARTNERSHIP,
    # Forums are internal, seen in their unit's scope; agenda items through their decision, internal only.
    ("decisions.Forum", "view"): ORG,
    ("decisions.Forum", "change"): ADMIN,
    ("decisions.ForumMeetingException", "view"): ORG,
    ("decisions.ForumMeetingException", "change"): ADMIN,
    ("decisions.AgendaItem", "view"): ORG,
    ("reports.BriefingBook", "view"): PARTNERSHIP,  # partner users: their partnership's, shared version only
    ("reports.ReviewAgendaItem", "view"): PARTNERSHIP,  # drafted agenda lines, as their subject may be seen
    ("kpis.ImportJob", "view"): ("", "", "a", "b", ""),  # one's own uploads (a: manager DE's), admins included
}


def _objects(world: World, label: str, side: str):
    """The world's object of model ``label`` on ``side`` (a or b)."""
    from decisions.models import (
        AgendaItem,
        Chase,
        DecisionEvent,
        DecisionPause,
        DecisionStage,
        Escalation,
        ForumMeetingException,
        Holiday,
    )
    from governance.models import Assignment, Notification
    from kpis.models import KPIOwnership, ScorecardCell
    from partners.models import PeerCohort, PeerPosition
    from reports.models import ReviewAgendaItem

    s = getattr(world, side)
    direct = {"governance.OrgUnit": "org_unit", "governance.Function": "function", "governance.User": "user",
              "partners.Partner": "partner", "partners.Partnership": "partnership",
              "partners.MaturityAssessment": "assessment", "partners.BusinessReview": "review",
              "partners.ReviewAction": "review_action",
              "partners.EnablementItem": "enablement", "kpis.KPI": "kpi", "kpis.Target": "target",
              "kpis.Measurement": "measurement", "kpis.StrategicObjective": "objective",
              "decisions.DecisionType": "decision_type", "decisions.MatrixVersion": "matrix_version",
              "decisions.Decision": "decision", "reports.BriefingBook": "book", "decisions.Forum": "forum",
              "kpis.ImportJob": "import_job"}
    if label in direct:
        return s[direct[label]]
    return {
        "governance.Assignment": lambda: Assignment.objects.get(user=s["user"]),
        "governance.Notification": lambda: Notification.objects.filter(recipient=s["user"]).first(),
        "kpis.KPIOwnership": lambda: KPIOwnership.objects.get(kpi=s["kpi"], partnership=s["partnership"]),
        "kpis.ScorecardCell": lambda: ScorecardCell.objects.filter(
            kpi=s["kpi"], org_unit=s["org_unit"], partnership=s["partnership"], grain="month").first(),
        "decisions.DecisionParticipant": lambda: s["decision"].participants.first(),
        "decisions.DecisionEvent": lambda: DecisionEvent.objects.filter(decision=s["decision"]).first(),
        "decisions.Escalation": lambda: Escalation.objects.get(decision=s["decision"]),
        "decisions.Chase": lambda: Chase.objects.get(decision=s["decision"]),
        "decisions.DecisionStage": lambda: DecisionStage.objects.filter(decision=s["decision"]).first(),
        "decisions.DecisionPause": lambda: DecisionPause.objects.get(decision=s["decision"]),
        "decisions.Holiday": lambda: Holiday.objects.get(org_unit=s["org_unit"]),
        "decisions.ForumMeetingException": lambda: ForumMeetingException.objects.get(forum=s["forum"]),
        "decisions.AgendaItem": lambda: AgendaItem.objects.get(decision=s["decision"]),
        "kpis.TargetProposal": lambda: s["proposal"],
        "kpis.TargetProposalStep": lambda: s["proposal"].steps.first(),
        "partners.PeerCohort": lambda: PeerCohort.objects.get(kpi=s["kpi"]),
        "partners.PeerPosition": lambda: PeerPosition.objects.get(partnership=s["partnership"]),
        "partners.Commitment": lambda: s["commitment"],
        "reports.ReviewAgendaItem": lambda: ReviewAgendaItem.objects.get(review=s["review"]),
    }[label]()


@pytest.fixture
def full_world(world: World) -> World:
    """The world plus the rows it has no fixture for: scorecard cells, holidays, escalations."""
    from decisions.models import AgendaItem, Chase, DecisionPause, Escalation, ForumMeetingException, Holiday, PauseRule
    from kpis.services.rollup import rollup_full
    from reports.models import ReviewAgendaItem

    rollup_full()
    at = datetime(2026, 3, 3, tzinfo=UTC)
    for side in (world.a, world.b):
        Holiday.objects.create(org_unit=side["org_unit"], date=date(2026, 12, 25), name="Christmas")
        decision = side["decision"]
        Escalation.objects.create(decision=decision, level=1, function=decision.decider_function,
                                  from_unit=decision.deciding_unit, to_unit=decision.deciding_unit,
                                  from_user=decision.decider, to_user=decision.decider, missed_deadline=at, at=at)
        Chase.objects.create(decision=decision, stage="agree", function=decision.decider_function, level=1,
                             from_unit=decision.deciding_unit, to_unit=None, missed_deadline=at, at=at)
        ForumMeetingException.objects.create(forum=side["forum"], date=date(2026, 3, 3))
        AgendaItem.objects.create(forum=side["forum"], decision=decision, reason="flagged", queued_at=at,
                                  meeting_at=at, passes_at=at)
        ReviewAgendaItem.objects.create(review=side["review"], section="action", position=0,
                                        action=side["review_action"], drafted_at=at)
        rule = PauseRule.objects.create(decision_type=decision.decision_type, code="WAIT", label="Waiting")
        DecisionPause.objects.create(decision=decision, rule=rule, party_kind="requester", stops_clock=False,
                                     paused_by=decision.requested_by, paused_at=at, resume_by=at)
    return world


def _label(model) -> str:
    return model._meta.label


def test_every_model_action_pair_has_a_declared_expectation():
    declared = set(ACCESS)
    known = {(_label(m), action) for m, actions in registered_actions().items() for action in actions}
    assert known - declared == set(), f"(model, action) pairs with no row in ACCESS: {sorted(known - declared)}"
    assert declared - known == set(), f"rows in ACCESS for pairs the code does not know: {sorted(declared - known)}"


def test_restrict_and_can_give_each_role_exactly_the_declared_objects(full_world):
    from django.apps import apps

    failures = []
    for (label, action), per_role in ACCESS.items():
        model = apps.get_model(label)
        objs = {side: _objects(full_world, label, side) for side in "ab"}
        assert all(objs.values()), f"the world has no {label} on both sides"
        for role, letters in zip(ROLES, per_role, strict=True):
            user = full_world.user(role)
            rows = set(model.objects.restrict(user, action).filter(pk__in=[o.pk for o in objs.values()])
                       .values_list("pk", flat=True))
            got = "".join(side for side, obj in objs.items() if obj.pk in rows)
            if got != letters:
                failures.append(f"{label} {action} as {role}: expected {letters or '-'}, got {got or '-'}")
            for side, obj in objs.items():  # can() is the same rule, object by object
                if can(user, action, obj) != (side in letters):
                    failures.append(f"can({role}, {action}, {label} {side}) disagrees with restrict()")
    assert not failures, "\n".join(failures)


def test_anonymous_and_inactive_users_may_do_nothing(full_world):
    from django.contrib.auth.models import AnonymousUser

    inactive = full_world.cast["admin"]
    inactive.is_active = False
    for model, actions in registered_actions().items():
        for action in actions:
            assert not model.objects.restrict(AnonymousUser(), action).exists(), (model, action)
            assert not model.objects.restrict(inactive, action).exists(), (model, action)


def test_an_action_a_model_does_not_know_is_an_error_not_a_silent_grant(cast):
    from partners.models import Partnership

    with pytest.raises(ValueError, match="no action 'edit'"):
        Partnership.objects.restrict(cast["admin"], "edit")
    restricted = Partnership.objects.restrict(cast["manager_de"], "change").filter(name__startswith="P")
    assert restricted.restriction == ("change", cast["manager_de"].pk)  # survives filter() and friends
    assert Partnership.objects.filter(name__startswith="P").restriction is None


# --- no reference, filter or view escapes the vocabulary -----------------------------------------


def _request(user):
    request = RequestFactory().get("/api/v1/")
    request.user = user
    return request


def _api_serializer_classes() -> list[type[serializers.Serializer]]:
    import decisions.api.serializers  # noqa: F401 - import every API module so subclasses register
    import governance.api.serializers  # noqa: F401
    import kpis.api.serializers  # noqa: F401
    import partners.api.serializers  # noqa: F401
    import partners.api.views  # noqa: F401

    found, stack = [], [serializers.Serializer]
    while stack:
        cls = stack.pop()
        stack.extend(cls.__subclasses__())
        if cls.__module__.split(".")[0] in ("governance", "partners", "kpis", "decisions"):
            found.append(cls)
    return found


def _writable_relations(serializer, path=""):
    """(path, related field) for every writable reference in ``serializer``, nested ones included."""
    for name, field in serializer.fields.items():
        where = f"{path}{name}"
        if isinstance(field, serializers.ListSerializer):
            field = field.child
        if isinstance(field, serializers.ManyRelatedField):
            if not field.read_only:
                yield where, field.child_relation
        elif isinstance(field, serializers.RelatedField):
            if not field.read_only:
                yield where, field
        elif isinstance(field, serializers.Serializer) and not field.read_only:
            yield from _writable_relations(field, f"{where}.")


def test_every_writable_reference_in_the_api_resolves_through_restrict(cast):
    classes = _api_serializer_classes()
    assert len(classes) > 20
    unscoped = []
    for cls in classes:
        serializer = cls(context={"request": _request(cast["manager_de"]), "now": datetime.now(UTC)})
        for where, field in _writable_relations(serializer):
            if getattr(field.get_queryset(), "restriction", None) is None:
                unscoped.append(f"{cls.__module__}.{cls.__name__}.{where}")
    assert not unscoped, f"references resolved outside restrict(): {unscoped}"


def _list_routes_with_filters():
    """(filterset class, list URL name) of every API list that declares filters."""
    from django.urls import URLPattern, URLResolver, get_resolver

    def walk(patterns, namespace=None):
        for p in patterns:
            if isinstance(p, URLResolver):
                yield from walk(p.url_patterns, p.namespace or namespace)
            elif isinstance(p, URLPattern):
                yield p

    found = {}
    for p in walk(get_resolver().url_patterns):
        view = getattr(p.callback, "cls", None)
        fs = getattr(view, "filterset_class", None)
        if fs is not None and (getattr(p.callback, "actions", None) or {}).get("get") == "list":
            found[fs] = (view, p.name)
    return found


def test_every_filter_that_names_an_object_chooses_from_the_callers_scope(full_world, api):
    """``?partnership=<someone else's>`` must answer exactly like ``?partnership=<no such id>``,
    on every list with such a filter — no existence oracle — and the choices are ``restrict()``-ed."""
    import django_filters
    from django.urls import reverse

    user = full_world.cast["manager_de"]
    client, checked, failures = api(user), [], []
    for fs_class, (view, route) in _list_routes_with_filters().items():
        fs = fs_class(data={}, queryset=view.model.objects.none(), request=_request(user))
        for name, flt in fs.filters.items():
            if not isinstance(flt, django_filters.ModelChoiceFilter | django_filters.ModelMultipleChoiceFilter):
                continue
            qs = flt.get_queryset(_request(user))
            if getattr(qs, "restriction", None) is None:
                failures.append(f"{fs_class.__name__}.{name} chooses from every row")
                continue
            model, field = qs.model, flt.extra.get("to_field_name") or "pk"
            foreign = model.objects.exclude(pk__in=model.objects.restrict(user, "view").values("pk")).first()
            if foreign is None:  # reference data everyone may see: nothing to hide
                continue
            url = reverse(route)
            missing = "NO-SUCH-CODE" if field != "pk" else 987654321
            got = client.get(f"{url}?{name}={getattr(foreign, field)}")
            nothing = client.get(f"{url}?{name}={missing}")
            checked.append(f"{url}?{name}=")
            if (got.status_code, got.json()) != (nothing.status_code, nothing.json()):
                failures.append(f"{url}?{name}=: someone else's answers {got.status_code} {got.json()}, "
                                f"a missing one {nothing.status_code} {nothing.json()}")
    assert not failures, "\n".join(failures)
    for expected in ("/api/v1/assessments/?partnership=", "/api/v1/reviews/?partnership=",
                     "/api/v1/review-actions/?partnership=", "/api/v1/review-actions/?review=",
                     "/api/v1/review-actions/?owner=", "/api/v1/partnerships/?partner=",
                     "/api/v1/measurements/?partnership=", "/api/v1/targets/?partnership=",
                     "/api/v1/decisions/?partnership="):
        assert expected in checked, f"{expected} was not checked"


def test_scoped_filter_querysets_are_callables_on_the_request(cast):
    from partners.models import Partnership

    choices = scoped(Partnership)(_request(cast["partner"]))
    assert choices.restriction == ("view", cast["partner"].pk)
    assert list(choices.values_list("name", flat=True)) == ["Partnership A"]
    assert not scoped(Partnership)(None).exists()  # no request (schema generation): nothing


SOURCE_DIRS = ("governance", "partners", "kpis", "decisions")
USER_FACING = re.compile(r"(^|/)(views|forms|filtersets|selectors|api/[a-z_]+|templatetags/[a-z_]+)\.py$")


def _sources():
    root = Path(settings.BASE_DIR)
    for folder in SOURCE_DIRS:
        for path in sorted((root / folder).rglob("*.py")):
            if "migrations" not in path.parts:
                yield path.relative_to(root).as_posix(), path.read_text()


def test_analytics_snapshots_are_an_internal_work_table_read_only_by_the_viewers_own_key():
    """``decisions.AnalyticsSnapshot`` is not user-facing as a model: no ``restrict()`` (so no ACCESS
    row), never named on a user-facing path; only ``services.analytics_snapshots.snapshot_for(user)``
    reads it, by ``analytics_scope_key(user)`` (tests/decisions/test_analytics_snapshots.py pins
    that each key's figures are exactly its viewers' and that partner users get none)."""
    from decisions.models import AnalyticsSnapshot

    assert AnalyticsSnapshot not in registered_actions()
    offenders = [rel for rel, text in _sources() if "AnalyticsSnapshot" in text and USER_FACING.search(rel)]
    assert not offenders, f"the snapshot table read on a user-facing path: {offenders}"


def test_no_view_serializer_form_or_filter_reads_objects_all():
    offenders = [f"{rel}:{n}" for rel, text in _sources() if USER_FACING.search(rel)
                 for n, line in enumerate(text.splitlines(), 1) if ".objects.all()" in line]
    assert not offenders, f"unscoped .objects.all() on a user-facing path: {offenders}"


def test_every_call_site_uses_the_vocabulary_not_visible_to_or_editable_by():
    pattern = re.compile(r"\.(visible_to|editable_by)\(")
    offenders = [f"{rel}:{n}" for rel, text in _sources() for n, line in enumerate(text.splitlines(), 1)
                 if pattern.search(line) and rel != "governance/querysets.py"]
    assert not offenders, f"hand-picked visible_to/editable_by instead of restrict(user, action): {offenders}"


def test_reads_by_key_compiled_once_are_only_where_the_scope_was_checked_first():
    """``governance.prepared.PreparedRows`` reads rows by their key with no scope of its own. It is
    used only by the decision page's selector, which checks the decision against ``restrict(user,
    "view")`` first and reads a child by the decision alone only for readers who see every such
    child (tests/decisions/test_confidentiality.py compares it with ``restrict()`` for each reader).
    Another use must be reviewed like this one and added here."""
    users = sorted(rel for rel, text in _sources() if "PreparedRows(" in text and rel != "governance/prepared.py")
    assert users == ["decisions/selectors.py"], users
