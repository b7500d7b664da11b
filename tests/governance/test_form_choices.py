"""A select's model choices are read with one plain query, not a server-side cursor
(governance.form_choices), and are the choices Django's own iterator gives."""

import pytest
from django import forms
from django.db import connection
from django.forms.models import ModelChoiceIterator
from django.test.utils import CaptureQueriesContext
from django_filters.fields import ModelChoiceField as FilterChoiceField

from decisions.forms import DecisionLogForm
from governance.form_choices import DJANGO_ITER, iterate_in_one_fetch
from governance.models import OrgUnit


class UnitForm(forms.Form):
    one = forms.ModelChoiceField(queryset=OrgUnit.objects.order_by("code"), empty_label="Pick…")
    many = forms.ModelMultipleChoiceField(queryset=OrgUnit.objects.order_by("-code"), required=False)
    bare = forms.ModelChoiceField(queryset=OrgUnit.objects.order_by("pk"), empty_label=None)
    filtered = FilterChoiceField(queryset=OrgUnit.objects.order_by("name"), null_label="None", required=False)


def _labels(choices) -> list[tuple[str, str]]:
    return [(str(value), str(label)) for value, label in choices]


def test_every_model_choice_iterator_reads_in_one_fetch():
    assert ModelChoiceIterator.__iter__ is iterate_in_one_fetch is not DJANGO_ITER


@pytest.mark.django_db
def test_choices_are_djangos_without_a_server_side_cursor(org, monkeypatch):
    form = UnitForm()
    with monkeypatch.context() as django:  # Django's own iterator: the same statements, through a cursor each
        django.setattr(ModelChoiceIterator, "__iter__", DJANGO_ITER)
        expected = {name: _labels(field.choices) for name, field in form.fields.items()}
        djangos = UnitForm()
        queries = {}
        for name in djangos.fields:
            with CaptureQueriesContext(connection) as ctx:
                str(djangos[name])
            queries[name] = [q["sql"] for q in ctx.captured_queries]
    assert len(expected["one"]) == OrgUnit.objects.count() + 1 and expected["one"][0] == ("", "Pick…")

    def no_server_side_cursor(*args, **kwargs):
        raise AssertionError("form choices read through a server-side cursor")

    monkeypatch.setattr(connection, "chunked_cursor", no_server_side_cursor)
    for name, field in form.fields.items():
        assert _labels(field.choices) == expected[name]
        with CaptureQueriesContext(connection) as ctx:
            html = str(form[name])
        # "bare" (required, no empty label) asks for its first choice once more, as Django does.
        assert [q["sql"] for q in ctx.captured_queries] == queries[name], name
        assert html.count("<option") == len(expected[name]), name


@pytest.mark.django_db
def test_the_log_decision_form_renders_its_scoped_choices(client, manager_de, org, monkeypatch):
    monkeypatch.setattr(connection, "chunked_cursor", lambda *a, **k: pytest.fail("server-side cursor"))
    form = DecisionLogForm(user=manager_de)
    units = [label for value, label in form.fields["org_unit"].choices if value != ""]
    assert units == [str(unit) for unit in OrgUnit.objects.restrict(manager_de, "log").order_by("code")]
    client.force_login(manager_de)
    page = client.get("/decisions/new/")
    assert page.status_code == 200
    assert f'<option value="{org["DE"].pk}" selected>' in page.content.decode()
