"""The one settings module: every deployment difference comes from environment variables.

See README.md, section 配置变量, for the full list.
"""

import os
import tempfile
from datetime import date
from pathlib import Path

import dj_database_url
from csp.constants import NONCE, NONE, SELF

BASE_DIR = Path(__file__).resolve().parent.parent


def envbool(name: str, default: str = "False") -> bool:
    return os.environ.get(name, default).strip().lower() in ("1", "true", "yes", "on")


def envint(name: str, default: str) -> int:
    return int(os.environ.get(name, default))


def envdate(name: str) -> date | None:
    value = os.environ.get(name, "").strip()
    return date.fromisoformat(value) if value else None


def install_secret_key(path: Path) -> str:
    """This installation's own key: made once under var/ with mode 0600, never committed."""
    import secrets

    path.parent.mkdir(exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(secrets.token_urlsafe(50))
    return path.read_text().strip()


DEBUG = envbool("DEBUG", "False")
SECURE_PRODUCTION = envbool("SECURE_PRODUCTION", "False")
# Production (SECURE_PRODUCTION=1) must set SECRET_KEY; elsewhere each install makes its own.
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if SECURE_PRODUCTION:
        raise RuntimeError("生产环境必须设置 SECRET_KEY 环境变量")
    SECRET_KEY = install_secret_key(
        Path(os.environ.get("SECRET_KEY_FILE", str(BASE_DIR / "var" / "secret_key")))
    )

ALLOWED_HOSTS = [h for h in os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h]
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o]

INSTALLED_APPS = [
    "xixin_dibao.admin_site.XixinAdminConfig",  # django.contrib.admin, every change audited
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "axes",
    "csp",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "import_export",
    "xixin_dibao",
    "households",
    "screening",
    "verification",
    "archives",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Content-Security-Policy on every response (issue 19.11); settings at CONTENT_SECURITY_POLICY.
    "csp.middleware.CSPMiddleware",
    # The app serves its own static files (township intranet: no CDN, no separate web server needed).
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "xixin_dibao.audit.AuditContextMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "xixin_dibao.middleware.SessionLifetimeMiddleware",
    "xixin_dibao.otp.OTPRequiredMiddleware",
    "xixin_dibao.middleware.PasswordExpiryMiddleware",
    "xixin_dibao.roles.SeparationOfDutiesMiddleware",
    "xixin_dibao.middleware.LeadershipAggregatesOnlyMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "xixin_dibao.middleware.NoStoreMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "xixin_dibao.urls"
WSGI_APPLICATION = "xixin_dibao.wsgi.application"

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
                "xixin_dibao.context_processors.app_context",
            ],
        },
    },
]

# Database: SQLite (embedded, one office PC) unless DATABASE_URL names another server.
DATABASE_URL = os.environ.get("DATABASE_URL", "")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
else:
    (BASE_DIR / "var").mkdir(exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.environ.get("SQLITE_PATH", str(BASE_DIR / "var" / "db.sqlite3")),
            "OPTIONS": {
                # Writers queue (IMMEDIATE + busy timeout) instead of failing with "database is locked".
                "transaction_mode": "IMMEDIATE",
                "timeout": 30,
                "init_command": (
                    "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
                    "PRAGMA busy_timeout=30000; PRAGMA foreign_keys=ON;"
                ),
            },
            # Tests run on a file database with the same WAL + busy timeout as production: the
            # shared-cache in-memory default locks whole tables ("database table is locked")
            # when a job thread writes while the test reads, and ignores the busy timeout.
            "TEST": {
                "NAME": os.environ.get("SQLITE_TEST_PATH")
                or str(Path(tempfile.gettempdir()) / f"xixin-test-{os.getpid()}.sqlite3")
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "xixin_dibao.User"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    # ModelBackend without permission rows for the three administrators, plus their fixed rights.
    "xixin_dibao.roles.AppModelBackend",
    "xixin_dibao.roles.RoleBackend",
]

# Second factor (等保 level 3 身份鉴别 (d)): TOTP for 民政办 and administrators. On in production;
# `make run` (demo) turns it off and every page says so.
OTP_REQUIRED = envbool("OTP_REQUIRED", "True")
OTP_TOTP_ISSUER = "洗新乡低保平台"
# Nobody, not even the security administrator, reads another user's TOTP secret in the admin.
OTP_ADMIN_HIDE_SENSITIVE_DATA = True

# Password policy, 等保 level-3 default profile (configurable).
PASSWORD_MIN_LENGTH = envint("PASSWORD_MIN_LENGTH", "8")
PASSWORD_MIN_CLASSES = envint("PASSWORD_MIN_CLASSES", "3")
PASSWORD_EXPIRY_DAYS = envint("PASSWORD_EXPIRY_DAYS", "90")
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": PASSWORD_MIN_LENGTH},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {
        "NAME": "xixin_dibao.passwords.CharacterClassValidator",
        "OPTIONS": {"min_classes": PASSWORD_MIN_CLASSES},
    },
    {
        "NAME": "xixin_dibao.passwords.PasswordHistoryValidator",
        "OPTIONS": {"remember": envint("PASSWORD_HISTORY", "5")},
    },
]

