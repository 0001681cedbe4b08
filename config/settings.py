"""Settings, read from the environment in this one place.

Unset variables give the embedded default (SQLite, eager tasks, in-memory
channel layer, console email); set ones switch on the real services. The
variable names are the team's agreement in DESIGN.md.
"""

import base64
import hashlib
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
# A developer's .env (made from .env.example by `make install`); variables already set win.
if (BASE_DIR / ".env").is_file():
    environ.Env.read_env(BASE_DIR / ".env")

DEVELOPMENT_SECRET_KEY = "development-only-secret-key-never-use-in-production"

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY", default=DEVELOPMENT_SECRET_KEY if DEBUG else "")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"] if DEBUG else [])
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")
REDIS_URL = env.str("REDIS_URL", default="")


def _refuse_unsafe_production_settings() -> None:
    """With DEBUG off, development values would be a security hole: stop at start-up."""
    problems = []
    if not SECRET_KEY or SECRET_KEY == DEVELOPMENT_SECRET_KEY or len(SECRET_KEY) < 40:
        problems.append("SECRET_KEY must be set to a random value of at least 40 characters")
    if not ALLOWED_HOSTS:
        problems.append("ALLOWED_HOSTS must list the host names this site answers to")
    if not env.str("FIELD_ENCRYPTION_KEY", default=""):
        problems.append("FIELD_ENCRYPTION_KEY must be set (it encrypts integration credentials)")
    if problems:
        raise ImproperlyConfigured(
            "Refusing to start with DEBUG off: " + "; ".join(problems) + ". Set DEBUG=1 for local development."
        )


if not DEBUG:
    _refuse_unsafe_production_settings()

INSTALLED_APPS = [
    # accounts first: its management commands (migrate with the RLS bypass)
    # take precedence over Django's own.
    "accounts",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    # Before staticfiles: runserver (the embedded default) then serves websockets too.
    "daphne",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "allauth",
    "allauth.account",
    "anymail",
    "djstripe",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "django_celery_beat",
    "health_check",
    "crm",
    "inbox",
    "scheduling",
    "billing",
    "assistant",
    "analytics",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Outside everything that queries the database (sessions, tenancy).
    "config.middleware.DatabaseUnavailableMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.middleware.TenancyResetMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

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
            ],
        },
    },
]

# Database: PostgreSQL when DATABASE_URL is set, a SQLite file otherwise.
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"].setdefault("OPTIONS", {})
    # Contact search matches words with a typo or two (pg_trgm's default of 0.6 misses "Jonh").
    DATABASES["default"]["OPTIONS"]["options"] = (
        "-c pg_trgm.word_similarity_threshold=0.4 -c pg_trgm.similarity_threshold=0.3"
    )
    # Persistent connections by default: each server thread keeps its own for CONN_MAX_AGE
    # seconds. psycopg's pool (DATABASE_POOL=1) bounds them per process instead, but costs
    # about a millisecond of CPU a request to hand out and check, and after the database
    # drops its connections it backs off for seconds before it has good ones again.
    if env.bool("DATABASE_POOL", default=False):
        # The pool and CONN_MAX_AGE exclude each other.
        DATABASES["default"]["OPTIONS"]["pool"] = {
            "min_size": env.int("DATABASE_POOL_MIN", default=1),
            "max_size": env.int("DATABASE_POOL_MAX", default=10),
            "timeout": env.int("DATABASE_POOL_TIMEOUT", default=10),
        }
    else:
        DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    # A connection kept from before is checked before it serves a request (the
    # pool checks it as it hands it out): one the database dropped, in a restart
    # or a failover, is replaced instead of failing the request.
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
USES_POSTGRESQL = DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "sesame.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "signed-in"
LOGOUT_REDIRECT_URL = "login"

# Magic links (django-sesame): short-lived and spent by the sign-in they give.
SESAME_MAX_AGE = env.int("MAGIC_LINK_MAX_AGE", default=15 * 60)
SESAME_ONE_TIME = True
SESAME_TOKEN_NAME = "sesame"
# How many magic links may be asked for, per email and per client address.
MAGIC_LINK_RATE_PER_EMAIL = env.str("MAGIC_LINK_RATE_PER_EMAIL", default="5/h")
MAGIC_LINK_RATE_PER_IP = env.str("MAGIC_LINK_RATE_PER_IP", default="30/h")
CHECKOUT_RATE_PER_IP = env.str("CHECKOUT_RATE_PER_IP", default="20/h")
RATELIMIT_USE_CACHE = "default"
# Behind a proxy the client's address is in a header the proxy sets, e.g. HTTP_X_REAL_IP.
RATELIMIT_IP_META_KEY = env.str("RATELIMIT_IP_META_KEY", default="") or None

