import functools
from datetime import UTC, date, datetime

from django.db.models import F, OuterRef, Subquery
from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from decisions import services
from decisions.models import (
    MAX_SLA_HOURS,
    Decision,
    DecisionEvent,
    DecisionParticipant,
    DecisionPause,
    DecisionStage,
    DecisionState,
    DecisionStatus,
    DecisionType,
    Forum,
    MatrixCell,
    MatrixVersion,
    Priority,
    RapidRole,
)
from decisions.services.stages import party_label
from decisions.visibility import (
    Visibility,
    redact_decision,
    redact_event,
    redact_participant,
    redact_stage,
    sees_internal,
)
from governance.api.fields import ScopedPrimaryKeyRelatedField, ScopedSlugRelatedField
from governance.api.serializers import NaturalKeySerializerMixin
from governance.models import Function, Notification, OrgLevel, OrgUnit, User
from governance.querysets import LOG, VIEW, InArray
from kpis.models import KPI
from partners.models import Partnership


# Plain patterns rather than enums: OrgLevel is already the org units' ``LevelEnum`` and ``role`` is
# the users' ``RoleEnum``; enum components here would collide (drf-spectacular W001 fails check --deploy).
@extend_schema_field({"type": "string", "pattern": "^[RAPID]$",
                      "description": "RAPID role: R recommend, A agree (veto), P perform, I input, D decide."})
class RapidRoleField(serializers.ChoiceField):
    def __init__(self, **kwargs):
        super().__init__(choices=RapidRole.choices, **kwargs)


@extend_schema_field({"type": "string", "pattern": "^(global|region|cluster|market)$",
                      "description": "Org level where the decision is taken: global, region, cluster or market."})
class OrgLevelField(serializers.ChoiceField):
    def __init__(self, **kwargs):
        super().__init__(choices=OrgLevel.choices, **kwargs)


class RightSerializer(serializers.Serializer):
    function = ScopedSlugRelatedField(model=Function, slug_field="code")
    role = RapidRoleField()


def rights_by_type() -> tuple[MatrixVersion | None, dict[int, list[dict]]]:
    """The newest matrix version (in force or scheduled: every edit starts from it) and every
    type's row of it (one query each)."""
    version = MatrixVersion.objects.head()
    rights: dict[int, list[dict]] = {}
    if version is None:
        return version, rights
    for type_id, function, role in (MatrixCell.objects.filter(version=version)
                                    .values_list("decision_type_id", "function__code", "role")
                                    .order_by("function__code")):
        rights.setdefault(type_id, []).append({"function": function, "role": role})
    return version, rights


