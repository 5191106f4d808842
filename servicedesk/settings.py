"""Settings for the service desk, read from the environment (django-environ).

Every variable is listed in ``.env.example``. With nothing set the desk runs on
its embedded defaults: SQLite under ``var/``, Kombu's filesystem broker under
``var/celery/``, e-mail written to ``var/mail/``. Production sets ``DATABASE_URL``
(PostgreSQL), ``CELERY_BROKER_URL`` (Redis), ``SECRET_KEY`` and ``ALLOWED_HOSTS``.
"""

import sys
from datetime import timedelta
from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env")

DEBUG = env.bool("DEBUG", default=False)
# pytest runs with the test overrides at the end of this file
TESTING = env.bool("TESTING", default="pytest" in sys.modules)

if DEBUG or TESTING:
    SECRET_KEY = env("SECRET_KEY", default="dev-only-insecure-key-do-not-use-in-production")
else:
    SECRET_KEY = env("SECRET_KEY")

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    # project apps first so their templates override the libraries'
    "enterprises",
    "visits",
    "approvals",
    "cms",
    "api",
    "insight",
    "letters",
    "notifications",
    "dashboards",
    # Wagtail
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    "wagtail.contrib.settings",
    "wagtail.embeds",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    # Django
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    # third party
    "guardian",
    "axes",
    "csp",
    "rest_framework",
    "rest_framework_api_key",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    # after approvals: its admin re-registers approvals' user admin
    "audit",
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
    # session timeouts, owed password change / second factor, audit context
    "audit.middleware.SecurityMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
    # axes last: it reads the result of authentication
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "servicedesk.urls"

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
                "django.template.context_processors.i18n",
                "approvals.context_processors.desk",
                "notifications.context_processors.unread",
            ],
        },
    },
]

# Django's own form and widget templates through Jinja2, the rest (Wagtail's
# admin widgets) through the Django engine: same markup, faster pages
FORM_RENDERER = "servicedesk.renderers.DeskFormRenderer"

WSGI_APPLICATION = "servicedesk.wsgi.application"

VAR_DIR.mkdir(exist_ok=True)
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # SQLite ignores SELECT ... FOR UPDATE; IMMEDIATE transactions take the write
    # lock at BEGIN, so two transitions on one task serialise instead of racing.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # no JIT compilation: the desk's queries are short, and on the few long
    # aggregates (the dashboard's year, the league table) PostgreSQL spent more
    # compiling them (~120 ms) than the compiled code saved
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault(
        "options", env.str("PG_OPTIONS", default="-c jit=off"))
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=0))
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    # axes first: it refuses locked-out credentials before any password check
    "axes.backends.AxesStandaloneBackend",
    "approvals.auth.UsernameOrMobileBackend",
    "guardian.backends.ObjectPermissionBackend",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 8},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    # 等保 2.0: three of four character classes, not the username or mobile,
    # not a common password that happens to mix classes
    {"NAME": "audit.validators.CharacterClassesValidator", "OPTIONS": {"min_classes": 3}},
    {"NAME": "audit.validators.NotUsernameOrMobileValidator"},
    {"NAME": "audit.validators.LocalCommonPasswordValidator"},
]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# django-axes: lock out after repeated failures, per account and per address
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=30))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_USERNAME_FORM_FIELD = "username"
# an account locks after AXES_FAILURE_LIMIT failures from anywhere, an address
# after AXES_IP_FAILURE_LIMIT failures for any accounts (audit.lockout), so one
# officer's typos do not lock out the colleagues behind the same NAT
AXES_HANDLER = "audit.lockout.AccountAndAddressHandler"
AXES_IP_FAILURE_LIMIT = env.int("AXES_IP_FAILURE_LIMIT", default=30)

# Personal information (PIPL): Fernet keys for encrypted columns (comma-separated,
# the first encrypts) and the HMAC key of their blind indexes. Without them a
# key derived from SECRET_KEY is used and `check --deploy` warns.
FIELD_ENCRYPTION_KEY = env("FIELD_ENCRYPTION_KEY", default="")
FIELD_INDEX_KEY = env("FIELD_INDEX_KEY", default="")

