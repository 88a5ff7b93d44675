"""All settings, read from the environment with django-environ.

The embedded default (no variables set) runs on a SQLite file and kombu's filesystem broker in ./var, so
`make run` needs no server. Production sets ENVIRONMENT=production, DATABASE_URL (PostgreSQL), REDIS_URL and
real secrets; it refuses to start without them.
"""

from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False) if (BASE_DIR / ".env").exists() else None

ENVIRONMENT = env.str("ENVIRONMENT", default="development")
PRODUCTION = ENVIRONMENT == "production"
# Where the embedded default keeps its SQLite files, cache and broker. Settings create nothing: `make` targets,
# scripts/run.py and tests/conftest.py create this folder, and config/celery.py the broker's folders.
VAR_DIR = Path(env.str("VAR_DIR", default=str(BASE_DIR / "var")))

# Development-only placeholders. Production refuses them below, so they can never protect real data.
_DEV_SECRET_KEY = "dev-insecure-secret-key-not-for-production-0123456789abcdef"
_DEV_FERNET_KEY = "ZGV2LWluc2VjdXJlLWZlcm5ldC1rZXktMDEyMzQ1NiE="  # urlsafe base64 of 32 bytes

SECRET_KEY = env.str("SECRET_KEY", default=_DEV_SECRET_KEY)
DEBUG = env.bool("DEBUG", default=not PRODUCTION)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[] if PRODUCTION else ["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# The first key encrypts; every key decrypts, so keys rotate without downtime (see `manage.py secrets_rotate`).
SECRETS_FERNET_KEYS = env.list("SECRETS_FERNET_KEYS", default=[] if PRODUCTION else [_DEV_FERNET_KEY])

if PRODUCTION:
    if SECRET_KEY == _DEV_SECRET_KEY or len(SECRET_KEY) < 50:
        raise ImproperlyConfigured("Production needs SECRET_KEY set to a random value of at least 50 characters.")
    if not SECRETS_FERNET_KEYS or _DEV_FERNET_KEY in SECRETS_FERNET_KEYS:
        raise ImproperlyConfigured("Production needs SECRETS_FERNET_KEYS (comma-separated Fernet keys, newest first).")
    if not ALLOWED_HOSTS:
        raise ImproperlyConfigured("Production needs ALLOWED_HOSTS.")
    if DEBUG:
        raise ImproperlyConfigured("DEBUG must be off in production.")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "drf_spectacular",
    "axes",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "integrations",
    "actionkit",
    "actblue",
    "strive",
    "strive.activity",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "config.middleware.CorrelationIdMiddleware",
    "config.middleware.ApiJsonErrorsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "config.middleware.ContentSecurityPolicyMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
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
                "integrations.context_processors.current_entity",
                "integrations.context_processors.kind_nav",
            ]
        },
    }
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL and a busy timeout let web, worker and beat share one SQLite file without "database is locked".
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 30, "transaction_mode": "IMMEDIATE", "init_command": "PRAGMA journal_mode=WAL;PRAGMA synchronous=NORMAL;"}
    )
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test-db.sqlite3")}
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache", "LOCATION": str(VAR_DIR / "cache")}}

# Axes first, so a locked-out username+address is refused before any password is checked. allauth's backend is
# Django's ModelBackend plus login by email; its LoginForm passes the typed login as `username` too, which is the
# field axes counts by (https://django-axes.readthedocs.io/en/latest/6_integration.html).
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "allauth.account.auth_backends.AuthenticationBackend"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "account_login"

# Accounts (django-allauth). Signing up creates an organization; everyone else joins by an emailed invitation.
ACCOUNT_ADAPTER = "integrations.accounts.AccountAdapter"
ACCOUNT_FORMS = {"signup": "integrations.forms.OrganizationSignupForm"}
ACCOUNT_LOGIN_METHODS = {"username", "email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "username*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_EMAIL_NOTIFICATIONS = True  # Mail the owner when a password or email address changes.
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[AKbridge] "
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https" if PRODUCTION else "http"
# Failed logins are counted by axes alone (below), so there is one lockout policy; allauth's other limits stay.
ACCOUNT_RATE_LIMITS = {"login_failed": None}
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "AKbridge"
INVITATION_EXPIRY = timedelta(days=env.int("INVITATION_EXPIRY_DAYS", default=7))

# Brute-force protection: ASVS 2.2.1 allows at most 100 failures an hour; we lock a username+IP after 10 for 15 minutes.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=10)
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_ENABLED = env.bool("AXES_ENABLED", default=True)

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"  # Made by collectstatic (make run, the Dockerfile); tests/conftest.py makes it too.
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage" if PRODUCTION else "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'self'; object-src 'none'"
)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["integrations.api_auth.EntityApiKeyAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "integrations.api_errors.exception_handler",
    # DRF's defaults, with a JSON parser that refuses deep nesting as a 400 instead of a RecursionError 500.
    "DEFAULT_PARSER_CLASSES": ["integrations.parsers.JSONParser", "rest_framework.parsers.FormParser",
                               "rest_framework.parsers.MultiPartParser"],
}
SPECTACULAR_SETTINGS = {"TITLE": "ActionKit bridge API", "VERSION": "1", "SERVE_INCLUDE_SCHEMA": False}