class DecisionTypeSerializer(NaturalKeySerializerMixin, serializers.ModelSerializer):
    """A decision type with its SLA policy. ``rights`` are its row of the newest matrix version
    (``matrix_version``, which may still be scheduled: ``matrix_version_effective_at``); writing
    them publishes a new version edited from ``base_version`` (a stale one answers 409), after
    lint: exactly one D; gaps (nobody covering an A or D function for some unit) need
    ``acknowledge_gaps``. ``effective_at`` schedules the version for a later time."""

    rights = RightSerializer(many=True, required=False)
    decided_at_level = OrgLevelField(required=False)
    forum = ScopedPrimaryKeyRelatedField(
        model=Forum, required=False, allow_null=True,
        help_text="Forum-bound: a lapsed decision goes on this forum's next agenda instead of escalating.")
    matrix_version = serializers.SerializerMethodField(
        help_text="The matrix version `rights` come from: send it back as `base_version` when writing them.")
    matrix_version_effective_at = serializers.SerializerMethodField()
    base_version = serializers.IntegerField(
        write_only=True, required=False, min_value=0,
        help_text="With `rights`: the matrix version your edit started from (0 before the first). "
                  "409 with the versions published since, if it is no longer the newest.")
    acknowledge_gaps = serializers.BooleanField(
        write_only=True, required=False, default=False,
        help_text="With `rights`: publish even though nobody covers some A or D function for some org unit "
                  "(the gaps are kept in the version's note).")
    effective_at = serializers.DateTimeField(
        write_only=True, required=False, allow_null=True,
        help_text="With `rights`: when the new version takes effect (default now; not in the past).")
    rights_note = serializers.CharField(write_only=True, required=False, allow_blank=True, max_length=2000,
                                        help_text="With `rights`: why the matrix changes (the version's note).")

    PUBLISH_OPTIONS = {"base_version": "base_version", "acknowledge_gaps": "acknowledge_gaps",
                       "effective_at": "effective_at", "rights_note": "note"}

    class Meta:
        model = DecisionType
        fields = ["code", "name", "description", "decided_at_level", "sla_hours", "sla_hours_by_priority",
                  "calendar", "escalation_enabled", "forum", "is_active", "rights", "matrix_version",
                  "matrix_version_effective_at", "base_version", "acknowledge_gaps", "effective_at", "rights_note"]
        # The model's clean() holds the rule; stated here too so the schema documents the range.
        extra_kwargs = {"sla_hours": {"min_value": 1, "max_value": MAX_SLA_HOURS}}

    def _head(self) -> tuple[MatrixVersion | None, dict[int, list[dict]]]:
        if "rights_by_type" not in self.context:
            self.context["rights_by_type"] = rights_by_type()
        return self.context["rights_by_type"]

    def get_matrix_version(self, obj) -> int | None:
        head, _ = self._head()
        return head.number if head else None

    def get_matrix_version_effective_at(self, obj) -> datetime | None:
        head, _ = self._head()
        return head.effective_at if head else None

    def to_representation(self, instance):
        request = self.context.get("request")
        if request is not None and not sees_internal(request.user):
            # The decision-rights matrix is internal: a partner user gets the type and its SLA only.
            return {**super().to_representation(instance), "rights": [], "forum": None, "matrix_version": None,
                    "matrix_version_effective_at": None}
        data = super().to_representation(instance)
        data["rights"] = self._head()[1].get(instance.pk, [])
        return data

    def _split(self, validated_data) -> tuple[list | None, dict]:
        items = validated_data.pop("rights", None)
        options = {target: validated_data.pop(source) for source, target in self.PUBLISH_OPTIONS.items()
                   if source in validated_data}
        self.context.pop("rights_by_type", None)
        rights = None if items is None else [(item["function"], item["role"]) for item in items]
        return rights, options

    def create(self, validated_data):
        rights, options = self._split(validated_data)
        return services.decision_type_create(actor=self.context["request"].user, rights=rights,
                                             publish_options=options, **validated_data)

    def update(self, instance, validated_data):
        rights, options = self._split(validated_data)
        return services.decision_type_update(decision_type=instance, actor=self.context["request"].user,
                                             rights=rights, publish_options=options, **validated_data)


class MatrixVersionSerializer(serializers.ModelSerializer):
    published_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    cancelled_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    status = serializers.SerializerMethodField(help_text="in_force, scheduled, superseded or cancelled.")
    rights = serializers.SerializerMethodField()

    class Meta:
        model = MatrixVersion
        fields = ["number", "status", "effective_at", "published_by", "created_at", "note", "based_on",
                  "acknowledged_gaps", "cancelled_at", "cancelled_by", "rights"]

    def get_status(self, obj) -> str:
        if "in_force" not in self.context:
            self.context["now"] = self.context.get("now") or timezone.now()
            self.context["in_force"] = MatrixVersion.objects.in_force(self.context["now"])
        return obj.status(now=self.context["now"], in_force=self.context["in_force"])

    @extend_schema_field(RightSerializer(many=True))
    def get_rights(self, obj):
        """This version's roles (for one decision type on ``/decision-types/{code}/versions/``)."""
        type_id = self.context.get("decision_type_id")
        cells = [c for c in obj.cells.all() if type_id is None or c.decision_type_id == type_id]
        return [{"decision_type": c.decision_type.code, "function": c.function.code, "role": c.role}
                for c in sorted(cells, key=lambda c: (c.decision_type.code, c.function.code))]


class LintIssueSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["conflict", "gap"])
    decision_type = serializers.CharField()
    org_unit = serializers.CharField(allow_null=True)
    function = serializers.CharField(allow_null=True)
    message = serializers.CharField()


class LintReportSerializer(serializers.Serializer):
    ok = serializers.BooleanField()
    conflicts = serializers.IntegerField()
    gaps = serializers.IntegerField()
    issues = LintIssueSerializer(many=True)


