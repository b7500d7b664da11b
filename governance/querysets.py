"""The access model: one permission vocabulary for every model (after NetBox's ``restrict()``).

Every queryset a view, API, form, filter, selector or service uses to read or write goes through

    Model.objects.restrict(user, action)        # the rows ``user`` may ``action``
    can(user, action, obj)                      # one object: the same rule, as a yes/no

and nothing else decides who may do what to which row. The actions:

* ``"view"``   — read it: it appears in lists and its page/detail answers 200 (otherwise 404);
* ``"change"`` — edit it (PUT/PATCH, its edit forms, sharing it; for a decision: withdraw, reopen);
* ``"delete"`` — delete (or retire) it;
* ``"log"``    — record things against it: place partners, decisions, measurements in an org unit;
                 tag decisions and measurements with a partnership, log its reviews, actions and
                 internal maturity assessments;
* ``"share"``  — (users only) the people a partnership may be shared with.

Scope comes from the user's role: admins may do everything; leaders and managers act on rows in
the subtrees of the org units they hold an ``Assignment`` at; partner users only on rows of the
partnerships they are members of, and only on what was shared with them. Inactive and anonymous
users may do nothing. Each model's queryset declares the actions it knows (``actions``) and
implements one ``_restrict_<action>(user)`` method per action; asking a model for an action it does
not declare raises ``ValueError``, so a typo cannot silently grant or deny. The table of who may do
what is in docs/security.md; ``tests/security/test_access_model.py`` pins it per role and checks
that the route × role matrix exercises every (model, action) pair.

Writes check twice: a view or serializer resolves references through ``restrict(user, "log")``
(or ``"view"``) and the service re-checks with ``can()`` inside its transaction. Out of ``"view"``
scope answers 404; visible but not allowed answers 403.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

from django.apps import apps
from django.core.exceptions import ImproperlyConfigured
from django.db import connection, models

if TYPE_CHECKING:
    from governance.models import User


# Replaced (never mutated) by every write in this process to what a scope is read from: an
# ``Assignment`` saved or deleted, a partnership's members changed (``scope_inputs_changed``). A
# user object's cached assignment units and partnerships are used only while it is unchanged.
_scope_epoch = object()


def scope_inputs_changed(**kwargs) -> None:
    """Signal receiver (``Assignment``'s ``post_save`` / ``post_delete``, ``Partnership.members``'
    ``m2m_changed``): forget every user object's cached scope inputs, whichever object of which
    user the write went through."""
    global _scope_epoch
    _scope_epoch = object()


def _cached_on_user(user: User, attribute: str, read):
    """``read()`` once per user object and scope epoch, kept on the object as ``attribute``."""
    epoch = _scope_epoch
    cached = getattr(user, attribute, None)
    if cached is not None and cached[0] is epoch:
        return cached[1]
    ids = read()
    setattr(user, attribute, (epoch, ids))
    return ids


def assignment_unit_ids(user: User) -> list[int]:
    """The ids of the org units ``user`` holds an assignment at, read once per user object.

    Cached on the object (``user._scope_unit_ids``): ``request.user`` is one object per request, so
    this costs one small query per request, not one per scoped queryset. An ``Assignment`` saved or
    deleted through the ORM anywhere in this process invalidates every cached copy. Writes that
    send no signals (``bulk_create``, ``QuerySet.update``, raw SQL) or come from another process
    are seen by the next user object, i.e. the next request."""
    return _cached_on_user(user, "_scope_unit_ids", lambda: _read_assignment_unit_ids(user.pk))


def compiled_statement(queryset: models.QuerySet, params: tuple) -> str:
    """``queryset``'s SQL, to be cached and run again with other values in place of ``params``: for
    a statement that is the same for everyone and runs on every request, where compiling it cost
    about as much as running it. Refuses a statement whose parameters are not exactly ``params``
    (a later change to the queryset that adds one would otherwise bind the wrong values)."""
    sql, compiled = queryset.query.sql_with_params()
    if compiled != params:
        raise ImproperlyConfigured(f"expected the parameters {params!r}, the statement has {compiled!r}: {sql}")
    return sql


@functools.cache
def _assignment_units_sql() -> str:
    """``Assignment.objects.filter(user_id=%s).values_list("org_unit_id")``'s SQL, compiled once."""
    return compiled_statement(apps.get_model("governance", "Assignment").objects.filter(user_id=0).order_by()
                              .values_list("org_unit_id", flat=True), (0,))


