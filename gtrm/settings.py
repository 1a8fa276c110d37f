"""Settings for the GTRM reporting platform, read from the environment.

Every setting that differs between a laptop and a server comes from an environment variable
(documented in README.md). With nothing set and DEBUG on, the app runs on SQLite in the
project folder; DATABASE_URL switches it to PostgreSQL.
"""

from __future__ import annotations

import ipaddress
import os
from datetime import timedelta
from email.utils import getaddresses
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def env_networks(name: str) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    try:
        return [ipaddress.ip_network(item, strict=False) for item in env_list(name)]
    except ValueError as error:
        raise ImproperlyConfigured(f"{name}: {error}") from error


DEBUG = env_bool("DEBUG")

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("Set SECRET_KEY (or DEBUG=1 for local development).")
    # Only ever used with DEBUG on, on a developer's machine.
    SECRET_KEY = "insecure-development-key-do-not-use-in-production"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "gtrm.apps.GtrmAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "crispy_forms",
    "crispy_bootstrap5",
    "axes",
    "import_export",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "partners",
    "reporting",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Early, so that every response carries the policy, redirects and errors included.
    "gtrm.security.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Keeps the request for the admin's read-only links (gtrm.admin.admin_url_if_permitted).
    "gtrm.admin.AdminRequestMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Before any view: a NUL byte in the address is a 400, never a database error. Inside the
    # middleware above, so that its answer has every security header.
    "gtrm.security.RejectNulBytesMiddleware",
    # Inside the session and authentication middleware: it needs the user the view leaves.
    "gtrm.security.SessionIdleTimeoutMiddleware",
    # Last, so that a locked-out login is answered before any view runs.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "gtrm.urls"
WSGI_APPLICATION = "gtrm.wsgi.application"

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
            ],
        },
    },
]
# Django's form widgets, with the input, textarea and select templates written in Python: the
# same HTML for a fraction of the CPU (gtrm/renderers.py).
FORM_RENDERER = "gtrm.renderers.FastWidgetRenderer"

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "partners.User"

AUTHENTICATION_BACKENDS = [
    # Refuses a login for a while after repeated failures (see AXES_* below).
    "axes.backends.AxesStandaloneBackend",
    "partners.backends.UsernameOrEmailBackend",
]