class MatrixCellInputSerializer(serializers.Serializer):
    decision_type = ScopedSlugRelatedField(model=DecisionType, slug_field="code")
    function = ScopedSlugRelatedField(model=Function, slug_field="code")
    role = RapidRoleField()


class MatrixLintInputSerializer(serializers.Serializer):
    cells = MatrixCellInputSerializer(many=True)

    def validate_cells(self, cells):
        keys = [(c["decision_type"].pk, c["function"].pk) for c in cells]
        if len(set(keys)) != len(keys):
            raise serializers.ValidationError("A (decision type, function) cell appears twice.")
        return cells

    def cells_dict(self) -> dict[tuple[int, int], str]:
        return {(c["decision_type"].pk, c["function"].pk): c["role"] for c in self.validated_data["cells"]}


class MatrixPublishSerializer(MatrixLintInputSerializer):
    """The whole matrix to publish as a new version (every active type's row; a type left out has no roles)."""

    base_version = serializers.IntegerField(
        min_value=0, help_text="The version your edit started from (0 before the first); stale → 409.")
    acknowledge_gaps = serializers.BooleanField(required=False, default=False)
    effective_at = serializers.DateTimeField(required=False, allow_null=True,
                                             help_text="When it takes effect (default now; not in the past).")
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class StaleVersionSerializer(serializers.Serializer):
    detail = serializers.CharField()
    base_version = serializers.IntegerField()
    current_version = serializers.IntegerField()
    versions = serializers.ListField(child=serializers.DictField(), help_text="Versions published since the base.")


class MatrixDiffSerializer(serializers.Serializer):
    decision_type = serializers.CharField()
    function = serializers.CharField()
    before = serializers.CharField(allow_null=True)
    after = serializers.CharField(allow_null=True)


def _viewer(serializer):
    return serializer.context["request"].user


class ParticipantSerializer(serializers.ModelSerializer):
    """A participant; a partner user sees internal participants' shared answers without who they are."""

    user = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)
    username = serializers.CharField(source="user.username", read_only=True, allow_null=True)
    name = serializers.SerializerMethodField()
    function = serializers.CharField(source="function.code", read_only=True)
    org_unit = serializers.CharField(source="org_unit.code", read_only=True)
    role = RapidRoleField(read_only=True)

    class Meta:
        model = DecisionParticipant
        fields = ["user", "username", "name", "function", "org_unit", "role", "level", "input_at", "input_text",
                  "agreed", "agreed_at", "comment", "visibility"]
        read_only_fields = fields

    def get_name(self, obj) -> str | None:
        return obj.user.get_full_name() or obj.user.username

    def to_representation(self, instance):
        return redact_participant(super().to_representation(instance), _viewer(self))


class OptionSerializer(serializers.Serializer):
    option = serializers.CharField(max_length=500)
    pros = serializers.CharField(required=False, allow_blank=True, default="")
    cons = serializers.CharField(required=False, allow_blank=True, default="")


@extend_schema_field({"type": "string", "example": "2027-01-15",
                      "description": "A date (the end of that day in the decision's org unit's time zone) or an "
                                     "ISO 8601 date-time with offset."})
class DueByField(serializers.Field):
    """The requested due date: ``YYYY-MM-DD`` or an ISO 8601 date-time (with offset)."""

    default_error_messages = {"invalid": "Give a date (YYYY-MM-DD) or an ISO 8601 date-time with offset."}

    def to_internal_value(self, data):
        if isinstance(data, str) and len(data) == 10:
            try:
                return date.fromisoformat(data)
            except ValueError:
                self.fail("invalid")
        value = serializers.DateTimeField().run_validation(data) if isinstance(data, str) else None
        if value is None:
            self.fail("invalid")
        return value

    def to_representation(self, value):
        return serializers.DateTimeField().to_representation(value)


