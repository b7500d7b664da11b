"""The form renderer (``FORM_RENDERER``): Django's, except that ``<select>``, ``<input>`` and
``<textarea>`` elements, and the radio buttons and checkboxes of a ``RadioSelect`` or
``CheckboxSelectMultiple`` rendered one by one (``{{ radio.tag }}``), are written here instead of
through their widget templates: ``select.html`` includes ``select_option.html`` once per option
(~25 µs of template work each; the log-decision form's seven selects took ~70% of its request),
and each input is two nested includes plus the attributes loop (~0.1 ms a field; the form's inputs
then took half of what was left). The output is the templates' own, character for character
(``tests/governance/test_forms_renderer.py`` renders both ways); a select whose options use
another template, and every other widget, go through the templates as before.
"""

from __future__ import annotations

import html

from django.forms.renderers import DjangoTemplates
from django.utils.formats import localize
from django.utils.html import conditional_escape
from django.utils.safestring import SafeData
from django.utils.timezone import template_localtime

SELECT = "django/forms/widgets/select.html"
OPTION = "django/forms/widgets/select_option.html"


def _text(value) -> str:
    """``{{ value }}`` with autoescape on. A plain ``str`` (not marked safe, nothing to localize) is
    escaped as Django's ``escape`` does, without its lazy-string and localization checks."""
    if type(value) is str:
        return html.escape(value)
    value = localize(template_localtime(value))  # then as Django's ``render_value_in_context``
    return conditional_escape(value if isinstance(value, str) else str(value))


def _formatted(value) -> str:
    """``{{ value|stringformat:'s' }}`` with autoescape on."""
    text = str(value)
    if isinstance(value, SafeData):
        return text
    return html.escape(text) if type(text) is str else conditional_escape(text)


def _attrs(attrs: dict) -> str:
    """``django/forms/widgets/attrs.html``."""
    return "".join(f" {_text(name)}" + ("" if value is True else f'="{_formatted(value)}"')
                   for name, value in attrs.items() if value is not False)


def render_select(widget: dict) -> str:
    """``select.html`` with ``select_option.html`` for every option (before the renderer's strip)."""
    out = [f'<select name="{_text(widget["name"])}"{_attrs(widget["attrs"])}>']
    for group_name, options, _index in widget["optgroups"]:
        if group_name:
            out.append(f'\n  <optgroup label="{_text(group_name)}">')
        for option in options:
            out.append(f'\n  <option value="{_formatted(option["value"])}"{_attrs(option["attrs"])}>'
                       f'{_text(option["label"])}</option>\n')
        if group_name:
            out.append("\n  </optgroup>")
    out.append("\n</select>\n")
    return "".join(out)


def render_input(widget: dict) -> str:
    """``input.html`` — what ``text.html``, ``number.html``, ``checkbox.html`` & co. include."""
    value = "" if widget["value"] is None else f' value="{_formatted(widget["value"])}"'
    return f'<input type="{_text(widget["type"])}" name="{_text(widget["name"])}"{value}{_attrs(widget["attrs"])}>'


def render_input_option(widget: dict) -> str:
    """``input_option.html`` — what ``radio_option.html`` and ``checkbox_option.html`` include: the
    input, inside its label when ``wrap_label`` is set."""
    if not widget.get("wrap_label"):
        return render_input(widget)
    label_for = f' for="{_text(widget["attrs"]["id"])}"' if widget["attrs"].get("id") else ""
    return f"<label{label_for}>{render_input(widget)}\n {_text(widget['label'])}</label>"


def render_textarea(widget: dict) -> str:
    """``textarea.html``."""
    value = _text(widget["value"]) if widget["value"] else ""
    return f'<textarea name="{_text(widget["name"])}"{_attrs(widget["attrs"])}>\n{value}</textarea>'


# Django's widget templates that are exactly ``{% include "django/forms/widgets/input.html" %}``.
INPUTS = frozenset(f"django/forms/widgets/{name}.html" for name in (
    "input", "text", "number", "email", "url", "password", "hidden", "date", "datetime", "time", "search", "tel",
    "color", "checkbox"))
TEXTAREA = "django/forms/widgets/textarea.html"
INPUT_OPTIONS = frozenset(f"django/forms/widgets/{name}.html" for name in ("input_option", "radio_option",
                                                                           "checkbox_option"))


class FastSelectRenderer(DjangoTemplates):
    def render(self, template_name, context, request=None):
        if template_name == SELECT:
            widget = context["widget"]
            if all(option["template_name"] == OPTION for _, options, _ in widget["optgroups"] for option in options):
                return render_select(widget).strip()
        elif template_name in INPUTS:
            return render_input(context["widget"]).strip()
        elif template_name == TEXTAREA:
            return render_textarea(context["widget"]).strip()
        elif template_name in INPUT_OPTIONS:
            return render_input_option(context["widget"]).strip()
        return super().render(template_name, context, request)
