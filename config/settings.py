"""Settings: everything comes from the environment, with embedded defaults for a laptop.

Embedded default: SQLite under var/, Redis at the URL the launcher hands over (REDIS_URL).
Production: DATABASE_URL, REDIS_URL, DJANGO_SECRET_KEY, DJANGO_ALLOWED_HOSTS, DJANGO_DEBUG=0.
"""

import os
from decimal import Decimal
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("CRISIS_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if not value:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


DEBUG = env_bool("DJANGO_DEBUG", True)

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off.")
    # Development only: a fixed key so sessions survive restarts of `make run`.
    SECRET_KEY = "dev-only-insecure-key-change-me-" + "x" * 32

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "django_htmx",
    "channels",
    # Ours, bottom layer first; each uses only the ones above it in this list (README, Architecture).
    "playbooks",
    "incidents.clock",
    "incidents.notify",
    "incidents.oncall",
    "incidents.contacts",
    "incidents",
    "incidents.complaints",
    "crisis.voice",
    "crisis.authority",
    "crisis.media",
    "crisis.reviews",
    "crisis",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "crisis.middleware.LoginRequiredEverywhere",
    "crisis.middleware.FriendlyErrors",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "crisis.context_processors.console",
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------------------------
DATABASE_URL = os.environ.get("DATABASE_URL", "")
# The ASGI server turns this on (config/asgi.py). Django runs each synchronous request of an ASGI
# server in a thread of its own, so a connection kept for reuse (CONN_MAX_AGE) stays behind with a
# thread that never comes back: under a burst PostgreSQL ran out of connections ("too many
# clients"; Django ticket #33497). A pool lends a connection per request and takes it back. Celery
# workers and commands keep long-lived connections, which their stable threads reuse.
DATABASE_POOL = env_bool("DATABASE_POOL", False)
if DATABASE_URL:
    DATABASES = {
        "default": dj_database_url.parse(
            DATABASE_URL, conn_max_age=0 if DATABASE_POOL else 60, conn_health_checks=not DATABASE_POOL
        )
    }
    if DATABASE_POOL and DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
            "min_size": 2,
            "max_size": int(os.environ.get("DATABASE_POOL_MAX", "20")),
            "timeout": 10,  # seconds a request waits for a free connection before it fails
        }
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.environ.get("SQLITE_PATH", str(VAR_DIR / "crisis.sqlite3")),
            # Keep connections (as for PostgreSQL): opening one costs more than most queries.
            "CONN_MAX_AGE": 60,
            "CONN_HEALTH_CHECKS": True,
            "OPTIONS": {
                # Writers take the lock when the transaction starts, so two writers never deadlock
                # upgrading a read lock; WAL lets readers (the board) run beside the writer.
                "transaction_mode": "IMMEDIATE",
                "timeout": 30,
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Auth ---------------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "crisis:board"
LOGOUT_REDIRECT_URL = "login"

# --- Internationalisation ----------------------------------------------------------------------
LANGUAGE_CODE = os.environ.get("DJANGO_LANGUAGE_CODE", "zh-hans")
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = os.environ.get("DJANGO_TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

# --- Static files -------------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
MEDIA_ROOT = VAR_DIR / "media"
# Without collectstatic (development, tests), serve straight from the apps' static folders.
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG

# --- Redis, Celery, Channels ---------------------------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")

CELERY_BROKER_URL = REDIS_URL
CELERY_TASK_IGNORE_RESULT = True
CELERY_RESULT_BACKEND = None
# Two queues: alarms (and the clock's periodic jobs) on the default one, outbound deliveries
# (e-mail, webhooks) on their own, served by their own worker, so a slow receiver never delays an alarm.
CELERY_TASK_DEFAULT_QUEUE = os.environ.get("CELERY_QUEUE", "crisis")
CELERY_DELIVERY_QUEUE = f"{CELERY_TASK_DEFAULT_QUEUE}-deliveries"
CELERY_TASK_ROUTES = {"notify.*": {"queue": CELERY_DELIVERY_QUEUE}, "outreach.*": {"queue": CELERY_DELIVERY_QUEUE}}
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = TIME_ZONE
# Timers never hand the broker an ETA further out than TIMER_ARM_HORIZON_SECONDS, far below the
# visibility timeout, so the Redis transport never redelivers a message that is merely waiting.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")

CHANNEL_LAYER_PREFIX = os.environ.get("CHANNEL_LAYER_PREFIX", "crisis")
CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        "CONFIG": {"hosts": [REDIS_URL], "prefix": CHANNEL_LAYER_PREFIX},
    }
}