class DecisionSerializer(serializers.ModelSerializer):
    """A decision. ``state`` is what a reader sees: ``status``, except that an open decision vetoed
    in its current ``round`` is ``blocked`` (it waits on its requester to revise or withdraw it).
    For a partner user the people, the escalation path, the matrix version and the rounds are
    ``null``, options and rationale unless shared, and a blocked decision reads ``open`` (a veto
    is internal unless its author shared it) — decisions/visibility.py."""

    decision_type = serializers.CharField(source="decision_type.code", read_only=True)
    org_unit = serializers.CharField(source="org_unit.code", read_only=True)
    decider_function = serializers.CharField(source="decider_function.code", read_only=True, allow_null=True)
    deciding_unit = serializers.CharField(source="deciding_unit.code", read_only=True, allow_null=True)
    matrix_version = serializers.IntegerField(source="matrix_version.number", read_only=True, allow_null=True)
    escalation_level = serializers.IntegerField(read_only=True, allow_null=True)
    escalation_exhausted = serializers.BooleanField(read_only=True, allow_null=True)
    due_at = serializers.DateTimeField(read_only=True, allow_null=True)
    due_by = serializers.DateTimeField(read_only=True, allow_null=True)
    blocked = serializers.BooleanField(read_only=True, allow_null=True)
    round = serializers.IntegerField(read_only=True, allow_null=True)
    requested_by = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)
    decider = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)
    decided_by = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)
    rationale = serializers.CharField(read_only=True, allow_null=True)
    options = OptionSerializer(many=True, read_only=True, allow_null=True)
    participants = ParticipantSerializer(many=True, read_only=True)
    overdue = serializers.SerializerMethodField()
    kpis = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)
    state = serializers.ChoiceField(choices=DecisionState.choices, read_only=True)

    class Meta:
        model = Decision
        fields = ["id", "title", "description", "decision_type", "org_unit", "partnership", "priority", "kpis",
                  "options",
                  "status", "state", "blocked", "round", "escalation_level", "escalation_exhausted", "overdue",
                  "requested_by", "requested_at", "due_by",
                  "due_at", "sla_due_at", "decider", "decider_function", "deciding_unit", "decided_by",
                  "decided_at", "outcome", "rationale", "matrix_version", "participants", "visibility",
                  "options_visibility", "rationale_visibility"]
        read_only_fields = fields

    def get_overdue(self, obj) -> bool:
        return obj.is_overdue(self.context["now"])

    def to_representation(self, instance):
        return redact_decision(super().to_representation(instance), _viewer(self))


def _iso(value, tz) -> str | None:
    """DRF's ``DateTimeField`` output for an aware datetime (DATETIME_FORMAT "iso-8601"), without
    its per-value lookups of the current time zone: ``tz`` is looked up once per page
    (``_page_zone``). A value already in ``tz`` (the database's instants, when the page is in UTC)
    is not converted."""
    if value is None:
        return None
    text = (value if value.tzinfo is tz else value.astimezone(tz)).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def _page_zone():
    """The current time zone for ``_iso``: UTC (what the API answers in) as the ``tzinfo`` the
    database's instants carry, so they need no conversion; any other zone as it is."""
    tz = timezone.get_current_timezone()
    return UTC if getattr(tz, "key", None) == "UTC" else tz


# The options' representation (OptionSerializer's, many): stateless, built once.
_OPTIONS = OptionSerializer(many=True)


def _options(options: list) -> list:
    """``OptionSerializer(many=True)``'s representation of stored options: stored as the service
    cleans them (three strings each), they are copied as they are; anything else goes through the
    serializer."""
    copied = []
    for o in options:
        if type(o) is not dict:
            return _OPTIONS.to_representation(options)
        option, pros, cons = o.get("option"), o.get("pros"), o.get("cons")
        if type(option) is not str or type(pros) is not str or type(cons) is not str:
            return _OPTIONS.to_representation(options)
        copied.append({"option": option, "pros": pros, "cons": cons})
    return copied