def _read_assignment_unit_ids(user_id) -> list[int]:
    # Not ``user.assignments``: a user loaded with a filtered prefetch of them would scope by that subset.
    with connection.cursor() as cursor:
        cursor.execute(_assignment_units_sql(), [user_id])
        return sorted({unit_id for (unit_id,) in cursor.fetchall()})


class InConstants(models.lookups.In):
    """``IN`` with whole numbers written into the statement instead of bound as parameters.

    With prepared statements (``DJANGO_DB_PREPARE_THRESHOLD``) PostgreSQL plans a statement run
    often enough once, for any parameter values: a scope's units as parameters then look like an
    average unit's handful of descendants, and a global leader's 500 units were read by index, one
    unit at a time (the decision list sorted "due first" at 1M decisions: 0.2 s planned for the
    real subtree, 1.2 s on the generic plan; docs/benchmarks.md). Written in, they are part of the
    statement, so its plan is made for them. Only ``int`` values are accepted."""

    def process_rhs(self, compiler, connection):
        if not all(type(value) is int for value in self.rhs):
            raise TypeError("InConstants takes whole numbers (int) only.")
        return "(" + ", ".join(str(value) for value in sorted(set(self.rhs))) + ")", []


class InArray(models.Lookup):
    """``column = ANY(%s)`` with the ids bound as one array parameter, for a page's ids
    (``decision_id`` of the 25–50 decisions just read).

    ``__in`` binds one parameter per id: Django prepares each through the field, psycopg scans a
    statement text that differs with the page's length (and stops caching its conversion past 50
    parameters), and PostgreSQL prepares one statement per page length. As one array the statement
    is the same for every page. Only ``int`` values are accepted."""

    lookup_name = "in_array"
    prepare_rhs = False

    def get_prep_lookup(self):
        ids = list(self.rhs)
        if not all(type(value) is int for value in ids):
            raise TypeError("InArray takes whole numbers (int) only.")
        return ids

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        return f"{lhs} = ANY(%s::bigint[])", (*lhs_params, self.rhs)


def visible_org_unit_ids(user: User) -> models.QuerySet:
    """Subquery of the ids of every org unit in ``user``'s scope (one indexed closure-table query).

    Leaders and managers: the closure rows below their assignment units, filtered by those unit
    ids as constants (``assignment_unit_ids``: one extra small query per user object) rather than
    by a join through ``Assignment``. Through the join PostgreSQL cannot know how big the subtree
    is and estimates a handful of units whatever it is; for a global leader (500 units) it then
    reads every scoped row through nested loops and sorts them. With constants it uses the closure's
    statistics for those ancestors, plans for the real subtree size and walks the newest decisions
    instead (the decision list's page query, both ways: docs/benchmarks.md#figures-behind-code-comments).
    The constants are written into the SQL (``InConstants``), so a prepared statement keeps them."""
    closure = apps.get_model("governance", "OrgUnitClosure").objects.all()  # by label: models imports this module
    if not is_active_user(user):
        return closure.none().values("descendant_id")
    if user.is_admin:
        return closure.filter(depth=0).values("descendant_id")
    if user.is_partner:
        return closure.filter(ancestor__partnerships__in=member_partnership_ids(user)).values("descendant_id")
    unit_ids = assignment_unit_ids(user)
    if not unit_ids:
        # Nothing in scope; still a real (empty) subquery, so callers that render the SQL of a
        # scoped queryset get SQL rather than EmptyResultSet.
        return closure.filter(ancestor__assignments__user=user).values("descendant_id")
    return closure.filter(InConstants(models.F("ancestor_id"), unit_ids)).values("descendant_id")


