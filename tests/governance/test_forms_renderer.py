"""``FORM_RENDERER`` writes ``<select>`` elements itself (governance.forms_renderer): the output must
be what Django's templates write, character for character."""

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy

from governance.forms_renderer import FastSelectRenderer


class Sample(forms.Form):
    plain = forms.ChoiceField(choices=[("", "---------"), ("a", "A & B"), (3, "<three>"), ("q\"x", "quote")])
    grouped = forms.ChoiceField(choices=[("Europe", [("DE", "Germany"), ("AT", "Austria")]),
                                         ("Asia", [("JP", gettext_lazy("Japan"))]), ("X", "Loose")])
    many = forms.MultipleChoiceField(choices=[(1, "one"), (2, mark_safe("<b>two</b>")), (3, "three")],
                                     required=False)
    styled = forms.ChoiceField(choices=[("1", "x")], widget=forms.Select(attrs={
        "class": "form-select", "data-x": 'a"b<', "disabled": True, "hidden": False, "hx-get": "/x/?a=1&b=2"}))


@pytest.mark.parametrize("data", [None, {"plain": "a", "grouped": "JP", "many": ["1", "3"], "styled": "1"},
                                  {"plain": "nope", "grouped": "X", "many": ["2"]}])
def test_selects_render_exactly_as_the_templates_do(data):
    for name in Sample.base_fields:
        ours = Sample(data, renderer=FastSelectRenderer())[name].as_widget()
        django = Sample(data, renderer=DjangoTemplates())[name].as_widget()
        assert ours == django, name


@pytest.mark.django_db
def test_the_log_decision_form_renders_as_with_the_templates(manager_de):
    from decisions.forms import DecisionLogForm

    ours = DecisionLogForm(user=manager_de, renderer=FastSelectRenderer())
    django = DecisionLogForm(user=manager_de, renderer=DjangoTemplates())
    selects = 0
    for name in ours.fields:
        html = ours[name].as_widget()
        selects += html.startswith("<select")
        assert html == django[name].as_widget(), name
    assert selects >= 3