class DecisionListSerializer(DecisionSerializer):
    """The list's rows: exactly :class:`DecisionSerializer`'s representation (a test pins it), built
    from one ``values()`` row per decision instead of model instances: the codes of the related rows
    come from scalar subqueries in the page query (cheaper to plan than five joins), participants
    and KPIs from one narrow query each for the whole page — four queries per page with the token
    lookup, however many rows. Feed it ``DecisionListSerializer.rows(queryset)`` (paginated) with
    ``many=True`` and ``context["now"]``."""

    # Output field -> (model, column) read by a scalar subquery on the decision's foreign key.
    RELATED = {"decision_type": (DecisionType, "code"), "org_unit": (OrgUnit, "code"),
               "decider_function": (Function, "code"), "deciding_unit": (OrgUnit, "code"),
               "matrix_version": (MatrixVersion, "number")}
    RELATED_KEYS = tuple((name, f"{name}_key") for name in RELATED)  # (output field, values() key)
    IDS = ("partnership", "requested_by", "decider", "decided_by")  # ids under the field's own name
    PLAIN = ("title", "description", "priority", "status", "blocked", "round", "escalation_level",
             "escalation_exhausted", "outcome", "rationale", "visibility", "options_visibility", "rationale_visibility")
    TIMES = ("requested_at", "due_by", "due_at", "sla_due_at", "decided_at")

    @classmethod
    def rows(cls, queryset):
        """The ``values()`` queryset the rows are read from (keeps ``pk`` for the cursor)."""
        return queryset.values("pk", "options", *cls.IDS, *cls.PLAIN, *cls.TIMES, **cls._codes())

    @classmethod
    @functools.cache
    def _codes(cls) -> dict[str, Subquery]:
        """The related rows' codes as scalar subqueries, built once (an annotation copies its
        expression before resolving it, so one built expression serves every request)."""
        return {f"{name}_key": Subquery(model.objects.filter(pk=OuterRef(name)).order_by().values(column))
                for name, (model, column) in cls.RELATED.items()}

    @classmethod
    def many_init(cls, *args, **kwargs):
        kwargs["child"] = cls(context=kwargs.get("context", {}))
        return DecisionRowListSerializer(*args, **kwargs)

    def row(self, row: dict, participants: list[dict], kpis: list[str], page: "_Page") -> dict:
        # The detail's keys in its order (Meta.fields), filled in place: building the ModelSerializer's
        # fields per request would cost more than the row itself.
        out = dict.fromkeys(self.Meta.fields)
        for name in self.PLAIN:
            out[name] = row[name]
        for name in self.IDS:
            out[name] = row[name]
        tz = page.tz
        for name in self.TIMES:
            out[name] = _iso(row[name], tz)
        for name, key in self.RELATED_KEYS:
            out[name] = row[key]
        options, open_ = row["options"], row["status"] == DecisionStatus.OPEN
        out.update(id=row["pk"], kpis=kpis, participants=participants, options=_options(options) if options else [],
                   overdue=open_ and row["sla_due_at"] <= page.now,
                   state=DecisionState.BLOCKED if open_ and row["blocked"] else row["status"])
        return page.redact(out)

    @staticmethod
    def participants_by_decision(ids: list[int], page: "_Page") -> dict[int, list[dict]]:
        """The page's participants its viewer may see (ParticipantSerializer's shape) in one query,
        in the model's order. ``ids``: decisions read through ``Decision.objects.restrict(viewer, "view")``."""
        by_decision: dict[int, list[dict]] = {}
        tz, redact = page.tz, page.redact_participant
        rows = DecisionParticipant.objects.of_decisions_in_view(page.viewer, ids)  # ids: read scoped to viewer
        for (decision_id, user, username, first, last, function, org_unit, role, level, input_at, input_text,
             agreed, agreed_at, comment, visibility) in rows.values_list(
                "decision_id", "user", "user__username", "user__first_name", "user__last_name", "function__code",
                "org_unit__code", "role", "level", "input_at", "input_text", "agreed", "agreed_at", "comment",
                "visibility"):
            by_decision.setdefault(decision_id, []).append(redact({
                "user": user, "username": username, "name": f"{first} {last}".strip() or username,
                "function": function, "org_unit": org_unit, "role": role, "level": level,
                "input_at": _iso(input_at, tz), "input_text": input_text, "agreed": agreed,
                "agreed_at": _iso(agreed_at, tz), "comment": comment, "visibility": visibility}))
        return by_decision

    @staticmethod
    def kpis_by_decision(ids: list[int], viewer) -> dict[int, list[str]]:
        """The page's KPI codes ``viewer`` may see in one query, in the KPIs' own order (as the detail
        lists them)."""
        by_decision: dict[int, list[str]] = {}
        ordering = [f"kpi__{f}" for f in KPI._meta.ordering]
        links = Decision.kpis.through.objects.filter(InArray(F("decision_id"), ids),
                                                     kpi__in=KPI.objects.restrict(viewer, VIEW).values("pk"))
        for decision_id, code in (links.order_by(*ordering).values_list("decision_id", "kpi__code")):
            by_decision.setdefault(decision_id, []).append(code)
        return by_decision


