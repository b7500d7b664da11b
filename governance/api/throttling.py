"""The API's rate limits: DRF's throttles, counted atomically in Redis in one round trip.

DRF's ``SimpleRateThrottle`` reads the caller's list of request times from the cache, prunes it and
writes it back: two round trips and the whole list unpickled and pickled on every API call (~10% of
a small call's CPU, issue 22), and not atomic — requests racing on several workers each read the
same list, so together they could pass the limit. With the shared Redis cache these count in a
sorted set under one atomic script (``ResilientRedisCache.sliding_window_hit``): the same sliding
window, rate strings and ``Retry-After`` as DRF's, and when Redis is unreachable they fail open as
before. With any other cache (``make run`` without Redis) DRF's own code counts. Either way a client
is known by its address as sign-in limits know it (``REMOTE_ADDR``), never by a header it sends.
"""

from __future__ import annotations

from django.core.cache import DEFAULT_CACHE_ALIAS, caches
from rest_framework import throttling

from governance.cache import ResilientRedisCache
from governance.security import client_ip


def _shared_redis() -> ResilientRedisCache | None:
    backend = caches[DEFAULT_CACHE_ALIAS]  # DRF's throttles count in the default cache
    return backend if isinstance(backend, ResilientRedisCache) else None


class AtomicRateMixin:
    """For a DRF ``SimpleRateThrottle`` subclass (``rate``, ``get_cache_key``, ``duration``, …)."""

    _atomic = False

    def allow_request(self, request, view) -> bool:
        redis = _shared_redis()
        if redis is None or self.rate is None:  # type: ignore[attr-defined]
            return super().allow_request(request, view)  # type: ignore[misc]
        self.key = self.get_cache_key(request, view)  # type: ignore[attr-defined]
        if self.key is None:
            return True
        self.now = self.timer()  # type: ignore[attr-defined]
        self._atomic = True
        allowed, self._count, self._oldest = redis.sliding_window_hit(
            self.key, now=self.now, window=self.duration, limit=self.num_requests)  # type: ignore[attr-defined]
        return allowed

    def get_ident(self, request) -> str:
        """The client's address as everywhere else (``governance.security.client_ip``: REMOTE_ADDR,
        which the proxy sets). DRF's own reads ``X-Forwarded-For`` from the client when
        ``NUM_PROXIES`` is unset, so each new made-up header was a fresh count."""
        return client_ip(request) or ""

    def wait(self) -> float | None:
        """DRF's estimate: the time until the oldest request leaves the window, shared among the
        places that frees (one, when the window is full)."""
        if not self._atomic:
            return super().wait()  # type: ignore[misc]
        remaining = self.duration - (self.now - self._oldest) if self._oldest is not None else self.duration  # type: ignore[attr-defined]
        available = self.num_requests - self._count + 1  # type: ignore[attr-defined]
        return remaining / available if available > 0 else None


class UserRateThrottle(AtomicRateMixin, throttling.UserRateThrottle):
    pass


class AnonRateThrottle(AtomicRateMixin, throttling.AnonRateThrottle):
    pass


class ScopedRateThrottle(AtomicRateMixin, throttling.ScopedRateThrottle):
    def allow_request(self, request, view) -> bool:
        # DRF's ScopedRateThrottle.allow_request: the view's scope picks the rate; then the count.
        self.scope = getattr(view, self.scope_attr, None)
        if not self.scope:
            return True
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)
