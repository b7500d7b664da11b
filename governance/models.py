"""The organisation: users and roles, the org-unit tree, functions and assignments."""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable
from typing import ClassVar

from django.apps import apps
from django.contrib.auth.models import AbstractUser, UserManager
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models.signals import post_delete, post_save
from simple_history.models import HistoricalRecords

from governance.natural_keys import NaturalKeyModel
from governance.querysets import (
    CHANGE,
    SHARE,
    VIEW,
    OrgUnitQuerySet,
    ScopedQuerySet,
    assignment_unit_ids,
    is_active_user,
    scope_inputs_changed,
    sees_internal,
    visible_org_unit_ids,
)

# The model behind ``User.partnerships`` (partners declares the relation): governance names it by
# label, as Django names AUTH_USER_MODEL, and imports no app above it.
PARTNERSHIP_MODEL = "partners.Partnership"


def partnership_model() -> type[models.Model]:
    """The ``Partnership`` model, looked up by ``PARTNERSHIP_MODEL`` (app registry ready)."""
    return apps.get_model(PARTNERSHIP_MODEL)


code_validator = RegexValidator(
    r"^[A-Z0-9][A-Z0-9_&-]{0,31}$",
    "Use 1–32 upper-case letters, digits, '_', '-' or '&', starting with a letter or digit.",
)


def validate_timezone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"'{value}' is not an IANA time zone (e.g. Europe/Berlin).")


class Role(models.TextChoices):
    ADMIN = "admin", "Admin"
    LEADER = "leader", "Commercial leader"
    MANAGER = "manager", "Regional manager"
    PARTNER = "partner", "Partner user"


INTERNAL_ROLES = frozenset({Role.ADMIN, Role.LEADER, Role.MANAGER})  # everyone but partner users


class UserQuerySet(ScopedQuerySet):
    """People. view — whose names and ids a user may see: admins everyone; partner users only
    themselves; leaders and managers themselves, everyone assigned in their subtrees or above their
    own units (their line), the partner users of the partnerships they can see and the people those
    partnerships are shared with. change: admins. share: the people a partnership may be shared
    with — any active internal user (sharing reaches outside the sharer's scope on purpose).

    The people seen through an app above governance are that app's rule: it registers a function
    ``user -> Q`` on ``User`` with ``UserQuerySet.see_people_through`` in its ``AppConfig.ready()``
    (partners: ``partners.querysets.people_of_visible_partnerships``)."""

    actions = (VIEW, CHANGE, SHARE)
    people_sources: ClassVar[list[Callable[[User], models.Q]]] = []

    @classmethod
    def see_people_through(cls, source: Callable[[User], models.Q]) -> None:
        """Let leaders and managers also see the users ``source(user)`` selects (idempotent)."""
        if source not in cls.people_sources:
            cls.people_sources.append(source)

    def admins(self) -> UserQuerySet:
        """Active admins (role admin or superuser; ``User.is_admin`` as a query): who hears when nobody else can act."""
        return self.filter(models.Q(role=Role.ADMIN) | models.Q(is_superuser=True), is_active=True)

    def _restrict_view(self, user: User) -> UserQuerySet:
        if user.is_partner:
            return self.filter(pk=user.pk)
        in_scope = Assignment.objects.filter(org_unit__in=visible_org_unit_ids(user)).values("user_id")
        above = OrgUnitClosure.objects.filter(descendant_id__in=assignment_unit_ids(user)).values("ancestor_id")
        line = Assignment.objects.filter(org_unit__in=above).values("user_id")
        seen = models.Q(pk=user.pk) | models.Q(pk__in=in_scope) | models.Q(pk__in=line)
        for source in self.people_sources:
            seen |= source(user)
        return self.filter(seen)

    _restrict_change = ScopedQuerySet._nobody

    def _restrict_share(self, user: User) -> UserQuerySet:
        if user.is_partner:
            return self.none()
        return self.filter(is_active=True).exclude(role=Role.PARTNER, is_superuser=False)


class AccordUserManager(UserManager.from_queryset(UserQuerySet)):
    pass


# What a partner user reads in place of an internal person they are not told about: on pages one
# without a name (``User.name_seen_by``), in the API's and the shared packs' redactions any.
INTERNAL_PERSON = "Internal team"