# Security controls (audit/): sessions, passwords, second factor, audit log
SECURITY = {
    # a session ends after this many idle minutes, and this many hours after login
    "SESSION_IDLE_MINUTES": env.int("SESSION_IDLE_MINUTES", default=30),
    "SESSION_MAX_HOURS": env.int("SESSION_MAX_HOURS", default=8),
    # passwords expire after this many days; 0: never (the default)
    "PASSWORD_MAX_AGE_DAYS": env.int("PASSWORD_MAX_AGE_DAYS", default=0),
    # coordinators, leaders and administrators must use a second factor; off in
    # development and tests (demo users, force_login), where tests opt in
    "TWO_FACTOR_REQUIRED": env.bool("TWO_FACTOR_REQUIRED", default=not (DEBUG or TESTING)),
    # audit records stay in the database this long, then the archive job moves
    # them to compressed files under AUDIT_ARCHIVE_ROOT (never less than 180)
    "AUDIT_ONLINE_DAYS": env.int("AUDIT_ONLINE_DAYS", default=365),
    "AUDIT_ARCHIVE_ROOT": env.path("AUDIT_ARCHIVE_ROOT", default=VAR_DIR / "audit-archive"),
    # personal data of refused or approved portal account requests is erased after
    "ACCOUNT_REQUEST_RETENTION_DAYS": env.int("ACCOUNT_REQUEST_RETENTION_DAYS", default=180),
}

# Content-Security-Policy (django-csp 4): our pages load scripts, styles and
# images from our own origin only; no inline script or style is allowed. The
# Django and Wagtail admins rely on inline scripts and styles and keep their own
# defences, so they are left out of the policy rather than weakening it.
CONTENT_SECURITY_POLICY = {
    "EXCLUDE_URL_PREFIXES": ["/admin/", "/cms-admin/"],
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        # same-origin framing only, as X_FRAME_OPTIONS (Wagtail's live preview)
        "frame-ancestors": ["'self'"],
    },
}

# django-guardian
GUARDIAN_RAISE_403 = False
ANONYMOUS_USER_NAME = None

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]
Path(STATIC_ROOT).mkdir(exist_ok=True)  # WhiteNoise warns when its root is missing
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG or TESTING
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
MEDIA_URL = "/media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=VAR_DIR / "media")
# Obstacle attachments, import uploads and letters: never under a public URL,
# served only by permission-checked views.
PRIVATE_MEDIA_ROOT = env.path("PRIVATE_MEDIA_ROOT", default=VAR_DIR / "private")
# The GB2312 subset of Noto Sans CJK SC the letters embed (`make fonts` builds it).
LETTER_FONT_DIR = env.path("LETTER_FONT_DIR", default=VAR_DIR / "fonts")
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

EMAIL_CONFIG = env.email_url("EMAIL_URL", default="filemail://")
vars().update(EMAIL_CONFIG)
if EMAIL_CONFIG["EMAIL_BACKEND"].endswith("filebased.EmailBackend"):
    EMAIL_FILE_PATH = EMAIL_CONFIG.get("EMAIL_HOST_PATH") or str(VAR_DIR / "mail")
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="servicedesk@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://")}

# Celery: an embedded broker that needs no server by default (Kombu's filesystem
# transport under var/celery), Redis in production.
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="filesystem://")
if CELERY_BROKER_URL.startswith("filesystem://"):
    _queue = VAR_DIR / "celery" / "queue"
    _processed = VAR_DIR / "celery" / "processed"
    _control = VAR_DIR / "celery" / "control"  # else kombu writes ./control/
    for _d in (_queue, _processed, _control):
        _d.mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue),
        "data_folder_out": str(_queue),
        "processed_folder": str(_processed),
        "store_processed": False,
        "control_folder": str(_control),
    }
CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND", default=None)
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_TIME_LIMIT = 300
CELERY_TASK_SOFT_TIME_LIMIT = 240
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# SMS behind a small interface (notifications/sms.py): a JSON line per message
# under var/sms/ by default; a gateway is one class named here
SMS_BACKEND = env("SMS_BACKEND", default="notifications.sms.FileSmsBackend")
SMS_FILE_PATH = env("SMS_FILE_PATH", default=str(VAR_DIR / "sms"))

# Wagtail
WAGTAIL_SITE_NAME = env("WAGTAIL_SITE_NAME", default="营商环境服务台")
# No Gravatar: an intranet desk cannot reach it (a broken avatar image in the admin)
WAGTAIL_GRAVATAR_PROVIDER_URL = None
WAGTAILADMIN_BASE_URL = env("SITE_URL", default="http://127.0.0.1:8000")
WAGTAIL_I18N_ENABLED = False
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}
WAGTAILDOCS_SERVE_METHOD = "serve_view"

# The desk's own configuration
DESK = {
    "OFFICE_NAME": env("OFFICE_NAME", default="区营商环境建设办公室"),
    "OFFICE_ADDRESS": env("OFFICE_ADDRESS", default="人民路1号政务服务中心3楼"),
    "OFFICE_PHONE": env("OFFICE_PHONE", default="0571-12345678"),
    "RETURN_WINDOW_WORKING_DAYS": env.int("RETURN_WINDOW_WORKING_DAYS", default=1),
    "MAX_EXTENSIONS": env.int("MAX_EXTENSIONS", default=2),
    "ESCALATION_LEVEL2_AFTER_WORKING_DAYS": env.int(
        "ESCALATION_LEVEL2_AFTER_WORKING_DAYS", default=3
    ),
    "RECTIFICATION_WORKING_DAYS": env.int("RECTIFICATION_WORKING_DAYS", default=5),
    "PAGE_SIZE": env.int("PAGE_SIZE", default=25),
    "VISIT_EDIT_DAYS": env.int("VISIT_EDIT_DAYS", default=3),
    # the ledger's colour counts are cached until a task changes, at most this
    # long (the bound on another process's change with the per-process cache)
    "LEDGER_COUNTS_CACHE_SECONDS": env.int(
        "LEDGER_COUNTS_CACHE_SECONDS", default=0 if TESTING else 300),
    "WEEKLY_VISIT_QUOTA": env.int("WEEKLY_VISIT_QUOTA", default=4),
    # how long the leaders' dashboard figures are fresh (any task event or
    # visit makes them stale at once; 0 turns the cache off) ...
    "DASHBOARD_CACHE_SECONDS": env.int("DASHBOARD_CACHE_SECONDS", default=120),
    # ... and how long stale ones are still served while a job recomputes them
    # (older: computed in the request); see dashboards/cache.py
    "DASHBOARD_STALE_SECONDS": env.int("DASHBOARD_STALE_SECONDS", default=6 * 60 * 60),
    # obstacles one firm user may submit on the portal in an hour
    "PORTAL_SUBMISSIONS_PER_HOUR": env.int("PORTAL_SUBMISSIONS_PER_HOUR", default=20),
    # anonymous account requests on the portal: per client address an hour, per
    # credit code a day (counted in CACHE_URL: share it between processes)
    "ACCOUNT_REQUESTS_PER_IP_PER_HOUR": env.int("ACCOUNT_REQUESTS_PER_IP_PER_HOUR",
                                                default=10),
    "ACCOUNT_REQUESTS_PER_CODE_PER_DAY": env.int("ACCOUNT_REQUESTS_PER_CODE_PER_DAY",
                                                 default=5),
    # the deadline reminder goes to the owner this many working days before
    "REMINDER_WORKING_DAYS": env.int("REMINDER_WORKING_DAYS", default=1),
    # silent-task ladder: working days without an event (the last rung goes to the head)
    "SILENT_LADDER": env.list("SILENT_LADDER", cast=int, default=[5, 10, 20]),
    # share of the week's closed tasks called back again (销号抽查)
    "SAMPLE_RATE": env.float("SAMPLE_RATE", default=0.10),
    # TF-IDF cosine above which two obstacles of a category are suggested together
    "COMMON_ISSUE_SIMILARITY": env.float("COMMON_ISSUE_SIMILARITY", default=0.35),
    # status letters: 营商服函〔2026〕0001号; bulletins: 营商督通〔2026〕1号
    "LETTER_REFERENCE_PREFIX": env("LETTER_REFERENCE_PREFIX", default="营商服函"),
    "BULLETIN_REFERENCE_PREFIX": env("BULLETIN_REFERENCE_PREFIX", default="营商督通"),
    "CHASE_REFERENCE_PREFIX": env("CHASE_REFERENCE_PREFIX", default="营商督催"),
    # letters one Celery task of a batch writes before handing on
    "LETTER_BATCH_CHUNK": env.int("LETTER_BATCH_CHUNK", default=50),
    # /healthz answers 503 when less than this is free where the desk writes
    "HEALTH_MIN_FREE_DISK_MB": env.int("HEALTH_MIN_FREE_DISK_MB", default=500),
    # REST API and Open311: requests per minute per integration key (or user), then 429
    "API_REQUESTS_PER_MINUTE": env.int("API_REQUESTS_PER_MINUTE", default=120),
    # webhooks: attempts before giving up, first retry delay (doubling), HTTP timeout
    "WEBHOOK_MAX_ATTEMPTS": env.int("WEBHOOK_MAX_ATTEMPTS", default=8),
    "WEBHOOK_BACKOFF_SECONDS": env.int("WEBHOOK_BACKOFF_SECONDS", default=30),
    "WEBHOOK_TIMEOUT_SECONDS": env.int("WEBHOOK_TIMEOUT_SECONDS", default=10),
}
DEMO_PASSWORD = env("DEMO_PASSWORD", default="Demo@2026")

