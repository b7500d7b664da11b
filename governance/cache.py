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
import time

from django.core.cache.backends.redis import RedisCache, RedisCacheClient

log = logging.getLogger("accord.cache")
_last_warning = 0.0


def _fail_open(default):
    def decorate(method):
        @functools.wraps(method)
        def wrapper(self, *args, **kwargs):
            try:
                return method(self, *args, **kwargs)
            except (self._lib.exceptions.ConnectionError, self._lib.exceptions.TimeoutError) as exc:
                global _last_warning
                if time.monotonic() - _last_warning > 60:
                    _last_warning = time.monotonic()
                    log.warning("cache unavailable, %s skipped (failing open): %s", method.__name__, exc)
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


class ResilientRedisCache(RedisCache):
    """Django's Redis cache backend with :class:`ResilientRedisCacheClient`."""

    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = ResilientRedisCacheClient
