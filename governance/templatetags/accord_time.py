"""Template filters for instants, in the reader's zone with its label (a built-in library: every
template has them without ``{% load %}``). See ``governance.timezones``."""

from django import template
from django.utils.html import format_html

from governance.timezones import format_instant

register = template.Library()


@register.filter
def when(value, style: str = ""):
    """``{{ dt|when }}`` → ``<time datetime="…">02 Mar 2026 09:00 CET</time>`` in the active zone;
    styles: ``short`` (no year), ``weekday``, ``seconds``. Empty for None."""
    if not value:
        return ""
    return format_html('<time datetime="{}">{}</time>', value.isoformat(), format_instant(value, style=style))


@register.filter
def when_text(value, style: str = ""):
    """``when`` without the ``<time>`` element, for attributes and plain text."""
    return format_instant(value, style=style) if value else ""
