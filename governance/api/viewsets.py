"""Base viewsets: every API queryset is the caller's ``restrict()``-ed queryset, nothing else."""

from django.db import transaction
from rest_framework import mixins, viewsets
from rest_framework.exceptions import PermissionDenied

from governance.querysets import CHANGE, DELETE, VIEW, can

# The access-model action each standard viewset action needs on the object (beyond ``view``).
OBJECT_ACTIONS = {"update": CHANGE, "partial_update": CHANGE, "destroy": DELETE}


class ScopedViewSetMixin:
    """``get_queryset`` returns ``model.objects.restrict(request.user, "view")`` (plus
    ``scoped_queryset`` refinements), so objects outside the caller's scope answer 404 and never
    appear in lists. ``get_object`` then checks the action the request needs (``change`` for
    PUT/PATCH, ``delete`` for DELETE, ``object_actions`` for extra routes): an object the caller
    can see but may not change answers 403."""

    model = None
    write_roles: tuple[str, ...] = ()
    object_actions: dict[str, str] = {}

    def scoped_queryset(self, queryset):
        """Hook for select_related/prefetch and extra narrowing."""
        return queryset

    def get_queryset(self):
        return self.scoped_queryset(self.model.objects.restrict(self.request.user, VIEW))

    def filter_queryset(self, queryset):
        # Without query parameters every filter backend leaves the queryset as it is — no filter set
        # has a default or a required filter and no view a default ``ordering`` (tests/governance/
        # test_filter_skip.py asks every list both ways) — so the filter set is not built (~10% of
        # a small list's request; issue 22).
        if not self.request.query_params and getattr(self, "ordering", None) is None:
            return queryset
        return super().filter_queryset(queryset)

    def get_object(self):
        obj = super().get_object()
        needed = {**OBJECT_ACTIONS, **self.object_actions}.get(getattr(self, "action", None))
        if needed is not None and not can(self.request.user, needed, obj):
            raise PermissionDenied(f"You may not {needed} this {self.model._meta.verbose_name}.")
        return obj

    # Belt and braces for writes: the services check scope before saving; here the saved object
    # is checked against the writer's scope inside the same transaction, so a write that would
    # create an object outside it, or move one out of it, rolls back whatever a service missed.
    def perform_create(self, serializer):
        with transaction.atomic():
            self._require_in_scope(serializer.save())

    def perform_update(self, serializer):
        with transaction.atomic():
            self._require_in_scope(serializer.save())

    def _require_in_scope(self, instance) -> None:
        if not can(self.request.user, VIEW, instance):
            raise PermissionDenied("The result would lie outside your scope; nothing was saved.")


class ScopedModelViewSet(ScopedViewSetMixin, viewsets.ModelViewSet):
    pass


class ScopedReadCreateUpdateViewSet(
    ScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    pass


class ScopedReadCreateViewSet(
    ScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    pass


class ScopedReadUpdateViewSet(
    ScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    pass