# REST API (api/): each view sets its authentication, permissions and throttle;
# only the schema generator is global. Docs assets come from the sidecar package
# (served by WhiteNoise: no CDN on a government intranet).
REST_FRAMEWORK = {"DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema"}
SPECTACULAR_SETTINGS = {
    "TITLE": "Service desk API",
    "DESCRIPTION": "Obstacles in from the 12345 hotline and other platforms, status back. "
                   "Authenticate with `Authorization: Api-Key <key>`.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "PREPROCESSING_HOOKS": ["api.schema.only_public_api"],
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "api.schema.document_error_responses",
    ],
}

# Production hardening; `manage.py check --deploy` is clean with DEBUG off.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=8 * 3600)
# SAMEORIGIN, not DENY: Wagtail's live preview shows the page in a same-origin
# iframe. Other sites still cannot frame the desk, so W019 is silenced on purpose.
X_FRAME_OPTIONS = "SAMEORIGIN"
SILENCED_SYSTEM_CHECKS = ["security.W019"]
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG and not TESTING:
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    # the load balancer probes /healthz over plain HTTP on the private network
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)

# Structured logs in production: one JSON object per line (python-json-logger),
# which the log shipper indexes without parsing; plain lines in development.
LOG_FORMAT = env("LOG_FORMAT", default="plain" if DEBUG or TESTING else "json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s %(process)d %(message)s",
            "datefmt": "%Y-%m-%dT%H:%M:%S%z",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
    },
    "handlers": {"console": {"class": "logging.StreamHandler",
                             "formatter": "json" if LOG_FORMAT == "json" else "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {"axes": {"level": "WARNING"}},
}
# The Celery worker keeps Django's handlers (JSON lines) instead of replacing
# the root logger's with its own text format.
CELERY_WORKER_HIJACK_ROOT_LOGGER = LOG_FORMAT != "json"

if TESTING:
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=True)
    EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    SMS_BACKEND = "notifications.sms.LocmemSmsBackend"
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

