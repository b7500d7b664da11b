"""Template context shared by every page: the navigation for the signed-in user's role."""

import importlib
from functools import cache

from django.urls import NoReverseMatch, reverse

from governance.models import Role

_NAV_MODULES = ("kpis.nav", "decisions.nav", "partners.nav", "governance.nav")


@cache
def _nav_entries() -> tuple:
    entries = []
    for module_name in _NAV_MODULES:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name:
                raise
            continue
        entries.extend(module.NAV_ITEMS)
    resolved = []
    for label, url_name, icon, roles in entries:
        try:
            resolved.append((label, reverse(url_name), url_name, icon, frozenset(roles)))
        except NoReverseMatch:
            continue
    return tuple(resolved)


def navigation(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": []}
    role = Role.ADMIN if user.is_admin else user.role
    path = request.path
    items = [
        {"label": label, "url": url, "icon": icon,
         "active": path == url or (url != "/" and path.startswith(url))}
        for label, url, _name, icon, roles in _nav_entries()
        if role in roles
    ]
    return {"nav_items": items, "user_role_label": user.get_role_display()}
