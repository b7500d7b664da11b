"""Test settings: the production settings with fast hashing, on whatever this machine has.

* PostgreSQL: ``DATABASE_URL`` if set; else the server on 127.0.0.1:5432 if one listens there;
  else the embedded PostgreSQL under ``var/postgres`` (``governance.embedded_pg``), so the suite
  runs on a bare machine with only Python. Same dialect on every path.
* Celery broker: ``REDIS_URL`` if set; else Redis on 127.0.0.1:6379 if it answers; else Celery's
  filesystem broker (tests that need Redis itself skip, saying so).

``ACCORD_TEST_PG_HOST``/``ACCORD_TEST_PG_PORT`` and ``ACCORD_TEST_REDIS_HOST``/``ACCORD_TEST_REDIS_PORT``
move those probes (e.g. to a closed port, to try the bare-machine path on a machine that has both).
Security stays on (guardian backend, CSRF, scoping); only costs that tests cannot afford change.
"""

import os
import socket


def _listening(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


if "DATABASE_URL" not in os.environ:
    _pg = os.environ.get("ACCORD_TEST_PG_HOST", "127.0.0.1"), int(os.environ.get("ACCORD_TEST_PG_PORT", "5432"))
    if _listening(*_pg):
        os.environ["DATABASE_URL"] = f"postgres://postgres@{_pg[0]}:{_pg[1]}/accord"
if "REDIS_URL" not in os.environ:
    _redis = (os.environ.get("ACCORD_TEST_REDIS_HOST", "127.0.0.1"),
              int(os.environ.get("ACCORD_TEST_REDIS_PORT", "6379")))
    os.environ["REDIS_URL"] = f"redis://{_redis[0]}:{_redis[1]}/0" if _listening(*_redis) else ""
os.environ.setdefault("DJANGO_DEBUG", "0")
os.environ.setdefault("DJANGO_SECRET_KEY", "accord-test-secret-key-not-for-production-0123456789abcdef")
os.environ.setdefault("DJANGO_SECURE_SSL_REDIRECT", "0")
os.environ.setdefault("DJANGO_SECURE_COOKIES", "0")
os.environ.setdefault("ACCORD_THROTTLE_ANON", "100000/min")
os.environ.setdefault("ACCORD_THROTTLE_USER", "100000/min")
os.environ.setdefault("ACCORD_THROTTLE_TOKEN", "100000/min")  # tests/security pins the real rate

from governance.settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# A test's writes are never committed: the dashboard's data version is bumped when they are made
# instead of at a commit (kpis.services.data_version).
ACCORD_DASHBOARD_VERSIONS_AT_ONCE = True
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
ALLOWED_HOSTS = ["*"]