# django-allauth is the account framework: email addresses, sessions, and login
# by emailed code as the fallback to magic links. Accounts come from checkout,
# so nobody signs up here.
ACCOUNT_ADAPTER = "accounts.adapters.AccountAdapter"
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*"]
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_LOGIN_BY_CODE_ENABLED = True
ACCOUNT_UNIQUE_EMAIL = True
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
MEDIA_URL = "media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# Request size: a body above this is refused with a 400 before it is parsed.
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=2 * 1024 * 1024)

# Cache, Celery and the channel layer: Redis when REDIS_URL is set.
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels_redis.core.RedisChannelLayer", "CONFIG": {"hosts": [REDIS_URL]}}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=not REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_TASK_DEFAULT_QUEUE", default="celery")
# A task is acknowledged only once it finished, so a worker that dies mid-task
# leaves it to run again; tasks are written to be safe to run twice.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# A task taken by a worker that then died (killed, out of memory, its machine
# gone), or whose acknowledgement was lost with its Redis connection, goes back
# to the queue this long after it was taken. It must exceed the longest task and
# the longest retry delay, or a task still running or waiting for its retry is
# handed to a second worker.
_visibility_timeout = env.int("CELERY_VISIBILITY_TIMEOUT_SECONDS", default=3600)
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": _visibility_timeout,
    # Workers look for such tasks every 10 s (or sooner with a shorter timeout);
    # kombu's default looks only every tenth time, about every 100 s.
    "unacked_restore_interval": min(10, _visibility_timeout),
    "unacked_restore_throttle": 1,
}
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TIMEZONE = TIME_ZONE
# Periodic work; beat copies these into django-celery-beat's tables, where the admin can change them.
CELERY_BEAT_SCHEDULE = {
    "prune-idempotency-keys": {"task": "accounts.tasks.idempotency_records_prune", "schedule": 60 * 60},
    "purge-deleted-contacts": {"task": "crm.tasks.contacts_purge_deleted", "schedule": 24 * 60 * 60},
    "refresh-external-calendars": {"task": "scheduling.tasks.external_calendars_refresh", "schedule": 30 * 60},
    "book-recurring-visits": {"task": "scheduling.tasks.recurring_jobs_extend", "schedule": 24 * 60 * 60},
    "recheck-integrations": {"task": "inbox.tasks.integrations_recheck", "schedule": 6 * 60 * 60},
    "poll-mailboxes": {"task": "inbox.tasks.mailboxes_poll", "schedule": 60},
}

# External calendars are never fetched from private or loopback addresses, so a business
# cannot make the server read its own network; tests turn this on to reach local fakes.
CALENDAR_FETCH_PRIVATE_ADDRESSES = env.bool("CALENDAR_FETCH_PRIVATE_ADDRESSES", default=False)

# Email: printed to the console unless a backend is configured.
EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Bizbox <hello@bizbox.localhost>")
# The first retry of a failed send waits about this long; each next one twice as long.
EMAIL_RETRY_BACKOFF_SECONDS = env.int("EMAIL_RETRY_BACKOFF_SECONDS", default=30)
ANYMAIL = {key[len("ANYMAIL_") :]: value for key, value in env.ENVIRON.items() if key.startswith("ANYMAIL_")}

# Outside services; each is off while its keys are unset.
STRIPE_SECRET_KEY = env.str("STRIPE_SECRET_KEY", default="")
STRIPE_PUBLISHABLE_KEY = env.str("STRIPE_PUBLISHABLE_KEY", default="")
if env.str("STRIPE_API_HOST", default=""):
    # Only when set: dj-stripe points the stripe library here whenever the setting exists.
    STRIPE_API_HOST = env.str("STRIPE_API_HOST")
