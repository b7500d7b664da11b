"""``GET /healthz``: the liveness probe of the image's HEALTHCHECK and of load balancers.

Answered by a middleware placed first, before host validation and the HTTPS redirect: the probe
comes from inside the container or the balancer, over plain HTTP, with whatever Host header it
has — ``ALLOWED_HOSTS`` and ``SECURE_SSL_REDIRECT`` protect users, not this. It says only "ok"
(200) when the database answers ``SELECT 1``, else "database unavailable" (503); no data, no
session, no cookie.
"""

import logging

from django.db import DatabaseError, connection
from django.http import HttpResponse

PATH = "/healthz"
log = logging.getLogger("accord.health")


class HealthCheckMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path != PATH or request.method not in ("GET", "HEAD"):
            return self.get_response(request)
        try:
            with connection.cursor() as cur:
                cur.execute("SELECT 1")
        except DatabaseError:
            log.warning("health check: the database does not answer", exc_info=True)
            return _plain("database unavailable\n", 503)
        return _plain("ok\n", 200)


def _plain(text: str, status: int) -> HttpResponse:
    response = HttpResponse(text, status=status, content_type="text/plain")
    response["Cache-Control"] = "no-store"
    return response
