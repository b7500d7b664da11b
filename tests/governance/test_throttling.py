"""The API's rate limits (``governance.api.throttling``): DRF's sliding window, counted atomically
in Redis — parallel requests cannot pass the limit together — and failing open while Redis is down."""

from __future__ import annotations

import threading
from types import SimpleNamespace

import pytest
from django.conf import settings as django_settings
from django.core.cache import caches

from governance.api.throttling import UserRateThrottle
from governance.cache import ResilientRedisCache

needs_redis = pytest.mark.skipif(not django_settings.CACHES["default"]["BACKEND"].endswith("ResilientRedisCache"),
                                 reason="no Redis on this machine: the throttles run DRF's own code on the file cache")


def _request(pk: int):
    return SimpleNamespace(user=SimpleNamespace(is_authenticated=True, pk=pk))


def _throttle(monkeypatch, rate: str, clock: list[float] | None = None) -> UserRateThrottle:
    monkeypatch.setitem(UserRateThrottle.THROTTLE_RATES, "user", rate)
    throttle = UserRateThrottle()
    if clock is not None:
        throttle.timer = lambda: clock[0]
    return throttle


@needs_redis
def test_the_window_slides_and_retry_after_says_when_a_place_frees(monkeypatch):
    assert isinstance(caches["default"], ResilientRedisCache)
    clock = [1_000.0]
    throttle = _throttle(monkeypatch, "3/min", clock)
    for t in (1_000.0, 1_001.0, 1_002.0):
        clock[0] = t
        assert throttle.allow_request(_request(7), None)
    clock[0] = 1_059.0
    assert not throttle.allow_request(_request(7), None)
    assert throttle.wait() == pytest.approx(1.0)  # the first request leaves the window at 1,060
    assert throttle.allow_request(_request(8), None)  # another user counts apart
    clock[0] = 1_060.0
    assert throttle.allow_request(_request(7), None)  # 1,000 has left (as DRF: a time at the edge is out)
    assert not throttle.allow_request(_request(7), None)
    assert throttle.wait() == pytest.approx(1.0)  # 1,001 leaves next


@needs_redis
def test_parallel_requests_cannot_pass_the_limit_together(monkeypatch):
    _throttle(monkeypatch, "5/min")
    start, results = threading.Barrier(20), []

    def hit():
        throttle = UserRateThrottle()
        start.wait()
        results.append(throttle.allow_request(_request(99), None))

    threads = [threading.Thread(target=hit) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results.count(True) == 5 and results.count(False) == 15


@needs_redis
def test_the_api_answers_429_with_retry_after(monkeypatch, api, cast, db):
    _throttle(monkeypatch, "2/min")
    client = api(cast["manager_de"])
    codes = [client.get("/api/v1/org-units/").status_code for _ in range(3)]
    assert codes == [200, 200, 429]
    refused = client.get("/api/v1/org-units/")
    assert refused.status_code == 429 and 55 <= int(refused["Retry-After"]) <= 60
    assert api(cast["leader"]).get("/api/v1/org-units/").status_code == 200


@needs_redis
def test_redis_unreachable_lets_requests_through(monkeypatch, settings):
    settings.CACHES = {"default": {**settings.CACHES["default"], "LOCATION": "redis://127.0.0.1:1/0",
                                   "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2}}}
    throttle = _throttle(monkeypatch, "1/min")
    assert all(throttle.allow_request(_request(5), None) for _ in range(3))


@needs_redis
def test_a_zero_rate_refuses_everything_with_retry_after(monkeypatch):
    """``0/min`` (an operator switching an endpoint off) refuses, as DRF does, instead of failing."""
    throttle = _throttle(monkeypatch, "0/min")
    assert not throttle.allow_request(_request(3), None)
    assert throttle.wait() == pytest.approx(60.0)


def test_a_made_up_forwarded_for_header_is_not_a_new_client(api, manager_de, monkeypatch, db):
    """The token endpoint's per-address limit counts the peer address (as sign-in lockouts do),
    not an ``X-Forwarded-For`` the client chose: DRF's ``get_ident`` trusted it without NUM_PROXIES."""
    from governance.api.throttling import ScopedRateThrottle

    monkeypatch.setitem(ScopedRateThrottle.THROTTLE_RATES, "auth-token", "2/min")
    client = api()
    codes = [client.post("/api/v1/auth/token/", {"username": "max.de", "password": "pw-max.de"}, format="json",
                         REMOTE_ADDR="203.0.113.10", HTTP_X_FORWARDED_FOR=f"198.51.100.{i}").status_code
             for i in range(4)]
    assert codes == [200, 200, 429, 429]
    other = client.post("/api/v1/auth/token/", {"username": "max.de", "password": "pw-max.de"}, format="json",
                        REMOTE_ADDR="203.0.113.11")
    assert other.status_code == 200


def test_without_redis_drfs_own_counting_runs(monkeypatch, settings):
    """``make run`` without Redis: the file (here: local memory) cache, DRF's code, the same answers."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    clock = [500.0]
    throttle = _throttle(monkeypatch, "2/min", clock)
    assert throttle.allow_request(_request(4), None) and throttle.allow_request(_request(4), None)
    clock[0] = 530.0
    assert not throttle.allow_request(_request(4), None)
    assert throttle.wait() == pytest.approx(30.0)