class DecisionRowListSerializer(serializers.ListSerializer):
    """A page of :class:`DecisionListSerializer` rows with their participants and KPIs batched."""

    def to_representation(self, data):
        rows = list(data)
        if not rows:
            return []
        ids = [r["pk"] for r in rows]
        viewer = _viewer(self.child)
        page = _Page(viewer=viewer, tz=_page_zone(), now=self.child.context["now"])
        participants = self.child.participants_by_decision(ids, page)
        kpis = self.child.kpis_by_decision(ids, viewer)
        return [self.child.row(r, participants.get(r["pk"], []), kpis.get(r["pk"], []), page) for r in rows]


class _Page:
    """What every row of a page shares, worked out once: its viewer, the zone its instants are written
    in, the time it is judged overdue at, and the viewer's redaction of a decision and of a participant
    (``redact_decision``, ``redact_participant``; nothing to do for internal viewers)."""

    def __init__(self, *, viewer, tz, now):
        self.viewer, self.tz, self.now = viewer, tz, now
        if sees_internal(viewer):
            self.redact = self.redact_participant = _unchanged
        else:
            self.redact = lambda data: redact_decision(data, viewer)
            self.redact_participant = lambda data: redact_participant(data, viewer)


def _unchanged(data: dict) -> dict:
    return data


class DecisionCreateSerializer(serializers.Serializer):
    """What a regional manager logs. Extend by adding fields and listing them in ``service_fields``."""

    title = serializers.CharField(max_length=200)
    decision_type = ScopedSlugRelatedField(model=DecisionType, slug_field="code")
    org_unit = ScopedSlugRelatedField(model=OrgUnit, slug_field="code", action=LOG)
    partnership = ScopedPrimaryKeyRelatedField(model=Partnership, action=LOG, required=False, allow_null=True)
    priority = serializers.ChoiceField(choices=Priority.choices, default=Priority.NORMAL)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    options = OptionSerializer(many=True, required=False)

    kpis = ScopedSlugRelatedField(model=KPI, slug_field="code", many=True, required=False,
                                  help_text="Codes of the KPIs this decision is expected to move.")
    due_by = DueByField(required=False, allow_null=True,
                        help_text="The date the requester needs the decision by (e.g. a tender deadline). The "
                                  "earlier of it and the SLA drives the warnings.")
    visibility = serializers.ChoiceField(
        choices=Visibility.choices, default=Visibility.INTERNAL,
        help_text="shared: the partner of `partnership` sees the decision and its outcome (default internal).")
    options_visibility = serializers.ChoiceField(
        choices=Visibility.choices, default=Visibility.INTERNAL,
        help_text="shared: the partner also sees the options and trade-off (needs visibility shared).")

    service_fields = ("title", "decision_type", "org_unit", "partnership", "priority", "description", "options",
                      "kpis", "due_by", "visibility", "options_visibility")

    def service_kwargs(self) -> dict:
        return {k: self.validated_data[k] for k in self.service_fields if k in self.validated_data}

    def create(self, validated_data):
        return services.decision_log(actor=self.context["request"].user, **self.service_kwargs())


def _answer_visibility():
    return serializers.ChoiceField(choices=Visibility.choices, default=Visibility.INTERNAL,
                                   help_text="shared: the partner of the decision's partnership sees it "
                                             "(default internal).")


class DecisionEditSerializer(DecisionCreateSerializer):
    """The requester's changes: only the fields sent change (use with ``partial=True``). The type and
    org unit decide who takes part: to change them, withdraw and log anew. What is shared with the
    partner changes through ``/visibility/``."""

    service_fields = ("title", "partnership", "priority", "description", "options", "kpis", "due_by")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("decision_type", "org_unit", "visibility", "options_visibility"):
            self.fields.pop(name)

    def changes(self) -> dict:
        return self.service_kwargs()


class DecisionReviseSerializer(DecisionEditSerializer):
    """A revision after a veto: what changes, and how it addresses the veto (use with ``partial=True``)."""

    comment = serializers.CharField(required=False, allow_blank=True, max_length=4000,
                                    help_text="How the revision answers the veto (shown to everyone asked again).")


class DecideSerializer(serializers.Serializer):
    outcome = serializers.CharField()
    rationale = serializers.CharField(required=False, allow_blank=True, default="")
    rationale_visibility = _answer_visibility()


