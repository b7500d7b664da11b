"""Enumerating every route: the URL resolver (pages and API) and the OpenAPI schema.

The route × role test (test_route_matrix.py) declares an expectation for every (route name,
HTTP method) found here; a route or API operation without one fails that test, so a new route
cannot ship without someone deciding who may reach it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.urls import URLPattern, URLResolver, get_resolver, resolve

ANY = "*"  # function views: the HTTP methods are not introspectable; at least one entry is needed


@dataclass(frozen=True)
class Route:
    name: str  # namespaced URL name, e.g. "partners:partnership" or "partnership-detail"
    pattern: str
    methods: tuple[str, ...]


def _methods(callback) -> tuple[str, ...]:
    actions = getattr(callback, "actions", None)
    if actions:  # DRF viewset route: {"get": "list", "post": "create"}
        return tuple(sorted(m.upper() for m in actions if m not in ("head", "options")))  # HEAD = GET
    view_class = getattr(callback, "view_class", None) or getattr(callback, "cls", None)
    if view_class is not None:
        return tuple(sorted(m.upper() for m in view_class.http_method_names
                            if m not in ("options", "head", "trace") and hasattr(view_class, m)))
    return (ANY,)


def _walk(patterns, prefix: str = "", namespace: str | None = None):
    for p in patterns:
        if isinstance(p, URLResolver):
            ns = namespace
            if p.namespace:
                ns = f"{namespace}:{p.namespace}" if namespace else p.namespace
            yield from _walk(p.url_patterns, prefix + str(p.pattern), ns)
        elif isinstance(p, URLPattern):
            name = f"{namespace}:{p.name}" if namespace and p.name else p.name
            yield prefix + str(p.pattern), name, p.callback


def admin_routes() -> list[Route]:
    return [r for r in all_routes(include_admin=True) if r.pattern.startswith("admin/")]


def all_routes(*, include_admin: bool = False) -> list[Route]:
    """Every URL pattern, except DRF's format-suffix twins (same view, same name, ``.json``)."""
    routes = []
    for pattern, name, callback in _walk(get_resolver().url_patterns):
        if "(?P<format>" in pattern or "<drf_format_suffix:format>" in pattern:
            continue
        if not include_admin and pattern.startswith("admin/"):  # one rule covers Django's admin
            continue
        routes.append(Route(name=name or f"<unnamed {pattern}>", pattern=pattern, methods=_methods(callback)))
    return routes


def schema_operations(schema: dict) -> list[tuple[str, str, str]]:
    """(path, METHOD, operationId) of every operation in the OpenAPI document."""
    ops = []
    for path, item in schema["paths"].items():
        for method, op in item.items():
            if method in ("get", "post", "put", "patch", "delete"):
                ops.append((path, method.upper(), op.get("operationId", "")))
    return ops


def route_name_of(path: str) -> str:
    """The URL name a schema path resolves to (path parameters filled with a plausible value)."""
    concrete = re.sub(r"\{[^}]+\}", "1", path)
    match = resolve(concrete)
    return match.view_name
