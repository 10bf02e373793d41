"""Settings shared by every environment, read from the environment (django-environ).

Embedded defaults make a fresh clone run with no services: a SQLite file, tasks run in-process,
e-mail printed to the console. Setting ``DATABASE_URL`` and ``CELERY_BROKER_URL`` switches to
PostgreSQL and Redis.
"""
import ipaddress
from pathlib import Path

import environ
from csp.constants import SELF
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
if (BASE_DIR / ".env").exists():
    env.read_env(BASE_DIR / ".env")

DEBUG = env.bool("DJANGO_DEBUG", default=False)
SECRET_KEY = env("DJANGO_SECRET_KEY", default="")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])
# Reverse proxies (addresses or networks) whose X-Forwarded-For names the client in the audit
# trail and for the login lockout; from anyone else the header is ignored, since a client can
# write it. Empty: every request is taken from its socket address.
TRUSTED_PROXIES = [ipaddress.ip_network(proxy, strict=False)
                   for proxy in env.list("DJANGO_TRUSTED_PROXIES", default=[])]
# The load run's trivial page (bench/bench_load.py); off in the product.
BENCH_VIEWS = env.bool("DJANGO_BENCH_VIEWS", default=False)

# --- Database ------------------------------------------------------------------------------
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
# Keep a connection across requests (opening one costs more than most pages' queries), and
# check it before reuse so that a restarted database server costs one retry, not an error.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DJANGO_CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # SQLite's default (deferred) transactions read first and take the write lock later, when
    # another writer may hold it: the upgrade fails at once with "database is locked" and the
    # page answers 500. IMMEDIATE takes the lock at BEGIN, so simultaneous saves wait their
    # turn (up to the busy timeout) and the revision checks answer 409, as on PostgreSQL.
    # WAL lets pages read while a save is written.
    DATABASES["default"].setdefault("OPTIONS", {}).update({
        "transaction_mode": "IMMEDIATE",
        "timeout": env.int("DJANGO_SQLITE_BUSY_TIMEOUT", default=20),
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    })
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Applications --------------------------------------------------------------------------
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_htmx",
    "rules.apps.AutodiscoverRulesConfig",
    "axes",
    "auditlog",
    "institutions",
    "evaluations",
    "reports",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # Chinese unless the user picked English: the browser's Accept-Language is not consulted.
    "config.middleware.LanguageCookieMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # After CSRF and messages: answers an upload stopped by evaluations.uploadlimits.
    "evaluations.uploadlimits.UploadLimitMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "config.middleware.AuditlogMiddleware",
    # Axes last: it must see the authenticated request to reset or count failures.
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
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "institutions.context_processors.navigation",
                "institutions.context_processors.notifications",
            ],
        },
    },
]

# --- Accounts and security -----------------------------------------------------------------
AUTH_USER_MODEL = "institutions.User"
AUTHENTICATION_BACKENDS = [
    # Axes first so a locked-out client is refused before the password is checked.
    "axes.backends.AxesStandaloneBackend",
    "rules.permissions.ObjectPermissionBackend",
    # Password login and the session's user, with what every page shows of it in one query;
    # permissions are the rules predicates only (institutions/backends.py).
    "institutions.backends.AccountBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
     "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
# Django shows registration/logged_out.html after logging out: a confirmation, not a bare page.
LOGOUT_REDIRECT_URL = None

AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=0.5)  # hours
# Lock a user name from one address, not a whole address: district offices sit behind NAT.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# The same client address as the audit trail (TRUSTED_PROXIES).
AXES_CLIENT_IP_CALLABLE = "config.middleware.client_address"
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"

# With a cache configured (DJANGO_CACHE_URL, e.g. redis://127.0.0.1:6379/1) sessions are read
# from it and written through to the database; without one, from the database alone.
if env("DJANGO_CACHE_URL", default=""):
    CACHES = {"default": env.cache("DJANGO_CACHE_URL")}
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = 60 * 60 * 8  # one working day
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "SAMEORIGIN"  # the app previews evidence PDFs in its own frames
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# Scripts, styles, fonts and images come from the app's own static files only: no inline script
# or style attribute anywhere (htmx's indicator style is in app.css, see base.html). data: is
# for the SVG icons inside Bootstrap's CSS; frames are same-origin for the PDF previews.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "img-src": [SELF, "data:"],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [SELF],
    },
}