# --- REST framework -------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "config.pagination.Pages",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "config.schema.ConsoleSchema",
    "EXCEPTION_HANDLER": "config.errors.api_exception_handler",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["config.parsers.StrictJSONParser"],
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Crisis console API",
    "DESCRIPTION": "第一时间 · 一个声音 · 一个指挥 — first hour, one voice, one commander.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # One name per choice set, so that clients generated from the schema read well.
    "ENUM_NAME_OVERRIDES": {
        "CrisisKindEnum": "playbooks.models.CrisisKind",
        "IncidentTransitionEnum": "incidents.models.TRANSITION_NAMES",
        "ResponseRoleEnum": "playbooks.models.Role",
        "TaskStateEnum": "incidents.models.TaskState",
        "DeadlineStateEnum": "incidents.models.DeadlineState",
        "PlaybookVersionStateEnum": "playbooks.models.VersionState",
        "IncidentStatusEnum": "incidents.models.Status",
        "StatementStateEnum": "crisis.voice.models.StatementState",
        "QALineStateEnum": "crisis.voice.models.QALineState",
        "TextLanguageEnum": "crisis.voice.models.TextLanguage",
        "ComplaintChannelEnum": "incidents.complaints.models.ComplaintChannel",
        "ComplaintStateEnum": "incidents.complaints.models.ComplaintState",
        "ComplaintDeadlineStateEnum": "incidents.complaints.models.ComplaintDeadlineState",
        "NotificationChannelEnum": "incidents.notify.models.Channel",
        "ReportChannelEnum": "incidents.models.ReportChannel",
        "DeadlineNatureEnum": "playbooks.models.DeadlineNature",
        "AuthorityReportKindEnum": "crisis.authority.models.ReportKind",
        "AuthorityReportStateEnum": "crisis.authority.models.ReportState",
        "ContactKindEnum": "incidents.contacts.models.ContactKind",
        "MediaKindEnum": "crisis.media.models.MediaKind",
    },
}

# --- Security -------------------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # the websocket module and htmx read the token from the page, not here
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG:
    SESSION_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", True)
    CSRF_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", True)
    SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    if env_bool("DJANGO_BEHIND_TLS_PROXY", False):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# --- E-mail -----------------------------------------------------------------------------------------
EMAIL_BACKEND = os.environ.get(
    "DJANGO_EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend" if DEBUG else "django.core.mail.backends.smtp.EmailBackend",
)
DEFAULT_FROM_EMAIL = os.environ.get("DJANGO_DEFAULT_FROM_EMAIL", "crisis-console@localhost")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# --- The console ------------------------------------------------------------------------------------
# Business hours on working days: working-day deadlines end at closing time, and customer
# call-backs are never scheduled outside these hours (quiet hours).
CRISIS_BUSINESS_HOURS = os.environ.get("CRISIS_BUSINESS_HOURS", "09:00-18:00")
# Filled into statement templates as {{ company }} and {{ hotline }}.
CRISIS_COMPANY_NAME = os.environ.get("CRISIS_COMPANY_NAME", "")
# No invented default: an unset hotline stays a visible gap (【服务热线】) in drafted statements, and
# nothing with a gap is published. The company profile in the admin wins over both settings.
CRISIS_HOTLINE = os.environ.get("CRISIS_HOTLINE", "")

# Every timeline entry's data is checked against its kind's schema as it is written (the
# TypedDicts in each app's entries.py, listed in the README); on in development and the tests.
CRISIS_CHECK_TIMELINE_PAYLOADS = env_bool("CRISIS_CHECK_TIMELINE_PAYLOADS", DEBUG)

