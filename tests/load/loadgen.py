"""A small load generator: stdlib ``http.client`` and threads, loopback only, bounded in time and
request count. Each virtual user is a thread running one behaviour in a loop with a short think
time; every response is timed per request type, and every acknowledged write is remembered so the
test can count it in the database afterwards.
"""

from __future__ import annotations

import gzip
import http.client
import json
import random
import re
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from statistics import quantiles
from urllib.parse import urlencode

HOST = "127.0.0.1"  # loopback only, never anything else


class Unexpected(Exception):
    pass


@dataclass
class Stats:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: list[str] = field(default_factory=list)
    acknowledged: dict[str, list] = field(default_factory=lambda: defaultdict(list))
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, kind: str, seconds: float) -> None:
        with self.lock:
            self.latencies[kind].append(seconds)

    def error(self, message: str) -> None:
        with self.lock:
            self.errors.append(message)

    def ack(self, kind: str, value) -> None:
        with self.lock:
            self.acknowledged[kind].append(value)

    @property
    def requests(self) -> int:
        return sum(len(v) for v in self.latencies.values())

    def table(self) -> list[dict]:
        """Percentiles per request type, then over all requests (``"all requests"``, the last row)."""
        everything = [v for values in self.latencies.values() for v in values]
        return [_percentiles(kind, values) for kind, values in sorted(self.latencies.items())] + (
            [_percentiles("all requests", everything)] if everything else [])


def _percentiles(kind: str, values: list[float]) -> dict:
    ordered = sorted(values)
    cuts = quantiles(ordered, n=100, method="inclusive") if len(ordered) > 1 else ordered * 99
    return {"request": kind, "count": len(ordered), "p50_ms": round(cuts[49] * 1000, 1),
            "p95_ms": round(cuts[94] * 1000, 1), "p99_ms": round(cuts[98] * 1000, 1),
            "max_ms": round(ordered[-1] * 1000, 1)}


class Client:
    """One user's HTTP client with a token or a session cookie."""

    def __init__(self, port: int, stats: Stats, *, token: str | None = None):
        self.port, self.stats, self.token = port, stats, token
        self.cookies: dict[str, str] = {}

    def request(self, kind: str, method: str, path: str, *, body=None, form: dict | None = None,
                expect: tuple[int, ...] = (200,)) -> tuple[int, bytes, http.client.HTTPResponse]:
        # As from a browser behind the TLS proxy: compressed answers, HTTPS as the scheme.
        headers = {"Accept": "application/json" if path.startswith("/api/") else "text/html",
                   "Accept-Encoding": "gzip", "X-Forwarded-Proto": "https"}
        payload = None
        if self.token:
            headers["Authorization"] = f"Token {self.token}"
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if body is not None:
            payload, headers["Content-Type"] = json.dumps(body), "application/json"
        if form is not None:
            payload, headers["Content-Type"] = urlencode(form), "application/x-www-form-urlencoded"
        headers["Connection"] = "close"  # a fresh connection per request: no keep-alive race on a POST
        start = time.perf_counter()
        conn = http.client.HTTPConnection(HOST, self.port, timeout=60)
        try:
            conn.request(method, path, body=payload, headers=headers)
            resp = conn.getresponse()
            data = resp.read()
            if resp.getheader("Content-Encoding") == "gzip":
                data = gzip.decompress(data)
        finally:
            conn.close()
        self.stats.record(kind, time.perf_counter() - start)
        for header, value in resp.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name.strip()] = rest.split(";", 1)[0]
        if resp.status not in expect:
            raise Unexpected(f"{kind}: {method} {path} → {resp.status} {data[:300]!r}")
        return resp.status, data, resp

    def json(self, kind: str, method: str, path: str, *, body=None, expect=(200,)):
        _, data, _ = self.request(kind, method, path, body=body, expect=expect)
        return json.loads(data) if data else None

    def login(self, username: str, password: str) -> None:
        _, html, _ = self.request("login page", "GET", "/accounts/login/")
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1).decode()
        self.request("login", "POST", "/accounts/login/", expect=(302,),
                     form={"csrfmiddlewaretoken": token, "username": username, "password": password})
        if "sessionid" not in self.cookies:
            raise Unexpected(f"login of {username} gave no session")


def run(behaviours: list, *, duration: float, max_requests: int, think: tuple[float, float] = (0.05, 0.4),
        seed: int = 1) -> tuple[Stats, float]:
    """Run each ``behaviour(stats, rng)`` — a generator of steps — in its own thread until
    ``duration`` seconds or ``max_requests`` in total. Returns the stats and the elapsed time."""
    stats = Stats()
    stop = threading.Event()

    def user(i: int, behaviour) -> None:
        rng = random.Random(seed * 1000 + i)
        try:
            steps = behaviour(stats, rng)
            for _ in steps:
                if stop.is_set() or stats.requests >= max_requests:
                    break
                time.sleep(rng.uniform(*think))
        except Unexpected as exc:
            stats.error(str(exc))
        except Exception as exc:  # noqa: BLE001 - every failure is a load-test error
            stats.error(f"{type(exc).__name__}: {exc}")

    threads = [threading.Thread(target=user, args=(i, b), daemon=True) for i, b in enumerate(behaviours)]
    began = time.monotonic()
    for t in threads:
        t.start()
    while time.monotonic() - began < duration and any(t.is_alive() for t in threads):
        if stats.requests >= max_requests:
            break
        time.sleep(0.2)
    stop.set()
    for t in threads:
        t.join(timeout=90)
    return stats, time.monotonic() - began