class User(AbstractUser):
    """A person who logs in. ``role`` decides what kind of scope they have (see querysets)."""

    role = models.CharField(max_length=16, choices=Role.choices, default=Role.MANAGER)
    timezone = models.CharField(
        max_length=64, blank=True, validators=[validate_timezone],
        help_text="IANA zone pages and e-mails show times in (default: the zone of the user's unit).")

    objects = AccordUserManager()
    history = HistoricalRecords(excluded_fields=["password", "last_login"])

    class Meta:
        ordering = ["username"]

    @property
    def is_admin(self) -> bool:
        return self.is_superuser or self.role == Role.ADMIN

    @property
    def is_partner(self) -> bool:
        return not self.is_superuser and self.role == Role.PARTNER

    def name_seen_by(self, viewer) -> str:
        """How pages name this person to ``viewer``: the full name, else the login name — but a
        reader who does not see internal parts (a partner user, ``sees_internal``) is never given an
        internal person's login name (the API gives them no other people at all): they read
        ``INTERNAL_PERSON`` instead. Plain text: escape it (``{{ person|name_for:user }}`` does)."""
        name = self.get_full_name()
        if name:
            return name
        if self.is_partner or sees_internal(viewer) or self.pk == getattr(viewer, "pk", None):
            return self.username
        return INTERNAL_PERSON

    @property
    def is_leader(self) -> bool:
        return self.role == Role.LEADER

    @property
    def is_manager(self) -> bool:
        return self.role == Role.MANAGER


class OrgLevel(models.TextChoices):
    GLOBAL = "global", "Global"
    REGION = "region", "Region"
    CLUSTER = "cluster", "Cluster"
    MARKET = "market", "Market"


LEVEL_DEPTH = {OrgLevel.GLOBAL: 0, OrgLevel.REGION: 1, OrgLevel.CLUSTER: 2, OrgLevel.MARKET: 3}


class OrgUnit(NaturalKeyModel):
    """A node of the org tree: global > region > cluster > market.

    Ancestry lives in ``OrgUnitClosure`` (maintained by ``governance.services``) so that
    "everything under EMEA" is one indexed query.
    """

    code = models.CharField(max_length=32, unique=True, validators=[code_validator])
    name = models.CharField(max_length=120)
    level = models.CharField(max_length=16, choices=OrgLevel.choices)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    timezone = models.CharField(max_length=64, default="UTC", validators=[validate_timezone])
    archived_at = models.DateTimeField(
        null=True, blank=True, editable=False,
        help_text="When it was archived: kept for history, no longer offered for new records.")

    objects = OrgUnitQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    @property
    def depth(self) -> int:
        return LEVEL_DEPTH[OrgLevel(self.level)]

    def clean(self) -> None:
        if self.level == OrgLevel.GLOBAL:
            if self.parent_id is not None:
                raise ValidationError({"parent": "The global unit has no parent."})
            return
        if self.parent is None:
            raise ValidationError({"parent": f"A {self.level} needs a parent."})
        if LEVEL_DEPTH[OrgLevel(self.parent.level)] != self.depth - 1:
            expected = [lvl for lvl, d in LEVEL_DEPTH.items() if d == self.depth - 1][0]
            raise ValidationError({"parent": f"A {self.level} sits under a {expected}, not a {self.parent.level}."})


class OrgUnitClosure(models.Model):
    """Closure table of the org tree: one row per (ancestor, descendant) pair, self included."""

    ancestor = models.ForeignKey(OrgUnit, on_delete=models.CASCADE, related_name="descendant_links")
    descendant = models.ForeignKey(OrgUnit, on_delete=models.CASCADE, related_name="ancestor_links")
    depth = models.PositiveSmallIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["ancestor", "descendant"], name="orgunitclosure_unique_pair")
        ]
        # Scoping and rollups go from a descendant to its ancestors.
        indexes = [models.Index(fields=["descendant", "ancestor"], name="orgclosure_desc_anc")]

    def __str__(self) -> str:
        return f"{self.ancestor_id} > {self.descendant_id} ({self.depth})"


class FunctionQuerySet(ScopedQuerySet):
    """Functions are reference data: every signed-in user may view them; admins create, change
    and archive them."""

    actions = (VIEW, CHANGE)

    def _restrict_view(self, user: User) -> FunctionQuerySet:
        return self.all()

    _restrict_change = ScopedQuerySet._nobody

    def active(self) -> FunctionQuerySet:
        """Not archived: the functions offered for new records."""
        return self.filter(archived_at__isnull=True)


class Function(NaturalKeyModel):
    """An internal function: Sales, Marketing, Market Access, Medical Affairs, Compliance, …"""

    code = models.CharField(max_length=32, unique=True, validators=[code_validator])
    name = models.CharField(max_length=120)
    archived_at = models.DateTimeField(
        null=True, blank=True, editable=False,
        help_text="When it was archived: kept for history, no longer offered for new records.")

    objects = FunctionQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class AssignmentQuerySet(ScopedQuerySet):
    """view: assignments at units in the user's subtrees (none for partner users); admins write
    them through the users API."""

    scope_org_unit_field = "org_unit"