def member_partnership_ids(user: User) -> tuple[int, ...] | models.QuerySet:
    """The ids of the partnerships ``user`` belongs to (partner users), through the
    ``User.partnerships`` relation that partners declares (governance imports no app above it).

    Read once per user object, as ``assignment_unit_ids`` is and with the same lifetime: scoped
    querysets then filter by constants (``partnership_id IN (1)``) instead of each carrying the
    membership join as a subquery — a partner's partnership page had twenty of them to compile and
    plan. A user in no partnership gets the (empty) subquery, so scoped querysets still render SQL."""
    ids = _cached_on_user(user, "_member_partnership_ids",
                          lambda: tuple(sorted(user.partnerships.values_list("pk", flat=True))))
    return ids or user.partnerships.values("pk")


def sees_internal(viewer) -> bool:
    """Internal users and admins see internal parts (of what their scope lets them view): who did
    what, internal deliberation. Partner users — and anyone not known to be internal — do not."""
    return not getattr(viewer, "is_partner", True)


def is_active_user(user) -> bool:
    return user is not None and user.is_authenticated and user.is_active


VIEW, CHANGE, DELETE, LOG, SHARE = "view", "change", "delete", "log", "share"


class ScopedQuerySet(models.QuerySet):
    """A queryset that narrows itself to what a user may do: ``restrict(user, action)``.

    Subclasses list their ``actions`` and implement ``_restrict_<action>(user)`` for every action
    but ``view``, whose default covers the common case: ``scope_org_unit_field`` (path to an
    ``OrgUnit``; ``None`` for reference data every internal user may read) and
    ``scope_partnership_field`` (path to a ``Partnership``; ``None``: partner users see none).
    Admins get every row for every action; ``_restrict_*`` methods are only asked about active
    non-admin users.
    """

    actions: tuple[str, ...] = (VIEW,)
    scope_org_unit_field: str | None = "org_unit"
    scope_partnership_field: str | None = None
    # (action, user id) of the restrict() call this queryset came from; kept through filter() & co.
    # so tests can tell a restricted queryset from an unrestricted one.
    _restriction: tuple[str, int | None] | None = None

    def _clone(self):
        clone = super()._clone()
        clone._restriction = self._restriction
        return clone

    @property
    def restriction(self) -> tuple[str, int | None] | None:
        """``(action, user id)`` when this queryset came from ``restrict()``, else ``None``."""
        return self._restriction

    def restrict(self, user: User | None, action: str = VIEW) -> ScopedQuerySet:
        """The rows ``user`` may ``action`` (see the module docstring for the actions)."""
        if action not in self.actions:
            raise ValueError(f"{self.model.__name__} has no action {action!r} (it knows {', '.join(self.actions)}).")
        if not is_active_user(user):
            qs = self.none()
        elif user.is_admin:
            qs = self.all()
        elif self._is_pristine():
            qs = self._restricted_memo(user, action)
        else:
            qs = getattr(self, f"_restrict_{action}")(user)
        qs._restriction = (action, getattr(user, "pk", None))
        return qs

    def _is_pristine(self) -> bool:
        """Is this the model's whole queryset, as the manager hands it out (nothing filtered,
        annotated, ordered or unordered, deferred, locked, sliced, selected or prefetched)? Only
        then is ``restrict()``'s result the same for every caller, so it may be reused
        (``_restricted_memo``)."""
        q = self.query
        return (not q.where.children and not q.annotations and q.select_related is False and not q.order_by
                and q.default_ordering and q.standard_ordering and not q.extra_order_by
                and q.deferred_loading == (frozenset(), True) and not q.select_for_update
                and q.group_by is None and not q.distinct and q.low_mark == 0 and q.high_mark is None
                and not q.values_select and q.combinator is None and not q.extra and q.default_cols
                and len(q.alias_map) <= 1 and not self._prefetch_related_lookups and self._fields is None
                and self._db is None and not self._hints)

    def _restricted_memo(self, user: User, action: str) -> ScopedQuerySet:
        """``Model.objects.restrict(user, action)`` built once per user object and reused as a
        fresh clone: one request asks for the same scope many times (the KPI page built the
        partnership scope four times — a third of its CPU), and building one is Python work.

        What is kept is the unevaluated queryset — SQL still read by PostgreSQL on every use,
        never rows. The only Python-side inputs to a scope are the user's role and active flag,
        its assignment units and its partnerships (``assignment_unit_ids``,
        ``member_partnership_ids``, which have the same lifetime): the key holds the first two and
        the scope epoch, so a role change on this object, or any Assignment or membership write in
        this process, builds it anew."""
        memo = user.__dict__.setdefault("_restrict_memo", {})
        key = (type(self), self.model, action, user.role, user.is_active, user.is_superuser, _scope_epoch)
        built = memo.get(key)
        if built is None:
            built = memo[key] = getattr(self, f"_restrict_{action}")(user)
        return built._chain()

    def related_model(self, field: str) -> type[models.Model]:
        """The model at the other end of this model's relation ``field``: how a queryset reaches a
        related model without importing the models module that imports it."""
        return self.model._meta.get_field(field).related_model

    def visible_to(self, user: User | None) -> ScopedQuerySet:
        """Deprecated alias of ``restrict(user, "view")``, kept while branches written before the
        vocabulary merge; new code calls ``restrict``."""
        return self.restrict(user, VIEW)

    def _restrict_view(self, user: User) -> ScopedQuerySet:
        if user.is_partner:
            if self.scope_partnership_field is None:
                return self.none()
            return self.filter(**{f"{self.scope_partnership_field}__in": member_partnership_ids(user)})
        if self.scope_org_unit_field is None:
            return self.all()
        return self.filter(**{f"{self.scope_org_unit_field}__in": visible_org_unit_ids(user)})

    def _nobody(self, user: User) -> ScopedQuerySet:
        """For actions only admins may take (admins never reach ``_restrict_*``)."""
        return self.none()


