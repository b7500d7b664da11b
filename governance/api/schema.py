"""OpenAPI postprocessing: document the error answers every operation can give.

Views document their specific errors (409 conflicts, bulk 400 rows); this hook adds the generic
ones where a view did not: 400 for operations that take input, 401 everywhere but the token
endpoint, 403 for writes, 404 for operations on one object, 413/415 for bodies, 429 throttling.
"""

from __future__ import annotations

ERROR_SCHEMA = {
    "type": "object",
    "description": "DRF's error shape: `detail`, or field name → list of messages, or bulk `errors`.",
    "additionalProperties": True,
}
DESCRIPTIONS = {
    "400": "Invalid input (field errors, or an invalid filter or query parameter).",
    "401": "Not signed in: send `Authorization: Token …` or a session cookie.",
    "403": "Your role may not make this change.",
    "404": "Not found, or outside your scope (existence is never revealed).",
    "405": "Method not allowed.",
    "406": "Not acceptable: ask for `application/json`.",
    "413": "Request body too large.",
    "415": "Unsupported media type.",
    "429": "Too many requests (throttled, or sign-in locked out).",
}
WRITE_METHODS = {"post", "put", "patch", "delete"}


def add_error_responses(result, generator, request, public):
    for path, item in result.get("paths", {}).items():
        for method, operation in item.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            codes = ["400", "401", "404", "405", "406", "429"]
            if method in WRITE_METHODS:
                codes += ["403", "413", "415"]
            if "{" in path:
                codes.append("404")
            responses = operation.setdefault("responses", {})
            for code in codes:
                entry = responses.setdefault(code, {"description": DESCRIPTIONS[code]})
                entry.setdefault("description", DESCRIPTIONS[code])
                entry.setdefault("content", {"application/json": {"schema": ERROR_SCHEMA}})
    return result