# Login lockout (django-axes): 5 failures per username + IP, cool-off in minutes.
AXES_FAILURE_LIMIT = envint("LOGIN_FAILURE_LIMIT", "5")
LOGIN_COOLOFF_MINUTES = envint("LOGIN_COOLOFF_MINUTES", "15")
AXES_COOLOFF_TIME = LOGIN_COOLOFF_MINUTES / 60
# The client address: X-Forwarded-For is believed only from these proxies (the nginx in front).
TRUSTED_PROXIES = [p.strip() for p in os.environ.get("TRUSTED_PROXIES", "").split(",") if p.strip()]
AXES_CLIENT_IP_CALLABLE = "xixin_dibao.login_guard.client_ip"
AXES_LOCKOUT_CALLABLE = "xixin_dibao.login_guard.lockout_response"
# Progressive delay before the lockout: 1, 2, 4 … seconds after the 2nd, 3rd, 4th failure.
LOGIN_DELAY_BASE_SECONDS = envint("LOGIN_DELAY_BASE_SECONDS", "1")
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False

# Sessions: idle timeout and absolute lifetime (等保: 登录连接超时自动退出).
SESSION_IDLE_TIMEOUT_MINUTES = envint("SESSION_IDLE_TIMEOUT_MINUTES", "30")
SESSION_ABSOLUTE_HOURS = envint("SESSION_ABSOLUTE_HOURS", "12")
SESSION_COOKIE_AGE = SESSION_ABSOLUTE_HOURS * 3600
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "zh-hans"
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "xixin_dibao" / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
STATIC_ROOT.mkdir(exist_ok=True)  # `collectstatic` target; WhiteNoise expects it to exist
# Serve straight from the app's static folders, so `make run` and gunicorn need no collectstatic.
WHITENOISE_USE_FINDERS = True
# Uploaded scans and generated files: outside the web root, served only through permission views.
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", str(BASE_DIR / "var" / "media")))
PRIVATE_STORAGE_ROOT = MEDIA_ROOT

# Upload limits.
UPLOAD_MAX_BYTES = envint("UPLOAD_MAX_BYTES", str(10 * 1024 * 1024))
IMPORT_MAX_ROWS = envint("IMPORT_MAX_ROWS", "50000")
# Larger imports and exports run as background jobs with a progress page.
IMPORT_INLINE_MAX_BYTES = envint("IMPORT_INLINE_MAX_BYTES", str(256 * 1024))
EXPORT_INLINE_MAX_ROWS = envint("EXPORT_INLINE_MAX_ROWS", "5000")
# Scans (issue 19.2): pixels checked from the header before decoding, PDF pages and objects
# capped, and every scan parsed in a child process with these memory and time limits.
SCAN_MAX_PIXELS = envint("SCAN_MAX_PIXELS", str(40_000_000))  # A4 at 600 dpi is 35 million
SCAN_MAX_PDF_PAGES = envint("SCAN_MAX_PDF_PAGES", "200")
SCAN_MAX_PDF_OBJECTS = envint("SCAN_MAX_PDF_OBJECTS", "20000")
SCAN_MEMORY_MB = envint("SCAN_MEMORY_MB", "768")
SCAN_TIMEOUT_SECONDS = envint("SCAN_TIMEOUT_SECONDS", "20")
DATA_UPLOAD_MAX_MEMORY_SIZE = UPLOAD_MAX_BYTES + 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

# The ID-number duplicate check answers at most this many requests a minute per user.
ID_CHECK_PER_MINUTE = envint("ID_CHECK_PER_MINUTE", "30")

# The app's idea of "today": pinned for demonstration and training (a banner shows it).
APP_TODAY = envdate("APP_TODAY")

# Backups are encrypted with this key (32 bytes, URL-safe base64; `manage.py backup --new-key`).
BACKUP_KEY = os.environ.get("BACKUP_KEY", "")

# Audit retention (网络安全法: at least six months).
AUDIT_RETENTION_DAYS = max(envint("AUDIT_RETENTION_DAYS", "365"), 184)

