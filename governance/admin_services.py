"""Django admin screens that write through the services (issue 21: the admin wrote around them).

``ServiceAdmin`` subclasses implement ``save_through_service(request, obj, form, change)`` and
return the saved row. The service runs twice: first while the form is validated, inside a savepoint
that is rolled back, so its refusals (``ValidationError``) appear on the form like any field error and
nothing is kept; then, once the form is valid, for real in ``save_model``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction


class ServiceAdmin:
    save_through_service: Callable[..., Any]  # each admin defines it: (request, obj, form, change) -> the row

    def get_form(self, request, obj=None, change=False, **kwargs):
        form_class = super().get_form(request, obj, change=change, **kwargs)  # type: ignore[misc]
        admin = self

        class ServiceCheckedForm(form_class):
            def _post_clean(self) -> None:
                super()._post_clean()
                if self.errors:
                    return
                try:
                    with transaction.atomic():
                        admin.save_through_service(request, self.instance, self, change=obj is not None)
                        transaction.set_rollback(True)
                except ValidationError as exc:
                    self._update_errors(exc)

        return ServiceCheckedForm

    def save_model(self, request, obj, form, change) -> None:
        saved = self.save_through_service(request, obj, form, change)
        obj.pk = saved.pk
        obj._state.adding = False
