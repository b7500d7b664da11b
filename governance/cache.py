"""The shared cache: Redis, failing open while Redis is unreachable.

Login limits and API throttles count in the cache so that every web worker (and host) sees the
same counts. When Redis is down the application keeps serving (tests/reliability/test_redis_down):
each cache operation then answers as if the key were absent (a read gives the default, a write
is skipped, an increment gives 0), so the throttles and the per-address sign-in limit pause
during the outage while django-axes' (username, address) lockout, kept in the database, still
holds. The failure is logged, at most once a minute per process.
"""

from __future__ import annotations

import functools
import logging
import os
import time

import redis
from django.core.cache.backends.redis import RedisCache, RedisCacheClient

log = logging.getLogger("accord.cache")
_last_warning = 0.0


def _warn(operation: str, exc: Exception) -> None:
    global _last_warning
    if time.monotonic() - _last_warning > 60:
        _last_warning = time.monotonic()
        log.warning("cache unavailable, %s skipped (failing open): %s", operation, exc)


def _fail_open(default):
    def decorate(method):
        @functools.wraps(method)
        def wrapper(self, *args, **kwargs):
            try:
                return method(self, *args, **kwargs)
            except (self._lib.exceptions.ConnectionError, self._lib.exceptions.TimeoutError) as exc:
                _warn(method.__name__, exc)
                return default(*args) if callable(default) else default
        return wrapper
    return decorate


class ResilientRedisCacheClient(RedisCacheClient):
    """Fails open (above) and keeps one ``redis.Redis`` client per connection pool: Django's client
    builds a new one for every operation, and ``Redis.__init__`` fills its table of ~170 response
    callbacks each time, on every cache call (an API request's throttle makes two; cost:
    docs/benchmarks.md#figures-behind-code-comments).
    A ``Redis`` client is thread-safe; the pool hands each command a connection of its own."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        index = self._get_connection_pool_index(write)
        client = self._clients.get(index)
        if client is None:
            client = self._clients[index] = self._client(connection_pool=self._get_connection_pool(write))
        return client

    add = _fail_open(False)(RedisCacheClient.add)
    get = _fail_open(lambda key, default: default)(RedisCacheClient.get)
    set = _fail_open(None)(RedisCacheClient.set)
    touch = _fail_open(False)(RedisCacheClient.touch)
    delete = _fail_open(False)(RedisCacheClient.delete)
    get_many = _fail_open({})(RedisCacheClient.get_many)
    has_key = _fail_open(False)(RedisCacheClient.has_key)
    incr = _fail_open(0)(RedisCacheClient.incr)
    set_many = _fail_open(None)(RedisCacheClient.set_many)
    delete_many = _fail_open(None)(RedisCacheClient.delete_many)


# One request against a sliding window (the times of the requests kept in a sorted set): drop the
# times that left the window, then refuse if the window is full (with the oldest time: when a place
# frees up) or add this one. Atomic in Redis, so workers racing on one key cannot both take its last
# place. Returns {allowed (1/0), requests in the window, oldest time in it (a full window only)}.
_SLIDING_WINDOW = """
local key, now, window, limit = KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
local count = redis.call('ZCARD', key)
if count >= limit then
  return {0, count, redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')[2] or false}  -- none at a limit of 0
end
redis.call('ZADD', key, now, ARGV[4])
redis.call('EXPIRE', key, math.ceil(window))
return {1, count + 1, false}
"""


class ResilientRedisCache(RedisCache):
    """Django's Redis cache backend with :class:`ResilientRedisCacheClient`."""

    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = ResilientRedisCacheClient
        self._sliding_window = None

    def sliding_window_hit(self, key: str, *, now: float, window: float, limit: int) -> tuple[bool, int, float | None]:
        """Count a request at ``now`` under ``key`` if fewer than ``limit`` were counted in the
        ``window`` seconds before it, in one atomic round trip. Returns (allowed, requests in the
        window, the oldest one's time when refused). Fails open, as the other operations do."""
        client = self._cache.get_client(write=True)
        if self._sliding_window is None:
            self._sliding_window = client.register_script(_SLIDING_WINDOW)
        try:
            allowed, count, oldest = self._sliding_window(
                keys=[self.make_and_validate_key(f"{key}:window")],
                args=[repr(now), repr(window), limit, f"{now!r}:{os.urandom(6).hex()}"], client=client)
        except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError) as exc:
            _warn("sliding_window_hit", exc)
            return True, 0, None
        return bool(allowed), int(count), float(oldest) if oldest else None
