"""Reads compiled once per process: ``PreparedRows``.

Django compiles a queryset into SQL on every evaluation: the select list of the model and of
every ``select_related`` table, the joins, the conditions, the order. For a read of a few rows by
their key that costs more of the request's CPU than PostgreSQL spends running it (the decision
page's decision with its ten related rows: ~3 ms to compile, 0.5 ms to run). A ``PreparedRows``
compiles its queryset once per process and then runs the same statement with other values bound,
building model instances with Django's own ``ModelIterable`` (related rows populated as
``select_related`` does, annotations set).

**Only for statements that are the same for every reader**: the queryset is built from its keys
alone, never from a user (``build(*keys)``). *Who may see* the rows is decided per request by
``restrict()``; a prepared read only reads rows by the keys that check returned
(``decisions.selectors.decision_detail``).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext

from django.core.exceptions import ImproperlyConfigured
from django.db import connections, models
from django.db.models.query import ModelIterable


class _Compiled:
    """What ``ModelIterable`` reads of a queryset, with a compiler whose SQL is already written."""

    __slots__ = ("db", "model", "query", "_known_related_objects", "_compiler")

    def __init__(self, queryset: models.QuerySet, compiler) -> None:
        self.db = queryset.db
        self.model = queryset.model
        self.query = self  # ModelIterable asks ``queryset.query.get_compiler(using=...)``
        self._known_related_objects: dict = {}
        self._compiler = compiler

    def get_compiler(self, using=None, connection=None, elide_empty=True):
        return self._compiler


class PreparedRows:
    """The queryset ``build(*keys)`` returns, compiled once (on first use: models are not ready at
    import time) and run by ``fetch(*values)`` with ``values`` bound in place of ``keys``.

    ``build`` is called once, with placeholder integers no real key takes; wherever the statement
    binds one of them, ``fetch`` binds its value. Every other parameter (Django binds the ``1`` of
    ``EXISTS (SELECT 1 ...)``, for one) is part of the statement as built, and stays. Keys are whole
    numbers (``int``), as primary keys are."""

    _PLACEHOLDER = -(2**62)  # + the key's position: ids are positive

    def __init__(self, build: Callable[..., models.QuerySet], keys: int = 1,
                 around: Callable[[str], AbstractContextManager] | None = None) -> None:
        self._build = build
        self._keys = keys
        self._around = around  # e.g. join_order.written_join_order, entered around each run
        self._compiled: tuple | None = None

    def _compile(self) -> tuple:
        if self._compiled is None:
            placeholders = [self._PLACEHOLDER + k for k in range(self._keys)]
            queryset = self._build(*placeholders)
            if queryset._prefetch_related_lookups or queryset._iterable_class is not ModelIterable:
                raise ImproperlyConfigured("PreparedRows reads model rows only, without prefetches.")
            compiler = queryset.query.get_compiler(using=queryset.db)
            sql, params = compiler.as_sql()
            slots = [(i, placeholders.index(p)) for i, p in enumerate(params) if p in placeholders]
            if {k for _, k in slots} != set(range(self._keys)):
                raise ImproperlyConfigured(f"a key is not a parameter of the statement: {sql} {params!r}")
            compiler.connection = None  # each run binds its own thread's; keep no connection alive
            self._compiled = (queryset, compiler, sql, tuple(params), slots)
        return self._compiled

    def fetch(self, *values: int) -> list:
        """The rows of the statement with ``values`` bound, as model instances."""
        if len(values) != self._keys or not all(type(value) is int for value in values):
            raise TypeError(f"{self._keys} whole numbers (int) expected, got {values!r}")
        queryset, compiled, sql, params, slots = self._compile()
        bound = list(params)
        for i, k in slots:
            bound[i] = values[k]
        compiler = copy.copy(compiled)  # per run: this thread's connection, these values
        compiler.connection = connections[queryset.db]
        compiler.as_sql = lambda *args, **kwargs: (sql, bound)
        around = self._around(queryset.db) if self._around else nullcontext()
        with around:
            return list(ModelIterable(_Compiled(queryset, compiler)))  # type: ignore[arg-type]


def attach_children(instance: models.Model, name: str, children: list) -> None:
    """``instance``'s reverse foreign key ``name`` (``decision.participants``) answered from
    ``children`` as ``prefetch_related`` would: ``instance.<name>.all()`` runs no query, and each
    child's foreign key to ``instance`` is ``instance`` itself.

    ``children`` must be *all* of ``instance``'s: a later ``instance.<name>.filter(...)`` reads the
    table again through the plain relation, as after ``prefetch_related("<name>")``."""
    manager = getattr(instance, name)
    field = manager.field  # the child's ForeignKey to instance's model
    for child in children:
        field.set_cached_value(child, instance)
    queryset = manager.get_queryset()
    queryset._result_cache = children
    queryset._prefetch_done = True
    instance.__dict__.setdefault("_prefetched_objects_cache", {})[field.remote_field.cache_name] = queryset
