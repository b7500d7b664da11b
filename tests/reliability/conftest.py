"""Fixtures for tests on real processes: a registry that stops every process a test started and
prints their logs when the test fails, and the decisions cast these tests escalate."""

from __future__ import annotations

import pytest

from tests.decisions.conftest import compliance_dach, holders, log_de, price_exception  # noqa: F401 - reused fixtures
from tests.reliability.support import Proc


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


class Processes:
    def __init__(self, log_dir):
        self.log_dir = log_dir
        self.started: list[Proc] = []

    def add(self, proc: Proc) -> Proc:
        self.started.append(proc)
        return proc

    def logs(self) -> str:
        return "\n".join(f"===== {p.name} =====\n{p.log(6000)}" for p in self.started)


@pytest.fixture
def processes(request, tmp_path):
    registry = Processes(tmp_path)
    yield registry
    failed = getattr(request.node, "rep_call", None) is not None and request.node.rep_call.failed
    for proc in reversed(registry.started):
        proc.stop()
    if failed:
        print(registry.logs())  # pytest shows captured output of failing tests
