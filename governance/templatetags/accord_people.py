"""Template filters for people (a built-in library: every template has them without ``{% load %}``)."""

from django import template

register = template.Library()


@register.filter
def name_for(person, viewer) -> str:
    """``{{ person|name_for:user }}``: how ``viewer`` reads ``person``'s name (``User.name_seen_by``:
    a partner user never reads an internal person's login name). Empty for None."""
    return person.name_seen_by(viewer) if person is not None else ""
