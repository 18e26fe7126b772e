"""Django settings. Every value that varies between installs comes from switchboard.env."""
from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.management.utils import get_random_secret_key

from switchboard import env

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(env.DATA_DIR) if env.DATA_DIR else BASE_DIR / "var"
DATA_DIR.mkdir(parents=True, exist_ok=True)


def _secret_key() -> str:
    # A fresh checkout needs no configuration: keep a generated key beside the SQLite file.
    if env.SECRET_KEY:
        return env.SECRET_KEY
    path = DATA_DIR / "secret_key"
    if not path.exists():
        path.write_text(get_random_secret_key())
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = env.DEBUG
ALLOWED_HOSTS = env.ALLOWED_HOSTS
CSRF_TRUSTED_ORIGINS = env.CSRF_TRUSTED_ORIGINS

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "channels",
    "dashboard",
]

# Django's own (and django-csp's) with their hooks on the event loop, and WhiteNoise able to run there too:
# no thread hop per middleware and request (switchboard/middleware.py).
MIDDLEWARE = [
    "switchboard.middleware.SecurityMiddleware",
    "switchboard.staticfiles.AsyncWhiteNoiseMiddleware",
    "switchboard.middleware.SessionMiddleware",
    "switchboard.middleware.CommonMiddleware",
    "switchboard.middleware.CsrfViewMiddleware",
    "switchboard.middleware.AuthenticationMiddleware",
    "switchboard.middleware.MessageMiddleware",
    "switchboard.middleware.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "switchboard.urls"
ASGI_APPLICATION = "switchboard.asgi.application"

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

if env.DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(env.DATABASE_URL, conn_max_age=0)}
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        # Under ASGI each sync request runs in a thread of its own: connections kept per thread piled up until
        # PostgreSQL refused more (bench/NOTES.md), and a new one per request costs more than the request.
        # Django 5.2's pool (psycopg_pool) lends one for the request and takes it back.
        DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {"min_size": 2, "max_size": env.DATABASE_POOL_SIZE,
                                                                  "timeout": 10}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": DATA_DIR / "db.sqlite3",
            # Several threads write the audit log at once; wait for the lock instead of failing.
            # WAL with synchronous=NORMAL: a commit is not fsynced (a power cut may lose the last ones; a crashed
            # process loses nothing), which makes an audit row cost microseconds instead of a disk flush.
            "OPTIONS": {"timeout": 20, "transaction_mode": "IMMEDIATE",
                        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL"},
            # A file, not Django's in-memory test database: the live runner writes audit entries from
            # its own thread, and shared-cache memory databases lock tables instead of waiting.
            "TEST": {"NAME": DATA_DIR / "test-db.sqlite3"},
        }
    }

if env.REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [env.REDIS_URL], "prefix": env.REDIS_PREFIX, "capacity": 1000, "expiry": 30},
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
STATIC_ROOT.mkdir(exist_ok=True)  # WhiteNoise warns at every start when it is missing
# Serve straight from STATICFILES_DIRS so `make run` needs no collectstatic step.
WHITENOISE_USE_FINDERS = True

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "login"

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # the page's script reads it to send X-CSRFToken
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first so that an unauthenticated script gets 401 with WWW-Authenticate: Token.
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # JSON bodies only: a form cannot carry the typed values (integers, booleans, lists) the API takes.
    "DEFAULT_PARSER_CLASSES": ["dashboard.inputs.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "dashboard.api.errors.exception_handler",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Switchboard API",
    "DESCRIPTION": "Live control of Asterisk channels through ARI.",
    "VERSION": "1.0.0",
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    # Swagger UI's files come from the sidecar package: no CDN, works offline.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Several parameters share a name ("direction") with other choices, one set of choices serves two names.
    "ENUM_NAME_OVERRIDES": {
        "MuteDirectionEnum": "ari_bridge.operations.MUTE_DIRECTIONS",
        "SnoopDirectionEnum": "ari_bridge.operations.SNOOP_DIRECTIONS",
        "ExternalMediaDirectionEnum": "ari_bridge.operations.EXTERNAL_MEDIA_DIRECTIONS",
    },
}

# ---------------------------------------------------------------- security (docs/security.md)
SECURITY = env.security()