class AgreeSerializer(serializers.Serializer):
    agree = serializers.BooleanField()
    comment = serializers.CharField(required=False, allow_blank=True, default="")
    visibility = _answer_visibility()


class InputSerializer(serializers.Serializer):
    comment = serializers.CharField()
    visibility = _answer_visibility()


class VisibilitySerializer(serializers.Serializer):
    """What of the decision its partner sees; omitted parts stay as they are."""

    visibility = serializers.ChoiceField(choices=Visibility.choices, required=False)
    options_visibility = serializers.ChoiceField(choices=Visibility.choices, required=False)
    rationale_visibility = serializers.ChoiceField(choices=Visibility.choices, required=False)


class ReassignSerializer(serializers.Serializer):
    user = ScopedPrimaryKeyRelatedField(
        model=User, help_text="Another holder of the decider's function at the deciding unit.")
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class PartySerializer(serializers.Serializer):
    kind = serializers.CharField(help_text="function, partner or requester (internal: redacted for partner users).")
    function = serializers.CharField(allow_null=True, help_text="Function code (kind function).")
    org_unit = serializers.CharField(allow_null=True, help_text="Org unit code (kind function).")
    partner = serializers.IntegerField(allow_null=True, help_text="Partner id (kind partner).")
    name = serializers.CharField()


def party_data(obj) -> dict:
    """The ``party`` of a pause or stage interval (``PartySerializer``; related rows loaded by the caller)."""
    return {"kind": obj.party_kind, "function": obj.function.code if obj.function_id else None,
            "org_unit": obj.org_unit.code if obj.org_unit_id else None, "partner": obj.partner_id,
            "name": party_label(obj)}


class PauseInputSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=32, help_text="One of the decision type's pause reasons (code).")
    party = serializers.CharField(required=False, allow_blank=True, default="", max_length=32,
                                  help_text="Whom it waits on: a function code taking part, `partner` or "
                                            "`requester` (implied when the reason names one).")
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)
    until = serializers.DateTimeField(required=False, allow_null=True, default=None,
                                      help_text="Resume by itself then (at most the reason's maximum).")


class PauseSerializer(serializers.ModelSerializer):
    """A pause (running while ``resumed_at`` is null); ``clock_seconds``: the SLA clock time it
    stopped (0 when its reason leaves the clock running). Partner users see internal parties as the
    internal team and no people."""

    reason = serializers.CharField(source="rule.code", read_only=True)
    label = serializers.CharField(source="rule.label", read_only=True)
    party = serializers.SerializerMethodField()
    paused_by = serializers.PrimaryKeyRelatedField(read_only=True)
    resumed_by = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)

    class Meta:
        model = DecisionPause
        fields = ["id", "reason", "label", "party", "note", "stops_clock", "paused_by", "paused_at", "resume_by",
                  "resumed_at", "resumed_by", "resumed_how", "clock_seconds"]
        read_only_fields = fields

    @extend_schema_field(PartySerializer)
    def get_party(self, obj) -> dict:
        return party_data(obj)

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if sees_internal(_viewer(self)):
            return data
        redacted = redact_stage({"stage": "paused", "party": data["party"]}, _viewer(self))
        theirs = data["party"]["kind"] == "partner"  # an internal party's reason and note stay internal
        return {**data, "party": redacted["party"], "paused_by": None, "resumed_by": None,
                "note": data["note"] if theirs else "", "reason": data["reason"] if theirs else None,
                "label": data["label"] if theirs else "Paused"}


class NudgeResultSerializer(serializers.Serializer):
    reminded = serializers.ListField(child=serializers.CharField(), help_text="Usernames reminded.")
    decision = DecisionSerializer()


class ConflictSerializer(serializers.Serializer):
    detail = serializers.CharField(help_text="Why the action is not possible now, e.g. which agreement is missing.")


class EventSerializer(serializers.ModelSerializer):
    """A timeline entry; a partner user sees what happened and when, not which internal person did it."""

    actor = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)
    actor_name = serializers.SerializerMethodField()
    level = serializers.IntegerField(read_only=True, allow_null=True)

    class Meta:
        model = DecisionEvent
        fields = ["id", "kind", "actor", "actor_name", "at", "level", "message", "data", "visibility"]
        read_only_fields = fields

    def get_actor_name(self, obj) -> str:
        return (obj.actor.get_full_name() or obj.actor.username) if obj.actor else "Accord"

    def to_representation(self, instance):
        return redact_event(super().to_representation(instance), _viewer(self))


