"""The API's JSON, written by orjson (issue 22).

DRF's ``JSONRenderer`` runs the standard library's encoder: 1.9 ms for the decisions API's first
page (211 KB), 15% of the request. :class:`JSONRenderer` writes the same JSON — compact
separators, UTF-8 unescaped, U+2028/U+2029 escaped, every value orjson does not write natively
(datetimes, dates and times, decimals, lazy strings, query sets, …) handed to DRF's own encoder —
in under a third of the time, and the same bytes for every answer the API gives today (compared
over all its lists and details for five roles). Pretty-printing (``Accept: application/json;
indent=4``, the browsable API) and anything orjson refuses (an integer past 64 bits) go to DRF's
renderer as before.

Where the bytes can differ, the JSON value does not: a float below 1e-4 is written in decimal
(``0.00005``, where Python writes ``5e-05``). Where DRF's renderer would fail the response, this
one writes: NaN and infinity (float or Decimal) as ``null``, a plain ``Enum`` by its value, date,
UUID and Enum dict keys as strings. Two differences no answer reaches (a mapping subclass with its
own ``items()``, such as ``QueryDict``, and an ``OrderedDict`` reordered after it was filled) are
left: orjson reads such a dict's storage directly. tests/governance/test_renderers.py compares the
two renderers' bytes over the API's value types.
"""

from __future__ import annotations

import orjson
from rest_framework import renderers
from rest_framework.utils.encoders import JSONEncoder

_DRF_DEFAULT = JSONEncoder().default
# Datetimes, dates and times go to DRF's encoder (its ``Z`` for UTC); dict keys that are not strings
# are written as the standard library writes them; dataclasses as DRF would meet them (not natively).
_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATACLASS


class JSONRenderer(renderers.JSONRenderer):
    def render(self, data, accepted_media_type=None, renderer_context=None):
        if data is None:
            return b""
        if self.get_indent(accepted_media_type, renderer_context or {}) is not None or not self.compact \
                or self.ensure_ascii:
            return super().render(data, accepted_media_type, renderer_context)
        try:
            out = orjson.dumps(data, default=_DRF_DEFAULT, option=_OPTIONS)
        except orjson.JSONEncodeError:
            return super().render(data, accepted_media_type, renderer_context)
        # As DRF does: JSON that is also a strict JavaScript subset.
        return out.replace(b"\xe2\x80\xa8", b"\\u2028").replace(b"\xe2\x80\xa9", b"\\u2029")