STRIPE_WEBHOOK_SECRET = env.str("STRIPE_WEBHOOK_SECRET", default="")
STRIPE_LIVE_MODE = STRIPE_SECRET_KEY.startswith("sk_live_")
STRIPE_PRICE_IDS = dict(pair.split(":", 1) for pair in env.list("STRIPE_PRICE_IDS", default=[]) if ":" in pair)
# dj-stripe keeps our own subscription's Stripe objects; webhooks are verified,
# stored, then processed by a worker so the endpoint answers at once (billing.views).
DJSTRIPE_FOREIGN_KEY_TO_FIELD = "id"
DJSTRIPE_USE_NATIVE_JSONFIELD = True
TWILIO_ACCOUNT_SID = env.str("TWILIO_ACCOUNT_SID", default="")
TWILIO_AUTH_TOKEN = env.str("TWILIO_AUTH_TOKEN", default="")
TWILIO_API_BASE = env.str("TWILIO_API_BASE", default="")
META_APP_SECRET = env.str("META_APP_SECRET", default="")
META_VERIFY_TOKEN = env.str("META_VERIFY_TOKEN", default="")
META_GRAPH_URL = env.str("META_GRAPH_URL", default="https://graph.facebook.com")
# The inbox: the platform's inbound email domain (each business gets <slug>@ it), outbound
# retries (the first waits about this long, each next one twice as long), attachment copies.
INBOX_EMAIL_DOMAIN = env.str("INBOX_EMAIL_DOMAIN", default="inbound.bizbox.localhost")
INBOX_SEND_MAX_RETRIES = env.int("INBOX_SEND_MAX_RETRIES", default=5)
INBOX_SEND_RETRY_BACKOFF_SECONDS = env.int("INBOX_SEND_RETRY_BACKOFF_SECONDS", default=10)
INBOX_ATTACHMENT_MAX_BYTES = env.int("INBOX_ATTACHMENT_MAX_BYTES", default=10 * 1024 * 1024)
OPENAI_API_KEY = env.str("OPENAI_API_KEY", default="")
OPENAI_BASE_URL = env.str("OPENAI_BASE_URL", default="")
OPENAI_MODEL = env.str("OPENAI_MODEL", default="gpt-4o-mini")


def _development_encryption_key() -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(SECRET_KEY.encode()).digest()).decode()


FIELD_ENCRYPTION_KEY = env.str("FIELD_ENCRYPTION_KEY", default="") or _development_encryption_key()

# REST API conventions (DESIGN.md, "API conventions").
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "config.api.pagination.CursorPagination",
    "DEFAULT_FILTER_BACKENDS": [
        "config.api.filters.FilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_PARSER_CLASSES": ["config.api.parsers.JSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "config.api.errors.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    "PAGE_SIZE": 50,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Bizbox API",
    "DESCRIPTION": "The API behind the Bizbox single-page app: one business (organization) per request.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "config.api.schema.document_errors",
    ],
    "ENUM_NAME_OVERRIDES": {
        "OnboardingStateEnum": "accounts.models.OnboardingState",
        "RoleEnum": "accounts.roles.Role",
        "JobStatusEnum": "scheduling.models.JobStatus",
        "BookingStatusEnum": "scheduling.models.BookingStatus",
        "NewBookingStatusEnum": "scheduling.api.serializers.NEW_BOOKING_STATUSES",
        "ImportStatusEnum": "crm.models.ImportStatus",
        "InboxChannelEnum": "inbox.models.Channel",
        "IntegrationKindEnum": "inbox.models.IntegrationKind",
        "IntegrationStatusEnum": "inbox.models.IntegrationStatus",
        "MessageStatusEnum": "inbox.models.MessageStatus",
        "MessageDirectionEnum": "inbox.models.Direction",
        "ThreadStatusEnum": "inbox.api.serializers.SHOWN_STATUSES",
    },
}


def _proxy_ssl_header() -> tuple[str, str] | None:
    """``HEADER:value`` naming how the proxy says a request came over HTTPS; empty when there is no proxy."""
    header, _, value = env.str("SECURE_PROXY_SSL_HEADER", default="HTTP_X_FORWARDED_PROTO:https").partition(":")
    return (header, value or "https") if header else None


# HTTPS: secure by default with DEBUG off (`manage.py check --deploy` passes), each
# setting changeable from the environment. Production ends TLS at a proxy, which must
# set X-Forwarded-Proto itself, overwriting whatever the client sent.
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_PROXY_SSL_HEADER = _proxy_ssl_header()
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
# The load balancer's health probe speaks plain HTTP inside the network.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 60 * 60 * 24 * 30)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=not DEBUG)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=not DEBUG)
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[SITE_URL])
SILENCED_SYSTEM_CHECKS = []
# The benchmarks' baseline views (bench/views.py); never on in production.
BENCH_BASELINES = env.bool("BENCH_BASELINES", default=False)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
}
