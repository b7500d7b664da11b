"""The API's JSON renderer (orjson, ``governance.api.renderers``) writes what DRF's writes."""

import datetime
import decimal
import enum
import json
import uuid
from zoneinfo import ZoneInfo

import pytest
from django.utils.functional import lazy
from rest_framework.renderers import JSONRenderer as DRFJSONRenderer
from rest_framework.utils.serializer_helpers import ReturnDict, ReturnList

from governance.api.renderers import JSONRenderer


class State(enum.StrEnum):
    OPEN = "open"


class Level(enum.IntEnum):
    TWO = 2


lazy_text = lazy(lambda: "Entscheidung — lazy", str)

VALUES = [
    None, True, 0, -7, 2**63 - 1, 1.5, 0.1, 123456.789, 1e16, 1e-4, 2.5e-3, 1e300,
    "", "plain", "ünïcödé ✓ 決定", "<script>&'\"",
    "line\u2028separator\u2029para", "tab\tnew\nline\\slash\x01", [], {}, (1, 2),
    datetime.datetime(2026, 12, 7, 10, 0, tzinfo=datetime.UTC),
    datetime.datetime(2026, 12, 7, 10, 0, 0, 123456, tzinfo=ZoneInfo("Europe/Berlin")),
    datetime.datetime(2026, 12, 7, 10, 0), datetime.date(2026, 2, 28), datetime.time(9, 30, 15, 500),
    datetime.timedelta(hours=36), decimal.Decimal("12.50"), uuid.UUID("12345678-1234-5678-1234-567812345678"),
    State.OPEN, Level.TWO, lazy_text(), b"bytes",
    {1: "int key", "nested": {"deeper": [1, {"x": None}]}},
    ReturnDict({"a": 1}, serializer=None), ReturnList([{"b": 2}], serializer=None),
]


@pytest.mark.parametrize("value", VALUES, ids=lambda v: type(v).__name__)
def test_the_same_bytes_as_drfs_renderer(value):
    data = {"value": value, "list": [value, value]}
    assert JSONRenderer().render(data) == DRFJSONRenderer().render(data)


def test_a_page_of_many_rows_is_the_same():
    rows = ReturnList([{"id": i, "title": f"Decision {i} — “quoted”", "state": State.OPEN, "at": datetime.datetime(
        2026, 1, 1, i % 24, tzinfo=datetime.UTC), "participants": [{"user": i, "agreed": None}]} for i in range(200)],
        serializer=None)
    assert JSONRenderer().render({"results": rows}) == DRFJSONRenderer().render({"results": rows})


def test_small_floats_are_the_same_number_written_in_decimal():
    data = {"value": [5e-05, 1e-07, 0.00012345]}
    assert JSONRenderer().render(data) == b'{"value":[0.00005,1e-7,0.00012345]}'
    assert DRFJSONRenderer().render(data) == b'{"value":[5e-05,1e-07,0.00012345]}'
    assert json.loads(JSONRenderer().render(data)) == json.loads(DRFJSONRenderer().render(data)) == data


def test_pretty_printing_and_what_orjson_refuses_go_to_drfs_renderer():
    data = {"a": [1, 2], "big": 2**70}
    assert JSONRenderer().render(data) == DRFJSONRenderer().render(data)  # past 64 bits: DRF's
    indented = JSONRenderer().render({"a": 1}, "application/json; indent=2")
    assert indented == DRFJSONRenderer().render({"a": 1}, "application/json; indent=2") == b'{\n  "a": 1\n}'
    assert JSONRenderer().render(None) == b""


@pytest.mark.django_db
def test_the_api_answers_with_it(api, cast):
    response = api(cast["admin"]).get("/api/v1/org-units/")
    assert response.status_code == 200
    assert isinstance(response.accepted_renderer, JSONRenderer)
    assert response.content == DRFJSONRenderer().render(response.data)