# --- Timers -----------------------------------------------------------------------------------------
# Alarms due within this horizon get an ETA message at once; later ones are armed by the periodic
# arming job, so the broker never holds a message anywhere near its visibility timeout (1 hour).
CRISIS_TIMER_HORIZON_SECONDS = int(os.environ.get("CRISIS_TIMER_HORIZON_SECONDS", "300"))
# The sweep handles any alarm whose time has come and that nothing handled: this is the longest a
# lost worker or a purged queue can delay a reminder or a breach.
# The public information page (/public/): requests per address per window ("N/s", "N/m" or "N/h"), and
# how long a shared cache (a CDN) may keep an answer before revalidating it with the ETag.
CRISIS_PUBLIC_RATE = os.environ.get("CRISIS_PUBLIC_RATE", "300/m")
CRISIS_PUBLIC_MAX_AGE = int(os.environ.get("CRISIS_PUBLIC_MAX_AGE", "5"))
CRISIS_SWEEP_SECONDS = float(os.environ.get("CRISIS_SWEEP_SECONDS", "0.5"))
CRISIS_TASK_REMINDER_MINUTES = int(os.environ.get("CRISIS_TASK_REMINDER_MINUTES", "5"))
# How long a page waits for an acknowledgement before the next rung is paged, per severity, where
# no escalation policy row says otherwise (admins edit those).
CRISIS_PAGE_ACK_MINUTES = {1: 5, 2: 5, 3: 15, 4: 15}
CRISIS_NOTIFY_BACKOFF_SECONDS = float(os.environ.get("CRISIS_NOTIFY_BACKOFF_SECONDS", "10"))
CRISIS_NOTIFY_MAX_ATTEMPTS = int(os.environ.get("CRISIS_NOTIFY_MAX_ATTEMPTS", "8"))
CRISIS_WEBHOOK_TIMEOUT_SECONDS = float(os.environ.get("CRISIS_WEBHOOK_TIMEOUT_SECONDS", "5"))
# Django's debug pages instead of the console's "not found" / "something went wrong" (DEBUG only).
CRISIS_DEBUG_PAGES = env_bool("CRISIS_DEBUG_PAGES", False)
# Where people reach the console: links in chat robots' cards and in SMS.
CRISIS_BASE_URL = os.environ.get("CRISIS_BASE_URL", "http://127.0.0.1:8000")
# An HTTP SMS gateway for pages (README: "SMS"). Empty URL: no SMS.
CRISIS_SMS_GATEWAY_URL = os.environ.get("CRISIS_SMS_GATEWAY_URL", "")
CRISIS_SMS_GATEWAY_KEY = os.environ.get("CRISIS_SMS_GATEWAY_KEY", "")
CRISIS_SMS_SIGN_NAME = os.environ.get("CRISIS_SMS_SIGN_NAME", "")  # 短信签名, e.g. 某某地产
CRISIS_SMS_TEMPLATE = os.environ.get("CRISIS_SMS_TEMPLATE", "")  # the gateway's approved template code
# The groups a deadline rule can escalate to by name ("admins", "executives").
CRISIS_GROUP_ADMINS = "admins"
CRISIS_GROUP_EXECUTIVES = "executives"

# --- Complaints -------------------------------------------------------------------------------------
# The escalation ladder's groups, from the front line (level 0) to senior management (level 4).
CRISIS_COMPLAINT_LADDER_GROUPS = [
    "complaint_handlers",
    "business_managers",
    "branch_heads",
    "general_management",
    "senior_management",
]
# A promise of compensation above this amount (yuan) needs approval from the level above.
CRISIS_COMPLAINT_APPROVAL_ABOVE = Decimal(os.environ.get("CRISIS_COMPLAINT_APPROVAL_ABOVE", "5000"))
# The time limits themselves (2/3/5 working days, follow-up, reminders) are data: the time-limit
# profile in the admin (incidents.complaints.models.TimeLimitProfile).
CRISIS_COMPLAINT_MAX_ATTACHMENT_BYTES = int(os.environ.get("CRISIS_COMPLAINT_MAX_ATTACHMENT_BYTES", str(20 * 2**20)))

CELERY_BEAT_SCHEDULE = {
    "sweep-alarms": {
        "task": "clock.sweep_alarms",
        "schedule": CRISIS_SWEEP_SECONDS,
        # A sweep that waited in the queue longer than a few intervals is pointless: a newer one follows.
        "options": {"expires": max(CRISIS_SWEEP_SECONDS * 3, 3)},
    },
    "arm-upcoming-alarms": {
        "task": "clock.arm_upcoming_alarms",
        "schedule": 15.0,
        "options": {"expires": 30},
    },
    "sweep-notifications": {
        "task": "notify.sweep_notifications",
        "schedule": 10.0,
        "options": {"expires": 30},
    },
    # Weekly and monthly summaries: made within the hour after a week or month ends (and caught up
    # after downtime); the database keeps it to one report per period however often this runs.
    "sweep-customer-messages": {
        "task": "outreach.sweep_customer_messages",
        "schedule": 60.0,
        "options": {"expires": 120},
    },
    "make-due-reports": {
        "task": "reports.make_due_reports",
        "schedule": 3600.0,
        "options": {"expires": 1800},
    },
}