class StageIntervalSerializer(serializers.ModelSerializer):
    """One interval of the decision's open time and the party it waited on; ``business_seconds`` on
    the decision's SLA calendar (for an open interval: up to now). Partner users see internal
    parties as the internal team (``visibility.redact_stage``)."""

    stage_label = serializers.CharField(source="get_stage_display", read_only=True)
    party = serializers.SerializerMethodField()
    business_seconds = serializers.IntegerField(read_only=True)

    class Meta:
        model = DecisionStage
        fields = ["id", "stage", "stage_label", "party", "level", "round", "started_at", "ended_at",
                  "business_seconds"]
        read_only_fields = fields

    @extend_schema_field(PartySerializer)
    def get_party(self, obj) -> dict:
        return party_data(obj)

    def to_representation(self, instance):
        return redact_stage(super().to_representation(instance), _viewer(self))


class GroupStatsSerializer(serializers.Serializer):
    key = serializers.CharField(required=False)
    decisions = serializers.IntegerField()
    decided = serializers.IntegerField()
    open = serializers.IntegerField()
    overdue = serializers.IntegerField()
    median_hours = serializers.FloatField(allow_null=True)
    p90_hours = serializers.FloatField(allow_null=True)
    within_sla_pct = serializers.FloatField(allow_null=True)
    escalation_rate_pct = serializers.FloatField(allow_null=True)


class StageSerializer(serializers.Serializer):
    stage = serializers.CharField()
    label = serializers.CharField()
    count = serializers.IntegerField()
    median_hours = serializers.FloatField(allow_null=True)
    p90_hours = serializers.FloatField(allow_null=True)


class FunctionWaitSerializer(serializers.Serializer):
    function = serializers.CharField()
    stage = serializers.CharField()
    count = serializers.IntegerField()
    median_hours = serializers.FloatField(allow_null=True)


class PartyWaitSerializer(serializers.Serializer):
    """Waiting on one party in one stage (business hours; ended intervals for the percentiles)."""

    party_kind = serializers.CharField(help_text="function, partner or requester")
    party = serializers.CharField(help_text="The function's, the partner's name, or Requester.")
    function_id = serializers.IntegerField(allow_null=True)
    partner_id = serializers.IntegerField(allow_null=True)
    stage = serializers.CharField(help_text="drafting, input, agree, decision or paused")
    stage_label = serializers.CharField()
    key = serializers.CharField(allow_null=True, help_text="The split's key (decision type, org unit, month).")
    intervals = serializers.IntegerField(help_text="Ended intervals.")
    decisions = serializers.IntegerField()
    median_hours = serializers.FloatField(allow_null=True)
    p90_hours = serializers.FloatField(allow_null=True)
    total_hours = serializers.FloatField(allow_null=True)
    waiting_now = serializers.IntegerField(help_text="Intervals still open.")
    oldest_waiting_since = serializers.DateTimeField(allow_null=True)


class BlockerSerializer(serializers.Serializer):
    party_kind = serializers.CharField()
    party = serializers.CharField()
    waiting_now = serializers.IntegerField()
    oldest_waiting_since = serializers.DateTimeField()
    stages = serializers.ListField(child=serializers.CharField())


class PartyAnalyticsSerializer(serializers.Serializer):
    split = serializers.CharField(allow_blank=True)
    rows = PartyWaitSerializer(many=True)
    by_split = PartyWaitSerializer(many=True)
    top_blockers = BlockerSerializer(many=True)


class AnalyticsSerializer(serializers.Serializer):
    group_by = serializers.CharField()
    overall = GroupStatsSerializer()
    rows = GroupStatsSerializer(many=True)
    stages = StageSerializer(many=True)
    functions = FunctionWaitSerializer(many=True)
    parties = PartyAnalyticsSerializer(required=False, help_text="With ?by=party: waiting time per party.")


class NotificationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Notification
        fields = ["id", "kind", "title", "body", "url", "created_at", "read_at"]


class MarkReadSerializer(serializers.Serializer):
    ids = serializers.ListField(child=serializers.IntegerField(), required=False,
                                help_text="Which notifications; all unread ones when omitted.")
