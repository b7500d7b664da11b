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


class Inputs(forms.Form):
    text = forms.CharField(widget=forms.TextInput(attrs={"class": "form-control", "placeholder": 'say "hi" & <go>',
                                                         "autofocus": True, "hidden": False}))
    number = forms.DecimalField(widget=forms.NumberInput(attrs={"step": "any"}))
    when = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    moment = forms.DateTimeField()
    flag = forms.BooleanField(required=False)
    secret = forms.CharField(widget=forms.PasswordInput)
    hidden = forms.CharField(widget=forms.HiddenInput)
    email = forms.EmailField()
    notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}))
    lazy = forms.CharField(widget=forms.TextInput(attrs={"aria-label": gettext_lazy("Comment")}))


@pytest.mark.parametrize("data", [
    None,
    {"text": "a <b> & 'c'", "number": "0", "when": "2026-12-06", "moment": "2026-12-06 10:30", "flag": "on",
     "secret": "s3cret", "hidden": "x\"y", "email": "a@b.c", "notes": "line 1\n<line 2>", "lazy": ""},
    {"text": "", "number": "nope", "when": "bad", "flag": "", "notes": "", "hidden": mark_safe("<i>")},
])
def test_inputs_and_textareas_render_exactly_as_the_templates_do(data):
    for name in Inputs.base_fields:
        ours = Inputs(data, renderer=FastSelectRenderer())[name].as_widget()
        django = Inputs(data, renderer=DjangoTemplates())[name].as_widget()
        assert ours == django, name


def test_initial_values_render_as_the_templates_do():
    from datetime import date, datetime
    from decimal import Decimal

    initial = {"number": Decimal("12.50"), "when": date(2026, 1, 2), "moment": datetime(2026, 1, 2, 3, 4),
               "flag": True, "text": mark_safe("<b>kept</b>"), "notes": "x & y"}
    for name in Inputs.base_fields:
        ours = Inputs(initial=initial, renderer=FastSelectRenderer())[name].as_widget()
        assert ours == Inputs(initial=initial, renderer=DjangoTemplates())[name].as_widget(), name


class Options(forms.Form):
    radio = forms.ChoiceField(choices=[("a", "A & B"), ("b", mark_safe("<b>bold</b>")), ("c", gettext_lazy("Japan"))],
                              widget=forms.RadioSelect(attrs={"class": "form-check-input"}), initial="b")
    boxes = forms.MultipleChoiceField(choices=[(1, "one"), ('2"', "<two>")], widget=forms.CheckboxSelectMultiple,
                                      required=False)
    bare = forms.ChoiceField(choices=[("x", "X")], widget=forms.RadioSelect(attrs={"id": None}))


class HtmlButStr:
    """A label that is not a string: Django's templates write its ``str()``, escaped, not its ``__html__``."""

    def __html__(self):
        return "<img src=x onerror=alert(1)>"

    def __str__(self):
        return "plain <b>"


class SafeStr:
    def __str__(self):
        return mark_safe("<i>safe</i>")


class Odd(forms.Form):
    radio = forms.ChoiceField(choices=[("a", HtmlButStr()), ("b", SafeStr()), ("c", 3)], widget=forms.RadioSelect)
    select = forms.ChoiceField(choices=[("a", HtmlButStr()), ("b", SafeStr()), ("c", 3)])


def test_labels_that_are_not_strings_render_as_the_templates_do():
    ours, django = Odd(renderer=FastSelectRenderer()), Odd(renderer=DjangoTemplates())
    assert ours["select"].as_widget() == django["select"].as_widget()
    assert "onerror" not in ours["select"].as_widget()
    for mine, theirs in zip(ours["radio"], django["radio"], strict=True):
        assert str(mine) == str(theirs) and "onerror" not in str(mine)


@pytest.mark.parametrize("data", [None, {"radio": "c", "boxes": ["1", '2"'], "bare": "x"}])
def test_radio_buttons_and_checkboxes_one_by_one_render_as_the_templates_do(data):
    ours, django = Options(data, renderer=FastSelectRenderer()), Options(data, renderer=DjangoTemplates())
    for name in Options.base_fields:
        for mine, theirs in zip(ours[name], django[name], strict=True):
            assert mine.tag() == theirs.tag()  # the input alone, as the log-decision form writes it
            assert str(mine) == str(theirs)  # the input inside its label
            assert mine.tag(wrap_label=True) == theirs.tag(wrap_label=True)
        assert str(ours[name]) == str(django[name])  # the whole group, through the templates


@pytest.mark.django_db
def test_the_log_decision_form_renders_as_with_the_templates(manager_de):
    from decisions.forms import DecisionLogForm

    ours = DecisionLogForm(user=manager_de, renderer=FastSelectRenderer())
    django = DecisionLogForm(user=manager_de, renderer=DjangoTemplates())
    kinds = []
    for name in ours.fields:
        html = ours[name].as_widget()
        kinds.append(html.split(" ", 1)[0])
        assert html == django[name].as_widget(), name
    assert kinds.count("<select") >= 3 and "<input" in kinds and "<textarea" in kinds