# Behind a TLS-terminating proxy; all off for the loopback demo, which has no TLS.
SESSION_COOKIE_SECURE = SECURITY.session_cookie_secure
CSRF_COOKIE_SECURE = SECURITY.csrf_cookie_secure
SECURE_PROXY_SSL_HEADER = SECURITY.proxy_ssl_header
SECURE_SSL_REDIRECT = SECURITY.ssl_redirect
SECURE_HSTS_SECONDS = SECURITY.hsts_seconds
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURITY.hsts_include_subdomains
SECURE_HSTS_PRELOAD = SECURITY.hsts_preload
SECURE_REFERRER_POLICY = "same-origin"

# No inline script or style anywhere: templates pass data with json_script, behaviour lives in static/.
# Swagger UI runs from the sidecar's files (SpectacularSwaggerSplitView keeps its set-up out of the page).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],  # also the same-origin live WebSocket
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}

# django-axes: lock out after repeated wrong passwords, per user (from anywhere) and per address
# (for any user name); `manage.py axes_reset` lifts every lockout at once.
INSTALLED_APPS.insert(INSTALLED_APPS.index("dashboard"), "axes")  # before ours: audit sees its verdict
INSTALLED_APPS.append("csp")
MIDDLEWARE += ["switchboard.middleware.CSPMiddleware", "axes.middleware.AxesMiddleware"]  # axes last, as it asks
AUTHENTICATION_BACKENDS = ["dashboard.signins.LockoutBackend", "django.contrib.auth.backends.ModelBackend"]
AXES_FAILURE_LIMIT = SECURITY.login_failure_limit
AXES_COOLOFF_TIME = timedelta(minutes=SECURITY.login_lockout_minutes)
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
# The lock ends a fixed time after it began: attempts while locked do not prolong it (nor count).
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_LOCKOUT_CALLABLE = "dashboard.signins.lockout_response"
# The address is REMOTE_ADDR: behind a proxy, uvicorn puts the client's there from X-Forwarded-For when
# the proxy is trusted (FORWARDED_ALLOW_IPS; README, Production deployment).
AXES_VERBOSE = False  # the audit log records every attempt (dashboard/signins.py)

# Scripts with an API token get a rate; the pages' own session calls are not counted.
REST_FRAMEWORK["DEFAULT_THROTTLE_CLASSES"] = ["dashboard.api.throttling.TokenRateThrottle"]
REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] = {"token": SECURITY.api_token_rate}
if env.REDIS_URL:
    # Throttle counts shared by every worker (the default cache is per process).
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": env.REDIS_URL,
                          "KEY_PREFIX": env.REDIS_PREFIX}}

# Live sockets re-check their session or token this often (expiry, changes made behind Django's back);
# logout and role changes close them at once (dashboard/authstate.py).
LIVE_AUTH_RECHECK_SECONDS = SECURITY.live_auth_recheck_seconds

ARI_SERVERS = env.ari_servers()
ARI_LISTENER = env.ARI_LISTENER
REDIS_URL = env.REDIS_URL
REDIS_PREFIX = env.REDIS_PREFIX
LIVE_FLUSH_MS = env.LIVE_FLUSH_MS
LIVE_RECONCILE_SECONDS = env.LIVE_RECONCILE_SECONDS
STUCK_RULES = env.stuck_rules()
CLICK_TO_CALL_CONTEXT = env.CLICK_TO_CALL_CONTEXT
CLICK_TO_CALL_SERVER = env.CLICK_TO_CALL_SERVER
CLICK_TO_CALL_AGENT_RING_SECONDS = env.CLICK_TO_CALL_AGENT_RING_SECONDS
CLICK_TO_CALL_DEST_RING_SECONDS = env.CLICK_TO_CALL_DEST_RING_SECONDS
MONITOR_RING_SECONDS = env.MONITOR_RING_SECONDS
MONITOR_VISIBLE_TO_AGENTS = env.MONITOR_VISIBLE_TO_AGENTS
ROUTER_RING_SECONDS = env.ROUTER_RING_SECONDS
ROUTER_ANSWER_FIRST = env.ROUTER_ANSWER_FIRST
WALLBOARD_HIDE = env.WALLBOARD_HIDE
DIAL_RULES = env.dial_rules()

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {
        # A refused request (4xx) is the API doing its job, and the audit log has it; a 5xx still prints.
        "django.request": {"level": "ERROR"},
        "switchboard": {"level": "INFO"},
        "dashboard": {"level": "INFO"},
        "dashboard.audit": {"level": "WARNING"},  # the audit log is in the database, not the console
        "ari_bridge": {"level": "INFO"},
    },
}
