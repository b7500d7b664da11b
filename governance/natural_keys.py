"""A row's ``code`` is its natural key: the API, CSV files, imports, URLs and other rows name it by
its code, so the code is set when the row is created and never changes (rename with ``name``).

The rule lives here once, on the model: ``NaturalKeyModel`` remembers the code it was loaded with,
``clean_fields`` refuses another (so every ``full_clean`` — services, admin and manage forms —
applies it), and ``code_change_error`` gives the API serializers (``NaturalKeySerializerMixin``)
the same sentence.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import models


class NaturalKeyModel(models.Model):
    code: str  # each concrete model declares its own ``code`` field

    class Meta:
        abstract = True

    def save(self, *args, **kwargs) -> None:
        super().save(*args, **kwargs)
        self._stored_code = self.code

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        instance._stored_code = instance.__dict__.get("code")  # absent when deferred
        return instance

    def code_change_error(self, code: Any) -> str | None:
        """The refusal if ``code`` would change this saved row's code, else ``None``."""
        if self.pk is None:
            return None
        stored = getattr(self, "_stored_code", None)
        if stored is None:  # loaded with ``code`` deferred, or saved before this class knew it
            rows: Any = type(self)._base_manager.filter(pk=self.pk)
            stored = rows.values_list("code", flat=True).first()
        if stored is None or code == stored:
            return None
        return f"The code is the {self._meta.verbose_name}'s natural key and cannot change."

    def clean_fields(self, exclude=None) -> None:
        super().clean_fields(exclude=exclude)
        error = None if exclude and "code" in exclude else self.code_change_error(self.code)
        if error:
            raise ValidationError({"code": error})
