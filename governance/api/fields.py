"""Reference fields resolved through the access model: a reference the caller may not use is
answered exactly like one that does not exist (``"Invalid pk"`` / ``"Object … does not exist"``).

    partnership = ScopedPrimaryKeyRelatedField(model=Partnership, action="log")
    org_unit = ScopedSlugRelatedField(model=OrgUnit, slug_field="code", action="log")
    partnerships = ScopedPrimaryKeyRelatedField(model="partners.Partnership", many=True)  # a label, as for ForeignKey

No serializer resolves a user-facing reference through an unrestricted queryset
(tests/security/test_access_model.py inspects every serializer the API uses).
"""

from __future__ import annotations

from django.apps import apps
from django.core.exceptions import ImproperlyConfigured
from rest_framework import serializers
from rest_framework.exceptions import NotFound

from governance.querysets import VIEW


class ScopedRelatedMixin:
    """``get_queryset()`` is ``model.objects.restrict(request.user, action)``. With
    ``not_found=True`` an unusable reference answers 404 instead of a field error (for references
    that name the parent a row is written under, e.g. an assessment's partnership). ``model`` is a
    model or its ``"app_label.Model"`` label (how governance names models of the apps above it)."""

    def __init__(self, *, model, action: str = VIEW, not_found: bool = False, **kwargs):
        if isinstance(model, str):
            model = apps.get_model(model)
        self.model, self.action, self.not_found = model, action, not_found
        if not kwargs.get("read_only"):
            # DRF wants a queryset; it is never read (get_queryset below) — it only names the model.
            kwargs.setdefault("queryset", model._default_manager.none())
        super().__init__(**kwargs)

    def get_queryset(self):
        request = self.context.get("request")
        if request is None:  # a programming error, not bad input: say so instead of "does not exist"
            raise ImproperlyConfigured(f"{type(self.root).__name__} needs context={{'request': request}} to "
                                       f"resolve {self.model.__name__} references for the caller.")
        return self.model._default_manager.restrict(request.user, self.action)

    def to_internal_value(self, data):
        try:
            return super().to_internal_value(data)
        except serializers.ValidationError:
            if self.not_found:
                raise NotFound(f"No such {self.model._meta.verbose_name}.") from None
            raise


class ScopedPrimaryKeyRelatedField(ScopedRelatedMixin, serializers.PrimaryKeyRelatedField):
    pass


class ScopedSlugRelatedField(ScopedRelatedMixin, serializers.SlugRelatedField):
    pass