def can(user: User | None, action: str, obj: models.Model) -> bool:
    """May ``user`` ``action`` this object? Exactly ``obj in Model.objects.restrict(user, action)``."""
    return type(obj)._default_manager.restrict(user, action).filter(pk=obj.pk).exists()


def registered_actions() -> dict[type[models.Model], tuple[str, ...]]:
    """Every model whose default manager is scoped, with the actions it knows: the (model, action)
    pairs the access-model tests enumerate."""
    out = {}
    for model in apps.get_models():
        qs = model._default_manager.all()
        if isinstance(qs, ScopedQuerySet):
            out[model] = qs.actions
    return out


class OrgUnitQuerySet(ScopedQuerySet):
    """view / log: the units in the user's subtrees (partner users: their partnerships' units and
    below) — you may place records in the units you can see. change: admins (the org tree)."""

    actions = (VIEW, CHANGE, LOG)
    scope_org_unit_field = "pk"

    def _restrict_view(self, user: User) -> OrgUnitQuerySet:
        return self.filter(pk__in=visible_org_unit_ids(user))

    _restrict_log = _restrict_view
    _restrict_change = ScopedQuerySet._nobody

    def active(self) -> OrgUnitQuerySet:
        """Not archived: the units offered for new records."""
        return self.filter(archived_at__isnull=True)

    def subtree_of(self, unit, *, include_self: bool = True) -> OrgUnitQuerySet:
        """Every unit under ``unit`` in one indexed query (closure table)."""
        qs = self.filter(ancestor_links__ancestor=unit)
        return qs if include_self else qs.exclude(pk=unit.pk)

    def ancestors_of(self, unit, *, include_self: bool = True) -> OrgUnitQuerySet:
        """``unit``'s chain up to Global, nearest first."""
        qs = self.filter(descendant_links__descendant=unit).order_by("descendant_links__depth")
        return qs if include_self else qs.exclude(pk=unit.pk)


def scoped(model: type[models.Model], action: str = VIEW):
    """A queryset *callable on the request* for django-filter's ``ModelChoiceFilter`` and forms:
    the choices are ``model.objects.restrict(request.user, action)``, so an id outside the
    caller's scope is refused exactly like one that does not exist."""

    def queryset(request) -> ScopedQuerySet:
        return model._default_manager.restrict(getattr(request, "user", None), action)

    queryset.__qualname__ = f"scoped({model.__name__}, {action!r})"
    return queryset
