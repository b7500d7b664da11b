from django.db.models import Prefetch
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import mixins, serializers, viewsets
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle, ScopedRateThrottle, UserRateThrottle
from rest_framework.views import APIView

from governance.api.serializers import FunctionSerializer, OrgUnitSerializer, UserSerializer
from governance.api.viewsets import ScopedReadCreateUpdateViewSet, ScopedViewSetMixin
from governance.audit import object_history
from governance.models import Assignment, Function, OrgUnit, User
from governance.querysets import VIEW
from partners.models import Partnership


class OrgUnitViewSet(ScopedReadCreateUpdateViewSet):
    """The org tree: global > region > cluster > market. Admins write; everyone reads their scope."""

    model = OrgUnit
    serializer_class = OrgUnitSerializer
    lookup_field = "code"
    lookup_value_regex = "[^/]+"
    filterset_fields = ["level"]
    search_fields = ["code", "name"]
    ordering_fields = ["code", "name", "level"]

    def scoped_queryset(self, queryset):
        return queryset.select_related("parent").order_by("code")


class FunctionViewSet(
    ScopedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Internal functions (Sales, Marketing, Market Access, …). Admins create."""

    model = Function
    serializer_class = FunctionSerializer
    lookup_field = "code"
    lookup_value_regex = "[^/]+"
    search_fields = ["code", "name"]


class UserViewSet(ScopedReadCreateUpdateViewSet):
    """People and their roles, assignments and partnerships. Admins write."""

    model = User
    serializer_class = UserSerializer
    filterset_fields = ["role", "is_active"]
    search_fields = ["username", "email", "first_name", "last_name"]
    ordering_fields = ["username"]

    def scoped_queryset(self, queryset):
        # A person's assignments and partnerships as far as the caller may see them.
        user = self.request.user
        return queryset.prefetch_related(
            Prefetch("assignments", queryset=Assignment.objects.restrict(user, VIEW).select_related(
                "function", "org_unit")),
            Prefetch("partnerships", queryset=Partnership.objects.restrict(user, VIEW)),
        ).order_by("username")


@extend_schema(tags=["auth"], responses={
    200: inline_serializer("TokenResponse", {"token": serializers.CharField()}),
    400: OpenApiResponse(description="Wrong username or password."),
    429: OpenApiResponse(description="Too many attempts: throttled, or this username is locked out from "
                                     "this address (django-axes)."),
})
class TokenView(ObtainAuthToken):
    """Exchange ``{"username", "password"}`` for ``{"token"}``; send it as ``Authorization: Token …``.

    Guarded like the sign-in form: django-axes locks the (username, IP) pair out after repeated
    failures (429), and a stricter per-address throttle (``auth-token`` rate) applies."""

    permission_classes = [AllowAny]
    throttle_classes = [AnonRateThrottle, UserRateThrottle, ScopedRateThrottle]
    throttle_scope = "auth-token"

    def post(self, request, *args, **kwargs):
        try:
            return super().post(request, *args, **kwargs)
        except ValidationError:
            # axes flags the DRF request (not the Django one its middleware sees) on a lockout.
            if getattr(request, "axes_locked_out", False):
                from governance.security import lockout_response

                return lockout_response(request)
            raise


class HistoryChangeSerializer(serializers.Serializer):
    field = serializers.CharField()
    old = serializers.CharField(allow_null=True)
    new = serializers.CharField(allow_null=True)


class HistoryEntrySerializer(serializers.Serializer):
    when = serializers.DateTimeField()
    who = serializers.CharField()
    kind = serializers.ChoiceField(choices=["created", "changed", "deleted"])
    reason = serializers.CharField()
    changes = HistoryChangeSerializer(many=True)


class ObjectHistoryView(APIView):
    """The audit trail of one object (admins and leaders, for objects in their scope; else 404).
    ``kind`` is one of the audited model slugs, e.g. ``org-unit``, ``partnership``, ``kpi``."""

    @extend_schema(responses={200: HistoryEntrySerializer(many=True), 404: None}, tags=["audit"])
    def get(self, request, kind: str, pk: int):
        _obj, entries = object_history(user=request.user, slug=kind, pk=pk)
        for entry in entries:
            for change in entry.changes:
                change.old = None if change.old is None else str(change.old)
                change.new = None if change.new is None else str(change.new)
        return Response(HistoryEntrySerializer(entries, many=True).data)