# --- Internationalisation ------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
# DJANGO_LOCALE_DIR lets the i18n test extract messages into a scratch copy.
LOCALE_PATHS = [env.path("DJANGO_LOCALE_DIR", default=str(BASE_DIR / "locale"))]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- Static and media ----------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
# Front-end libraries come from the npm registry at set-up (package.json) and are served by the
# app itself: no CDN at run time.
NODE_MODULES = BASE_DIR / "node_modules"
STATICFILES_DIRS = [
    BASE_DIR / "static",
    ("vendor/bootstrap", NODE_MODULES / "bootstrap" / "dist"),
    ("vendor/bootstrap-icons", NODE_MODULES / "bootstrap-icons" / "font"),
    ("vendor/htmx", NODE_MODULES / "htmx.org" / "dist"),
    ("vendor/chart.js", NODE_MODULES / "chart.js" / "dist"),
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Uploads are private: MEDIA_ROOT is never served as static files; views check rights first.
MEDIA_ROOT = Path(env("DJANGO_MEDIA_ROOT", default=str(BASE_DIR / "private_media")))
MEDIA_URL = "/media/"

# --- E-mail --------------------------------------------------------------------------------
EMAIL_BACKEND = env("DJANGO_EMAIL_BACKEND",
                    default="django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env("DJANGO_DEFAULT_FROM_EMAIL",
                         default="徐州市科学技术局 <noreply@localhost>")

# --- Celery --------------------------------------------------------------------------------
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="")
CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND", default=CELERY_BROKER_URL or None)
# No broker: run tasks in-process so the embedded set-up works without Redis or a worker.
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
# Nothing reads a task's return value (progress and outcome live in the database): without
# this each send also subscribes to its result, and a down Redis held the request ~20 s there.
CELERY_TASK_IGNORE_RESULT = True
# A broker that is down answers within about two seconds: side effects go through the outbox
# (institutions.services.outbox), which records the failure and tries again later, so a
# request never waits for a broker.
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_BROKER_TRANSPORT_OPTIONS = {
    # A Redis that accepts connections but does not answer (hung) costs a request 2 s once.
    "socket_connect_timeout": 1, "socket_timeout": 2,
    # Connecting when a message is sent: one retry, not kombu's twenty.
    "max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.5,
}
CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = {
    "retry_policy": {"max_retries": 1, "interval_start": 0, "interval_step": 0.2,
                     "interval_max": 0.5},
}
CELERY_REDIS_SOCKET_CONNECT_TIMEOUT = 1
CELERY_REDIS_SOCKET_TIMEOUT = 5
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0,
                                    "interval_step": 0.2, "interval_max": 0.5}
# A worker (not a request) started while the broker is down waits for it, for ever.
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
# A task is acknowledged when it has run, not when it starts: a worker killed mid-PDF leaves
# the message to be delivered again (the tasks are idempotent), one message at a time.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1


def _beat_schedule() -> dict:
    from celery.schedules import crontab

    return {
        "self-evaluation-reminders": {
            "task": "evaluations.tasks.send_self_evaluation_reminders",
            "schedule": crontab(hour=8, minute=0),  # every morning, Asia/Shanghai
        },
        "panel-reminders": {
            "task": "evaluations.tasks.send_panel_reminders",
            "schedule": crontab(hour=8, minute=5),
        },
        # The side effects the broker could not take when they were queued (the outbox).
        "outbox-deliver": {
            "task": "institutions.tasks.outbox_deliver_due",
            "schedule": 60.0, "options": {"expires": 55},
        },
        # PDFs queued or being generated for too long (a lost message, a killed worker).
        "documents-requeue-stale": {
            "task": "evaluations.tasks.requeue_stale_documents",
            "schedule": 60.0, "options": {"expires": 55},
        },
    }


