"""Two (or more) sweeps at once: threads released together by a barrier, each on its own database
connection. The tests of every sweep that promises "exactly once" race it through here."""

from __future__ import annotations

import threading
from collections.abc import Callable

from django.db import connection


def race(sweep: Callable[[], dict], n_threads: int = 2) -> list:
    """Run ``sweep`` in ``n_threads`` threads released at the same moment; their results (errors fail)."""
    barrier = threading.Barrier(n_threads)
    results, errors = [], []

    def run():
        try:
            barrier.wait(timeout=10)
            results.append(sweep())
        except Exception as exc:  # surfaced below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(n_threads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    return results
