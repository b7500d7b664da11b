from django.contrib.auth import authenticate
from django.contrib.auth.signals import user_logged_in
from django.db.models import Prefetch
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from governance import tokens
from governance.api.serializers import FunctionSerializer, OrgUnitSerializer, UserSerializer
from governance.api.throttling import AnonRateThrottle, ScopedRateThrottle
from governance.api.viewsets import ScopedReadCreateUpdateViewSet, ScopedViewSetMixin
from governance.audit import object_history
from governance.models import Assignment, Function, OrgUnit, User, partnership_model
from governance.querysets import VIEW
from governance.security import lockout_response


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
            Prefetch("partnerships", queryset=partnership_model()._default_manager.restrict(user, VIEW)),
        ).order_by("username")


class CredentialsSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=4096, trim_whitespace=False, write_only=True,
                                     style={"input_type": "password"})

    def validate(self, attrs):
        # The DRF request goes to the backends: django-axes and the per-address limit flag it.
        user = authenticate(request=self.context["request"], username=attrs["username"], password=attrs["password"])
        if user is None:
            raise ValidationError({"non_field_errors": ["Unable to sign in with these credentials."]})
        return {**attrs, "user": user}


class IssuedTokenSerializer(serializers.Serializer):
    token = serializers.CharField(help_text="Send as `Authorization: Token <token>`. Shown only once.")
    expiry = serializers.DateTimeField(help_text="When the token stops working.")


class TokenSerializer(serializers.Serializer):
    key = serializers.CharField(source="token_key", help_text="The token's first characters: its name here.")
    created = serializers.DateTimeField()
    expiry = serializers.DateTimeField()
    current = serializers.SerializerMethodField(help_text="Whether this request was made with it.")

    def get_current(self, obj) -> bool:
        auth = getattr(self.context.get("request"), "auth", None)
        return getattr(auth, "digest", None) == obj.digest


@extend_schema(tags=["auth"], request=CredentialsSerializer, responses={
    200: IssuedTokenSerializer,
    400: OpenApiResponse(description="Wrong username or password."),
    429: OpenApiResponse(description="Too many attempts: throttled, this username is locked out from this address, "
                                     "or this address failed too often across usernames."),
})
class TokenView(APIView):
    """Exchange ``{"username", "password"}`` for a new ``{"token", "expiry"}``; send it as
    ``Authorization: Token …``. Every call issues a new token (django-rest-knox, governance.tokens).

    Guarded like the sign-in form: django-axes locks the (username, IP) pair out after repeated
    failures, an address that fails too often across usernames is blocked (429 either way), and a
    stricter per-address throttle (``auth-token`` rate) applies."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [AnonRateThrottle, ScopedRateThrottle]
    throttle_scope = "auth-token"

    def post(self, request, *args, **kwargs):
        body = CredentialsSerializer(data=request.data, context={"request": request})
        try:
            body.is_valid(raise_exception=True)
        except ValidationError:
            # axes flags the DRF request (not the Django one its middleware sees) on a lockout.
            if getattr(request, "axes_locked_out", False):
                return lockout_response(request)
            raise
        user = body.validated_data["user"]
        instance, token = tokens.token_issue(user=user)
        user_logged_in.send(sender=user.__class__, request=request, user=user)
        return Response(IssuedTokenSerializer({"token": token, "expiry": instance.expiry}).data)


class TokenListView(APIView):
    """The caller's API tokens that still work, newest first (any role: they are the caller's own)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(tags=["auth"], responses={200: TokenSerializer(many=True)})
    def get(self, request):
        return Response(TokenSerializer(tokens.tokens_of(request.user), many=True,
                                        context={"request": request}).data)


class TokenDetailView(APIView):
    """Revoke one of the caller's tokens by its key; another user's key is simply not found."""

    permission_classes = [IsAuthenticated]

    @extend_schema(tags=["auth"], responses={204: None, 404: OpenApiResponse(description="No such token of yours.")})
    def delete(self, request, key: str):
        if not tokens.token_revoke(user=request.user, key=key):
            raise NotFound("You hold no token with this key.")
        return Response(status=204)


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
