"""Hostile and bad input: schemathesis generates requests for every operation of /api/v1/schema/,
in process (WSGI), as a token-authenticated user of each role.

Checks: no 5xx (``not_a_server_error``); every status and content type is one the schema
documents; JSON bodies conform to the schema; invalid (negative) input is rejected with a 4xx
JSON answer. Bounded (few examples, derandomized) so it fits in ``make test``. Every request
runs in a savepoint that is rolled back, so the world is the same for every example.
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, transaction
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from governance.tokens import token_issue

pytestmark = pytest.mark.django_db

EXAMPLES = int(os.environ.get("ACCORD_SCHEMATHESIS_EXAMPLES", "3"))
# Negative (invalid) input is about validation, which runs the same for every role: fuzz it as
# the external attack surface, partner users, on the operations that take a body (kept to that
# so the run stays within budget; invalid query parameters are covered by the positive run's filters).
NEGATIVE_ROLES = {"partner"}
POSITIVE_CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
                   response_schema_conformance]
NEGATIVE_CHECKS = [not_a_server_error, negative_data_rejection, content_type_conformance]


@pytest.fixture
def wsgi_app():
    """Django's WSGI app inside the test transaction: keep it from closing the connection
    after each request (Django's own test client does the same)."""
    from django.core.wsgi import get_wsgi_application

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield get_wsgi_application()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def _fuzz(operation, mode: GenerationMode, headers: dict, checks, statuses: list[int]) -> str | None:
    failure: list[str] = []

    @settings(max_examples=EXAMPLES, derandomize=True, database=None, deadline=None,
              suppress_health_check=list(HealthCheck), phases=[Phase.explicit, Phase.generate])
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case):
        with transaction.atomic():
            response = case.call(headers=headers)
            transaction.set_rollback(True)
        statuses.append((response.status_code, f"{case.method} {case.formatted_path} query={case.query} "
                                               f"body={str(case.body)[:200]} -> {response.text[:300]}"))
        try:
            case.validate_response(response, checks=checks, headers=headers)
        except Exception as exc:
            if not failure:
                failure.append(f"{operation.label} [{mode.value}] {case.method} {case.formatted_path} "
                               f"query={case.query} body={str(case.body)[:200]} -> {response.status_code} "
                               f"{response.text[:300]}\n    {str(exc)[:600]}")
            raise

    try:
        run()
    except KeyboardInterrupt:
        raise
    except BaseException:  # noqa: S110 - schemathesis raises exception groups; the first failure is kept
        pass
    return failure[0] if failure else None


@pytest.mark.parametrize("role", ["admin", "leader", "manager_de", "manager_jp", "partner"])
def test_api_survives_generated_input_for_every_operation(world, wsgi_app, role):
    user = world.user(role)
    headers = {"Authorization": f"Token {token_issue(user=user)[1]}"}
    schema = schemathesis.openapi.from_wsgi("/api/v1/schema/?format=json", wsgi_app, headers=headers)
    schema.config.generation.update(allow_x00=False)
    failures, operations, statuses = [], 0, []
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        modes = [(GenerationMode.POSITIVE, POSITIVE_CHECKS)]
        if role in NEGATIVE_ROLES and operation.method.upper() in ("POST", "PUT", "PATCH"):
            modes.append((GenerationMode.NEGATIVE, NEGATIVE_CHECKS))
        for mode, checks in modes:
            problem = _fuzz(operation, mode, headers, checks, statuses)
            if problem:
                failures.append(problem)
    assert operations > 50
    # The run really reached the views: successes and refusals both, and no server error.
    assert len(statuses) >= operations and any(200 <= s < 300 for s, _ in statuses)
    assert not [call for s, call in statuses if s >= 500]
    assert not failures, f"{len(failures)} failing operations as {role}:\n" + "\n".join(failures)