# Every form that sets a password (the set-password page of an invitation or a reset, the
# password change, the admin's user and password forms) refuses one shorter than this or on
# Django's list of 20,000 common passwords. Django's default of 8 lets `demo1234` through.
# Only `demo_data` sets a shorter one (`demo`, for the demo accounts), bypassing the forms.
PASSWORD_MIN_LENGTH = int(os.environ.get("PASSWORD_MIN_LENGTH", "10"))
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
     "OPTIONS": {"min_length": PASSWORD_MIN_LENGTH}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Passwords are stored with Argon2id (partners/hashers.py: about 35 ms of CPU a sign-in instead
# of PBKDF2's 400 ms, for at least the same resistance to guessing). Hashes made before with
# PBKDF2 are still read, and replaced with Argon2id at the person's next sign-in.
PASSWORD_HASHERS = [
    "partners.hashers.Argon2idHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
]
# Memory (KiB), passes and lanes of one Argon2id hash: OWASP's first recommendation. Every
# sign-in in flight holds ARGON2_MEMORY_KIB for its ~35 ms; raising the memory raises the cost
# of each attacker's guess and the server's CPU per sign-in alike.
ARGON2_MEMORY_KIB = int(os.environ.get("ARGON2_MEMORY_KIB", str(19 * 1024)))
ARGON2_TIME_COST = int(os.environ.get("ARGON2_TIME_COST", "2"))
ARGON2_PARALLELISM = int(os.environ.get("ARGON2_PARALLELISM", "1"))

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "reporting:home"
LOGOUT_REDIRECT_URL = "login"

# Five wrong passwords for one account from one address lock that pair out for 15 minutes.
# Failures are counted per account, whichever spelling of its username or email was typed
# (partners.accounts), under the account's username; a name that is no account is counted
# under what was typed. To lift a lock-out sooner: the person resets their password by email;
# an IM officer deletes the attempt in the admin (Axes › Access attempts, filter "Locked out");
# on the server, `manage.py axes_reset_username USERNAME` (all addresses) or
# `axes_reset_ip_username IP USERNAME`.
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("AXES_COOLOFF_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# Axes' database handler plus a limit per address across names (partners.limits.LoginThrottle):
# one address trying one password on many accounts (spraying) is refused after
# LOGIN_ADDRESS_FAILURE_LIMIT failures younger than the cool-off, every sign-in from it, until
# fewer remain; `manage.py axes_reset_ip IP` lifts it sooner. A training room of 40–100 people
# behind one NAT address shares that count: raise the limit, or list the room's address in
# ADDRESS_LIMIT_EXEMPT below.
AXES_HANDLER = "partners.limits.LoginThrottle"
LOGIN_ADDRESS_FAILURE_LIMIT = int(os.environ.get("LOGIN_ADDRESS_FAILURE_LIMIT", "30"))
AXES_LOCKOUT_CALLABLE = "gtrm.security.locked_out"
AXES_CLIENT_IP_CALLABLE = "gtrm.security.client_ip"
AXES_USERNAME_CALLABLE = "gtrm.security.axes_username"
AXES_VERBOSE = False
# How many reverse proxies (that append to X-Forwarded-For) stand in front of the app. With 0 the
# client address is REMOTE_ADDR; behind one proxy, set 1, or every user shares its address (and
# LOGIN_ADDRESS_FAILURE_LIMIT failures of anyone lock everyone out).
TRUSTED_PROXY_COUNT = int(os.environ.get("TRUSTED_PROXY_COUNT", "0"))
# Password-reset requests, counted in the database (partners.PasswordResetRequest) within the
# same cool-off: PASSWORD_RESET_LIMIT per account (or typed address that is none) and
# PASSWORD_RESET_ADDRESS_LIMIT per client address. Beyond either nothing is emailed, so the
# page cannot be used to flood a mailbox or to send mail on the platform's name in bulk.
PASSWORD_RESET_LIMIT = int(os.environ.get("PASSWORD_RESET_LIMIT", "3"))
PASSWORD_RESET_ADDRESS_LIMIT = int(os.environ.get("PASSWORD_RESET_ADDRESS_LIMIT", "30"))
# Client addresses or networks ("203.0.113.7, 198.51.100.0/24") that the per-address limits
# above (sign-in and password reset) do not apply to: a training room behind one NAT address.
# The per-account limits still do.
ADDRESS_LIMIT_EXEMPT = env_networks("ADDRESS_LIMIT_EXEMPT")

LANGUAGE_CODE = "es"
LANGUAGES = [("es", _("Spanish")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Numbers as Peru writes them in both languages: 25,290 and USD 1,250.50 (gtrm/formats/es/).
FORMAT_MODULE_PATH = ["gtrm.formats"]
TIME_ZONE = os.environ.get("TIME_ZONE", "America/Lima")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# Mail: printed to the console unless an SMTP host is configured.
EMAIL_HOST = os.environ.get("EMAIL_HOST", "")
EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "587"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", default=True)
EMAIL_TIMEOUT = 20

# Disclosure control on public figures (reporting/numbers/disclosure.py): a non-zero figure
# below the threshold is shown as "< 5"; the strict sectors (Protection's sub-sectors) use the
# stricter threshold.
DISCLOSURE_THRESHOLD = int(os.environ.get("DISCLOSURE_THRESHOLD", "5"))
DISCLOSURE_STRICT_THRESHOLD = int(os.environ.get("DISCLOSURE_STRICT_THRESHOLD", "10"))
DISCLOSURE_STRICT_SECTORS = [
    code.strip() for code in
    os.environ.get("DISCLOSURE_STRICT_SECTORS", "PRO-CP,PRO-GBV,PRO-HTS").split(",") if code.strip()
]

# OCHA's Financial Tracking Service, read by `fetch_funding` (reporting/funding/fts.py).
FTS_API_BASE = os.environ.get("FTS_API_BASE", "https://api.hpc.tools/v1/public/")
FTS_TIMEOUT_SECONDS = float(os.environ.get("FTS_TIMEOUT_SECONDS", "30"))
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "GTRM Perú <no-reply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Activity uploads (web and import_activities): a file above either cap is refused before it is
# read, so a large or malicious file costs the server little.
IMPORT_MAX_BYTES = int(os.environ.get("IMPORT_MAX_BYTES", str(10 * 1024 * 1024)))
IMPORT_MAX_ROWS = int(os.environ.get("IMPORT_MAX_ROWS", "20000"))
# Every upload is kept in the database until it is confirmed, so that one person cannot fill
# the database with files nobody saves (reporting/sheets/uploads.py; issue 11): an unconfirmed file is
# removed after IMPORT_UNCONFIRMED_DAYS (`cleanup_uploads`, daily from cron), and at each
# upload beyond IMPORT_UNCONFIRMED_PER_ORGANISATION of the organisation's, oldest first (each
# person's latest is kept). A person may upload IMPORT_UPLOADS_PER_HOUR files an hour; the next
# is refused before it is read. A week, twenty and twenty leave room for a busy deadline day.
IMPORT_UNCONFIRMED_DAYS = int(os.environ.get("IMPORT_UNCONFIRMED_DAYS", "7"))
IMPORT_UNCONFIRMED_PER_ORGANISATION = int(
    os.environ.get("IMPORT_UNCONFIRMED_PER_ORGANISATION", "20")
)
IMPORT_UPLOADS_PER_HOUR = int(os.environ.get("IMPORT_UPLOADS_PER_HOUR", "20"))
# An upload is never written to disk in a folder the web server serves; Django keeps small
# ones in memory and larger ones in a temporary file that is deleted after the request.
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440

# Where emails link to (reminders and notifications, sent outside any request): the address
# people open the site at, e.g. https://gtrm.example.org.
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
# A notification of a return, approval, reopening or lock is tried once right after the action
# with this SMTP timeout (seconds), so that a mail server that does not answer delays the click
# by this much at most; `send_notifications` (cron) retries what failed.
NOTIFICATION_SEND_TIMEOUT = float(os.environ.get("NOTIFICATION_SEND_TIMEOUT", "3"))
# Who gets an email with the details of every server error: "Ana <ana@x.org>, ops@x.org".
ADMINS = getaddresses([os.environ.get("ADMINS", "")]) if os.environ.get("ADMINS") else []

# Sessions end after SESSION_IDLE_MINUTES without a request (8 hours: a working day with its
# breaks), not when the browser closes. gtrm.security.SessionIdleTimeoutMiddleware moves the end
# forward, writing the session at most once per half of that time.
SESSION_COOKIE_AGE = 60 * int(os.environ.get("SESSION_IDLE_MINUTES", str(8 * 60)))
SESSION_COOKIE_HTTPONLY = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = False

# Content-Security-Policy of every response (gtrm.security.ContentSecurityPolicyMiddleware), in
# the shape of Django 6.0's SECURE_CSP so that its middleware can take over. Scripts only from
# our own static files: no inline script, no eval, no other site. Styles allow 'unsafe-inline'
# because Django's admin, django-import-export and the server-drawn SVG charts use style
# attributes, and injected CSS cannot run code; data: images are Bootstrap's icons in its CSS.
SECURE_CSP = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'", "'unsafe-inline'"],
    "img-src": ["'self'", "data:"],
    "font-src": ["'self'"],
    "connect-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'none'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
}

X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

# Behind a TLS-terminating proxy in production: HTTPS only, secure cookies, HSTS.
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", default=True)
    CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
    # The proxy may redirect to HTTPS itself; SECURE_SSL_REDIRECT=0 also serves plain HTTP on
    # localhost (a load test), where the HSTS header below is never sent.
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", str(365 * 24 * 3600)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
    # Asking browsers to hard-code HTTPS for the whole domain (hstspreload.org) is a decision
    # of the domain's owner, slow to undo, not of one application on it: off unless asked for.
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD")
    if not SECURE_HSTS_PRELOAD:
        SILENCED_SYSTEM_CHECKS = ["security.W021"]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"require_debug_false": {"()": "django.utils.log.RequireDebugFalse"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler"},
        "mail_admins": {
            "class": "django.utils.log.AdminEmailHandler",
            "level": "ERROR",
            "filters": ["require_debug_false"],
        },
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "axes": {"level": "WARNING"},
        "django.request": {"handlers": ["console", "mail_admins"], "level": "ERROR",
                           "propagate": False},
    },
}

# The cache holds only what cannot go stale: the PDFs of published (frozen) situation-report
# editions. Each process keeps its own by default; with several app servers, REDIS_URL shares
# one, so a PDF is rendered once for all of them. Sessions live in the database (Django's
# default), and the login throttle too (django-axes' database handler): no state is tied to one
# process or one server.
REDIS_URL = os.environ.get("REDIS_URL", "")
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL,
         "KEY_PREFIX": "gtrm", "TIMEOUT": 24 * 3600}
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}
# Lines above which the XLSX export is refused in favour of the CSV, which streams: a workbook
# is assembled before it is sent, at about 7,000 rows a second.
EXPORT_XLSX_MAX_LINES = int(os.environ.get("EXPORT_XLSX_MAX_LINES", "150000"))

# The read API (/api/v1/, README "Connect from Power BI / Excel / R"). A token is read from the
# Authorization header only; every request with one is throttled per user at this rate
# ("<number>/<second|minute|hour|day>"), counted in the cache above.
API_THROTTLE_RATE = os.environ.get("API_THROTTLE_RATE", "2000/hour")
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "reporting.api.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_THROTTLE_CLASSES": ["reporting.api.throttling.TokenRateThrottle"],
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "GTRM Peru reporting API",
    "DESCRIPTION": "Read-only access to activity lines, published figures and reference lists "
                   "(DESIGN §7). Send `Authorization: Token <key>`.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "ENUM_NAME_OVERRIDES": {"IndicatorTypeEnum": "reporting.models.IndicatorType"},
}
