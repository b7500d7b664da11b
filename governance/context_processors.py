"""Template context shared by every page: the navigation for the signed-in user's role."""

import importlib
from functools import cache

from django.urls import NoReverseMatch, reverse
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe

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
        return {"nav_html": ""}
    role = Role.ADMIN if user.is_admin else user.role
    path = request.path
    items = [
        {"label": label, "url": url, "icon": icon,
         "active": path == url or (url != "/" and path.startswith(url))}
        for label, url, _name, icon, roles in _nav_entries()
        if role in roles
    ]
    return {"nav_html": nav_html(items), "user_role_label": user.get_role_display()}


def nav_html(items: list[dict]) -> SafeString:
    """The sidebar's links as ``base.html`` wrote them in a ``{% for %}`` loop, written here: the
    loop cost more than the rest of the page's shell (``tests/governance/test_pages.py`` compares
    both)."""
    out = []
    for item in items:
        out.append('\n        <li class="nav-item"><a class="nav-link' + (" active" if item["active"] else "")
                   + f'" href="{conditional_escape(item["url"])}"'
                   + (' aria-current="page"' if item["active"] else "")
                   + f'><i class="bi bi-{conditional_escape(item["icon"])}" aria-hidden="true"></i> '
                   + f"{conditional_escape(item['label'])}</a></li>\n        ")
    return mark_safe("".join(out))  # noqa: S308 — every value above is escaped
