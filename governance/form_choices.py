"""A form's model choices read in one fetch (issue 22).

Django's ``ModelChoiceIterator`` reads a ``<select>``'s choices through ``QuerySet.iterator()``,
which on PostgreSQL is a server-side cursor: ``DECLARE … WITH HOLD``, ``FETCH``, ``CLOSE`` —
three round trips, psycopg's named-cursor machinery, and a statement PostgreSQL cannot prepare —
for what is a page's worth of rows (the org units, decision types, partnerships and KPIs a user may
pick). ``iterate_in_one_fetch`` reads them with one plain query instead: the log-decision form went
from ~10.6 to ~9.9 ms of CPU per request (docs/benchmarks.md). ``.all()`` makes a fresh copy on each
pass, so the field's queryset caches nothing between renders, as before. Exports and other large
reads keep their server-side cursors: only form choices change.

``install()`` is called once when the app is ready and replaces ``ModelChoiceIterator.__iter__``,
so every model choice field uses it: forms, the admin, and django-filter's filter forms (whose
iterator extends Django's).
"""

from __future__ import annotations

from django.forms.models import ModelChoiceIterator

DJANGO_ITER = ModelChoiceIterator.__iter__


def iterate_in_one_fetch(self: ModelChoiceIterator):
    """Django's ``ModelChoiceIterator.__iter__``, with the queryset read by one client-side fetch
    instead of a server-side cursor."""
    if self.field.empty_label is not None:
        yield ("", self.field.empty_label)
    for obj in self.queryset.all():
        yield self.choice(obj)


def install() -> None:
    ModelChoiceIterator.__iter__ = iterate_in_one_fetch  # type: ignore[method-assign]
