"""Base viewsets: every API queryset is the caller's scoped queryset, nothing else."""

from django.db import transaction
from rest_framework import mixins, viewsets
from rest_framework.exceptions import PermissionDenied


class ScopedViewSetMixin:
    """``get_queryset`` returns ``model.objects.visible_to(request.user)`` (plus ``scoped_queryset``
    refinements), so objects outside the caller's scope answer 404 and never appear in lists."""

    model = None
    write_roles: tuple[str, ...] = ()

    def scoped_queryset(self, queryset):
        """Hook for select_related/prefetch and extra narrowing."""
        return queryset

    def get_queryset(self):
        return self.scoped_queryset(self.model.objects.visible_to(self.request.user))

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
        if not self.model.objects.visible_to(self.request.user).filter(pk=instance.pk).exists():
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