class Assignment(models.Model):
    """A user holds a function at an org unit (e.g. Head of Market Access, DACH)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="assignments")
    function = models.ForeignKey(Function, on_delete=models.PROTECT, related_name="assignments")
    org_unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="assignments")
    title = models.CharField(max_length=120, blank=True)

    objects = AssignmentQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "function", "org_unit"], name="assignment_unique")
        ]
        # Decision routing looks up "who holds function F at unit U".
        indexes = [models.Index(fields=["org_unit", "function"], name="assignment_unit_function")]

    def __str__(self) -> str:
        return f"{self.user} — {self.function.code} @ {self.org_unit.code}"


class Heartbeat(models.Model):
    """Proof of life written by the scheduled ``governance.tasks.heartbeat`` job."""

    name = models.CharField(max_length=64, unique=True)
    beats = models.PositiveBigIntegerField(default=0)
    last_seen = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name}: {self.beats} beats, last {self.last_seen:%Y-%m-%d %H:%M:%S}"


class NotificationQuerySet(ScopedQuerySet):
    """A user's notifications are theirs alone, whatever their role (admins included): view them
    and change them (mark read)."""

    actions = (VIEW, CHANGE)

    def restrict(self, user, action: str = VIEW) -> NotificationQuerySet:
        qs = super().restrict(user, action)
        if is_active_user(user) and user.is_admin:
            qs = qs.filter(recipient=user)  # no "admins see everything" for someone else's inbox
        return qs

    def _restrict_view(self, user: User) -> NotificationQuerySet:
        return self.filter(recipient=user)

    _restrict_change = _restrict_view

    def unread(self) -> NotificationQuerySet:
        return self.filter(read_at__isnull=True)


class Notification(models.Model):
    """An in-app notification (also sent by email). ``dedupe_key`` makes sending idempotent:
    the database, not luck, guarantees a job that runs twice notifies once."""

    recipient = models.ForeignKey(User, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=48)
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    url = models.CharField(max_length=300, blank=True)
    dedupe_key = models.CharField(max_length=200)
    created_at = models.DateTimeField(db_index=True)
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["recipient", "dedupe_key"], name="notification_once_per_key")
        ]
        # The bell: a user's unread count, and their list newest first.
        indexes = [models.Index(fields=["recipient", "read_at", "-created_at"], name="notification_inbox")]

    def __str__(self) -> str:
        return f"{self.recipient}: {self.title}"


class Delivery(models.TextChoices):
    """When a user gets e-mail for a kind of notification (``governance.notifications``)."""

    IMMEDIATE = "immediate", "Immediately"
    DAILY = "daily", "Daily digest"
    WEEKLY = "weekly", "Weekly digest"
    OFF = "off", "Off (in Accord only)"


class NotificationPreference(models.Model):
    """A user's delivery for one group of notification kinds (``NOTIFICATION_GROUPS``); no row
    means the default (immediately; the scope summary weekly)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="notification_preferences")
    group = models.CharField(max_length=32)
    delivery = models.CharField(max_length=16, choices=Delivery.choices)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "group"], name="notification_preference_once")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.group}: {self.delivery}"


class SecurityEvent(models.Model):
    """Security-relevant events (sign-in, failed sign-in, lockout, permission denied), kept for
    audit. Written by ``governance.security``; also sent to the ``accord.security`` logger."""

    class Kind(models.TextChoices):
        LOGIN = "login", "Signed in"
        LOGOUT = "logout", "Signed out"
        LOGIN_FAILED = "login_failed", "Failed sign-in"
        LOCKOUT = "lockout", "Locked out"
        ADDRESS_BLOCKED = "address_blocked", "Address blocked (failed sign-ins across usernames)"
        PERMISSION_DENIED = "permission_denied", "Permission denied"

    kind = models.CharField(max_length=24, choices=Kind.choices)
    user = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    username = models.CharField(max_length=150, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    path = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M:%S} {self.kind} {self.username} {self.ip_address}"


# A user's scope is cached per user object (governance.querysets.assignment_unit_ids); partners
# connects the same receiver to its members relation.
post_save.connect(scope_inputs_changed, sender=Assignment, dispatch_uid="governance.scope_inputs_changed.save")
post_delete.connect(scope_inputs_changed, sender=Assignment, dispatch_uid="governance.scope_inputs_changed.delete")


class IdempotencyKey(models.Model):
    """One request that must take effect once: an API client's ``Idempotency-Key`` header, or a
    page form's submission token (``form:<token>``), with the answer it got, replayed to repeats.

    The unique (user, key) constraint is what makes it safe under concurrency: the second of two
    simultaneous requests waits on the first one's uncommitted row and then replays its answer
    (``governance.idempotency``). Rows older than ``ACCORD_IDEMPOTENCY_HOURS`` are deleted."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64, help_text="SHA-256 of the method, path, query and body.")
    status_code = models.PositiveSmallIntegerField(null=True)
    content_type = models.CharField(max_length=120, blank=True)
    location = models.CharField(max_length=500, blank=True)
    body = models.BinaryField(default=b"")
    created_at = models.DateTimeField(db_index=True)  # the expiry sweep

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="idempotency_key_once_per_user")]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.key} -> {self.status_code}"