# Celery: a real broker when REDIS_URL is set, otherwise tasks run in-process.
REDIS_URL = os.environ.get("REDIS_URL", "")
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = REDIS_URL or None
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
# Without a broker, background jobs run in a thread of the web process (see xixin_dibao/jobs.py).
EMBEDDED_JOBS_IN_THREADS = envbool("EMBEDDED_JOBS_IN_THREADS", "True")
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# A dead worker's task comes back after the visibility timeout (issue 19.10: minutes, not 4 h).
# A long task keeps its job's heartbeat fresh, so an early redelivery of a live task is
# recognised and dropped (xixin_dibao.jobs.claimed); tasks are idempotent by job id.
JOB_VISIBILITY_TIMEOUT = envint("JOB_VISIBILITY_TIMEOUT", "600")
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": JOB_VISIBILITY_TIMEOUT}
JOB_HEARTBEAT_SECONDS = envint("JOB_HEARTBEAT_SECONDS", "30")
JOB_HEARTBEAT_STALE_SECONDS = envint("JOB_HEARTBEAT_STALE_SECONDS", "120")
# No heartbeat for this long: the job is failed (after Celery had its chance to redeliver it).
JOB_ABANDONED_SECONDS = envint("JOB_ABANDONED_SECONDS", str(JOB_VISIBILITY_TIMEOUT + 300))
JOB_UPLOAD_GRACE_SECONDS = envint("JOB_UPLOAD_GRACE_SECONDS", "600")
CELERY_TASK_SOFT_TIME_LIMIT = 3000
CELERY_TASK_TIME_LIMIT = 3600
CELERY_WORKER_MAX_TASKS_PER_CHILD = 200
CELERY_TIMEZONE = TIME_ZONE
# Long CPU-bound work on its own queues, so a dossier batch or a county screening run never
# holds up imports, exports and deadline jobs on the default queue.
CELERY_TASK_ROUTES = {
    "archives.tasks.*": {"queue": "dossiers"},
    "screening.tasks.*": {"queue": "screening"},
}
CELERY_BEAT_SCHEDULE = {
    "enforce-deadlines": {"task": "verification.tasks.enforce_deadlines", "schedule": 3600.0},
    "refresh-dashboard": {"task": "xixin_dibao.tasks.refresh_dashboard", "schedule": 300.0},
    "purge-audit": {"task": "xixin_dibao.tasks.purge_old_audit", "schedule": 86400.0},
    "recover-jobs": {"task": "xixin_dibao.tasks.recover_jobs", "schedule": 120.0},
}

CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

# PDF fonts: Debian's fonts-noto-cjk (installed by `make run` / `make test`).
PDF_FONT_FAMILY = os.environ.get("PDF_FONT_FAMILY", "Noto Sans CJK SC")

IMPORT_EXPORT_USE_TRANSACTIONS = True
IMPORT_EXPORT_SKIP_ADMIN_LOG = True

# Production hardening (also checked by `make check-deploy`).
if SECURE_PRODUCTION:
    SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", "True")
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", "31536000")
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    # Preload lists are hard to leave again: only when the operator asks for it (issue 19.11).
    SECURE_HSTS_PRELOAD = envbool("SECURE_HSTS_PRELOAD", "False")
    if not SECURE_HSTS_PRELOAD:  # off on purpose, so `check --deploy` need not warn (W021)
        SILENCED_SYSTEM_CHECKS = ["security.W021"]
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# Content-Security-Policy (issue 19.11): this server only, and no inline script or style at all.
# Scripts live in static/js, styles in static/css; data for scripts travels in data-* attributes
# or `json_script` (type=application/json, which is data, not script). The one inline <style> is
# the printable notice's (templates/pdf/base.html, shared with WeasyPrint): it carries the
# request's nonce. tests/security/test_csp.py walks every page and every template for this.
# CSP_REPORT_ONLY=1 sends the same policy as Content-Security-Policy-Report-Only instead, to try
# a change on a live installation without blocking anything; the default enforces it.
csp_policy = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, NONCE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
if envbool("CSP_REPORT_ONLY", "False"):
    CONTENT_SECURITY_POLICY = None
    CONTENT_SECURITY_POLICY_REPORT_ONLY = csp_policy
else:
    CONTENT_SECURITY_POLICY = csp_policy

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"mask_pi": {"()": "xixin_dibao.logging.MaskPersonalDataFilter"}},
    "formatters": {
        "plain": {
            "()": "xixin_dibao.logging.MaskingFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s %(message)s",
        }
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["mask_pi"],
            "formatter": "plain",
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        # runserver's access log: through the masking handler, not Django's own (issue 19.6).
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "django.db.backends": {"level": "WARNING"},
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}
