"""Base viewsets: every API queryset is the caller's scoped queryset, nothing else."""

from rest_framework import mixins, viewsets


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