# ActionKit hosts that may be reached over plain http on loopback ("host:port"), for the local sandbox only.
ACTIONKIT_INSECURE_HOSTS = env.list("ACTIONKIT_INSECURE_HOSTS", default=[])
# Those hosts may also be at a private address: only the compose demo, whose sandbox runs in a container of its own.
ACTIONKIT_INSECURE_ON_PRIVATE_NETWORK = env.bool("ACTIONKIT_INSECURE_ON_PRIVATE_NETWORK", default=False)
ACTIONKIT_TIMEOUT = (env.float("ACTIONKIT_CONNECT_TIMEOUT", default=5.0), env.float("ACTIONKIT_READ_TIMEOUT", default=30.0))
ACTIONKIT_DEFAULT_RECORDS_PER_MINUTE = env.int("ACTIONKIT_DEFAULT_RECORDS_PER_MINUTE", default=1000)
ACTIONKIT_MAX_CONCURRENT_PER_HOST = env.int("ACTIONKIT_MAX_CONCURRENT_PER_HOST", default=4)
METRICS_TOKEN = env.str("METRICS_TOKEN", default="" if PRODUCTION else "dev-metrics-token")
METRICS_CACHE_SECONDS = env.int("METRICS_CACHE_SECONDS", default=15)  # /metrics recomputes at most this often; 0: always.
# Dotted path of the class that sends Strive's SMS; empty means strive.activity.sms.outbox.OutboxBackend (no provider).
STRIVE_SMS_BACKEND = env.str("STRIVE_SMS_BACKEND", default="")
SANDBOX_PORT = env.int("SANDBOX_PORT", default=8001)  # The local ActionKit sandbox's port, as `make run` starts it.
# Mail to entity admins when an integration pauses. EMAIL_URL as django-environ reads it, e.g.
# smtp+tls://user:password@smtp.example.org:587; the embedded default prints mail to the process's output.
vars().update(env.email_url("EMAIL_URL", default="smtp://localhost:25" if PRODUCTION else "consolemail://"))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="AKbridge <noreply@localhost>")

# Delivery schedule. Every constant is configurable so multi-day behaviour runs in seconds in tests.
# Tries before a delivery is dead. With the backoff below, 24 tries span about 3.2 days (10 s doubling to a 6 h cap),
# so an ActionKit outage of a long weekend recovers on its own (Stripe retries for 3 days; see docs/operations.md).
DELIVERY_MAX_ATTEMPTS = env.int("DELIVERY_MAX_ATTEMPTS", default=24)
DELIVERY_BACKOFF_BASE_SECONDS = env.float("DELIVERY_BACKOFF_BASE_SECONDS", default=10.0)
DELIVERY_BACKOFF_MAX_SECONDS = env.float("DELIVERY_BACKOFF_MAX_SECONDS", default=6 * 3600.0)
DELIVERY_CLAIM_TIMEOUT_SECONDS = env.int("DELIVERY_CLAIM_TIMEOUT_SECONDS", default=300)  # A claim older than this is stuck.
# Sends one scheduler turn keeps in flight, each for a different connection (one connection's rows go out in order).
# Most of a send is waiting on the database, the limiter and ActionKit, so a few overlap well in one process.
DELIVERY_SENDS_IN_FLIGHT = env.int("DELIVERY_SENDS_IN_FLIGHT", default=4)
CONNECTION_ERROR_AFTER_FAILURES = env.int("CONNECTION_ERROR_AFTER_FAILURES", default=3)  # Consecutive failures.
# A connection failing without one success for this long is paused (Svix disables an endpoint after 5 days); new
# events then wait instead of using up their tries. Reconnecting resumes it. Any success resets the clock.
CONNECTION_PAUSE_AFTER_HOURS = env.float("CONNECTION_PAUSE_AFTER_HOURS", default=120.0)
SWEEP_INTERVAL_SECONDS = env.int("SWEEP_INTERVAL_SECONDS", default=60)
POLL_INTERVAL_SECONDS = env.int("POLL_INTERVAL_SECONDS", default=600)
# Seconds a task works before it hands over to a fresh task, so every worker slot frees up within seconds.
TASK_BUDGET_SECONDS = env.float("TASK_BUDGET_SECONDS", default=15.0)

# Celery. Embedded default: kombu's filesystem transport, so worker and beat are real processes with no server.
BROKER_DIR = VAR_DIR / "broker"
if REDIS_URL:
    CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL)
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
else:
    # The host means nothing to this transport, but without one kombu warns "No hostname was supplied" at every connect.
    CELERY_BROKER_URL = "filesystem://localhost//"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(BROKER_DIR / "in"),
        "data_folder_out": str(BROKER_DIR / "in"),
        "processed_folder": str(BROKER_DIR / "processed"),
        "store_processed": False,
        "control_folder": str(BROKER_DIR / "control"),
    }
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)

LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
# "text" (one readable line per record) is for a terminal; `make run` sets it. Production always logs JSON.
LOG_FORMAT = "json" if PRODUCTION else env.str("LOG_FORMAT", default="json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"correlation": {"()": "config.logging.CorrelationIdFilter"}},
    "formatters": {"json": {"()": "config.logging.JsonFormatter"}, "text": {"()": "config.logging.TextFormatter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT, "filters": ["correlation"]}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {"django.db.backends": {"level": "WARNING"}, "axes": {"level": "WARNING"}},
}