# Built when beat first reads it: settings that import Celery cost every start-up ~0.2 s.
CELERY_BEAT_SCHEDULE = SimpleLazyObject(_beat_schedule)

# --- Forms ---------------------------------------------------------------------------------
CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# --- Audit log -----------------------------------------------------------------------------
AUDITLOG_INCLUDE_ALL_MODELS = False

# --- Registry ------------------------------------------------------------------------------
REGISTRY_IMPORT_MAX_BYTES = env.int("REGISTRY_IMPORT_MAX_BYTES", default=20 * 1024 * 1024)
# The import reads every cell: what its workbook may unpack to (20,000 rows are ~15 MB).
REGISTRY_IMPORT_MAX_UNCOMPRESSED_BYTES = env.int("REGISTRY_IMPORT_MAX_UNCOMPRESSED_BYTES",
                                                 default=200 * 1024 * 1024)
# Zip-based files (XLSX, DOCX) are refused before they are opened past these
# (institutions.packages): archive bombs unpack to far more than they weigh. openpyxl holds
# every shared string in memory, so a workbook's are limited by count and by size.
OFFICE_MAX_ENTRIES = env.int("OFFICE_MAX_ENTRIES", default=10_000)
OFFICE_MAX_UNCOMPRESSED_BYTES = env.int("OFFICE_MAX_UNCOMPRESSED_BYTES",
                                        default=1024 * 1024 * 1024)
XLSX_MAX_SHARED_STRINGS = env.int("XLSX_MAX_SHARED_STRINGS", default=1_000_000)
XLSX_MAX_SHARED_STRINGS_BYTES = env.int("XLSX_MAX_SHARED_STRINGS_BYTES",
                                        default=100 * 1024 * 1024)
REGISTRY_PAGE_SIZE = 25
# The lowest professional title an expert of the pool needs to be drawn (R6a: 副高 and above).
EXPERT_MIN_TITLE_LEVEL = env.str("DJANGO_EXPERT_MIN_TITLE_LEVEL", default="associate_senior")
# A panel flags an institution whose experts' scores spread over more than this many points.
PANEL_DISAGREEMENT_POINTS = env.int("DJANGO_PANEL_DISAGREEMENT_POINTS", default=20)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"permission_denied_on_one_line": {"()": "config.logs.PermissionDeniedOnOneLine"}},
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    # A page a role may not use answers 403 many times a day: one line each, not a traceback.
    "loggers": {"django.request": {"filters": ["permission_denied_on_one_line"]}},
    "root": {"handlers": ["console"], "level": env("DJANGO_LOG_LEVEL", default="WARNING")},
}

# --- Self-evaluation -----------------------------------------------------------------------
SITE_URL = env("DJANGO_SITE_URL", default="http://127.0.0.1:8000")
EVIDENCE_MAX_FILE_BYTES = env.int("EVIDENCE_MAX_FILE_BYTES", default=50 * 1024 * 1024)
EVIDENCE_MAX_SUBMISSION_BYTES = env.int("EVIDENCE_MAX_SUBMISSION_BYTES",
                                        default=1024 * 1024 * 1024)
# Uploads above this are streamed to a temporary file, never held in memory.
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
# Every upload is counted while it streams and stopped past the per-file limit (plus a small
# margin) or this total per request; the reverse proxy's limit (docker-compose.yml) sits
# just above it. DATA_UPLOAD_MAX_MEMORY_SIZE below covers the non-file fields only.
UPLOAD_MAX_REQUEST_BYTES = env.int("UPLOAD_MAX_REQUEST_BYTES", default=200 * 1024 * 1024)
FILE_UPLOAD_HANDLERS = [
    "evaluations.uploadlimits.UploadLimitHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
# Reminders go to institutions that have not submitted this many days before the deadline.
SELF_EVALUATION_REMINDER_DAYS = env.int("SELF_EVALUATION_REMINDER_DAYS", default=3)
# Days before the panel review closes when experts with scores left are reminded.
PANEL_REMINDER_DAYS = env.int("PANEL_REMINDER_DAYS", default=2)
