"""Settings, all read from environment variables (documented in docs/deploy.md).

Defaults give a working single-machine hall on SQLite; production sets DATABASE_URL (PostgreSQL),
SECRET_KEY, ALLOWED_HOSTS and, for several app servers, REDIS_URL.
"""

import os
import secrets
from pathlib import Path

import dj_database_url
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent
VAR_DIR = Path(os.environ.get("YICHUANG_VAR_DIR", BASE_DIR.parent.parent / "var"))


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def _secret_key() -> str:
    """SECRET_KEY from the environment; else one generated once and kept in VAR_DIR.

    A key kept on disk lets several processes on one machine (server, worker) agree without setup;
    a deployment with several machines sets SECRET_KEY explicitly.
    """
    if key := os.environ.get("SECRET_KEY"):
        return key
    path = VAR_DIR / "secret_key"
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(50)
        path.write_text(key)
        path.chmod(0o600)
        return key


DEBUG = env_bool("DEBUG")
SECRET_KEY = _secret_key()
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "axes",
    "ninja",
    "django_tasks_db",
    "yichuang.core",
    "yichuang.organisation",
    "yichuang.catalogue",
    "yichuang.situation",
    "yichuang.clock",
    "yichuang.queue",
    "yichuang.notifications",
    "yichuang.portal",
    "yichuang.intake",
    "yichuang.prefill",
    "yichuang.assistance",
    "yichuang.backoffice",
    "yichuang.supervision",
    "yichuang.output",
    "yichuang.feedback",
    "yichuang.licences",
    "yichuang.fees",
    "yichuang.performance",
    "yichuang.hall",
    "yichuang.knowledge",
    "yichuang.consultation",
    "yichuang.video",
    "yichuang.exchange",
    "yichuang.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Before anything reads the request: bodies over MAX_REQUEST_BYTES, NUL bytes in paths and cookies.
    "yichuang.core.middleware.RequestLimits",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "yichuang.core.links.RequestMiddleware",  # links follow the address a page was requested at
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    # Last, as django-axes requires: it turns a locked-out login into a 429 page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "yichuang.urls"
WSGI_APPLICATION = "yichuang.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    }
]

# --- Database ------------------------------------------------------------------------------------
DATABASE_URL = os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'yichuang.sqlite3'}"
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A busy hall writes from many windows at once: WAL lets readers run beside the writer,
    # IMMEDIATE transactions take the write lock up front (no deadlock on lock upgrade), and the
    # busy timeout makes a writer wait instead of failing with "database is locked".
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
    }
    if not DATABASES["default"]["NAME"] == ":memory:":
        Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
# Each test run on PostgreSQL gets its own database, so that parallel runs on one server do not collide.
if DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3":
    if env_bool("DATABASE_PREPARED_STATEMENTS", True):
        # Parameters bound by the server, and a statement prepared once per connection after its second use:
        # the same statements come again on every intake, so PostgreSQL no longer parses and plans each one
        # (a quarter less database time an intake). Off behind a pooler that cannot keep prepared statements
        # (PgBouncer in transaction mode before 1.21).
        DATABASES["default"].setdefault("OPTIONS", {}).update(server_side_binding=True, prepare_threshold=2)
    DATABASES["default"]["TEST"] = {"NAME": os.environ.get("YICHUANG_TEST_DB") or f"test_yichuang_{os.getpid()}"}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache: Redis when several app servers share state, else the database --------------------
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "yichuang_cache"}
    }

# --- Background tasks ---------------------------------------------------------------------------
TASKS = {"default": {"BACKEND": os.environ.get("TASKS_BACKEND", "django_tasks_db.DatabaseBackend")}}
# Periodic jobs, started by the task worker itself (`yichuang worker`, yichuang.core.periodic; docs/deploy.md).
# The back office's sweep (warnings, overdue deferrals, reminders, default ratings): every this many seconds.
BACKOFFICE_SWEEP_SECONDS = max(10, int(os.environ.get("BACKOFFICE_SWEEP_SECONDS", "300")))
# Delivery of every notification that is due (retries; messages whose after-commit task was lost).
NOTIFICATION_CATCHUP_SECONDS = max(10, int(os.environ.get("NOTIFICATION_CATCHUP_SECONDS", "60")))
# Each worker writes its heartbeat and looks for due jobs this often; silent for 3 beats, it counts as stopped.
WORKER_HEARTBEAT_SECONDS = max(1, int(os.environ.get("WORKER_HEARTBEAT_SECONDS", "15")))
# One-time form tokens (yichuang.core.once): a form can be sent for this long after it was shown (a repeat is sent
# to the first result); older tokens are refused and removed by the periodic job every FORM_TOKEN_CLEANUP_SECONDS.
FORM_TOKEN_SECONDS = max(600, int(os.environ.get("FORM_TOKEN_SECONDS", str(3 * 24 * 3600))))
FORM_TOKEN_CLEANUP_SECONDS = max(60, int(os.environ.get("FORM_TOKEN_CLEANUP_SECONDS", "3600")))
# Calls nobody answered, calls both of whose sides vanished, old signalling rows (the periodic job video.sweep).
VIDEO_SWEEP_SECONDS = max(10, int(os.environ.get("VIDEO_SWEEP_SECONDS", "60")))
# Appointment reminders (the day before from 09:00, and an hour before the slot): the periodic job's period.
APPOINTMENT_REMINDER_SECONDS = max(10, int(os.environ.get("APPOINTMENT_REMINDER_SECONDS", "300")))
# The performance report's daily rollup: the periodic job performance.rollup builds the days not rolled up yet.
PERFORMANCE_ROLLUP_SECONDS = max(60, int(os.environ.get("PERFORMANCE_ROLLUP_SECONDS", "600")))
# The live hall (/hall/): its manager's alerts are checked every HALL_ALERT_SECONDS (the periodic job hall.alerts);
# its state is computed at most once every HALL_LIVE_CACHE_SECONDS per site, whoever asks; pages poll every
# HALL_POLL_SECONDS.
HALL_ALERT_SECONDS = max(10, int(os.environ.get("HALL_ALERT_SECONDS", "30")))
HALL_LIVE_CACHE_SECONDS = max(1, int(os.environ.get("HALL_LIVE_CACHE_SECONDS", "2")))
HALL_POLL_SECONDS = max(1, int(os.environ.get("HALL_POLL_SECONDS", "3")))
# The capacity page's accuracy of past weeks' wait estimates is replayed at most once in this time per zone.
HALL_ACCURACY_CACHE_SECONDS = max(0, int(os.environ.get("HALL_ACCURACY_CACHE_SECONDS", "3600")))

# --- exchange with the provincial platform (exchange app)
# Where the outbox goes (docs/exchange.md): empty = no exchange (nothing is written to the outbox); a front
# database (postgresql://user:pw@host/db?schema=s, mysql://user:pw@host/db) or an http(s):// endpoint.
EXCHANGE_TARGET = os.environ.get("EXCHANGE_TARGET", "")
EXCHANGE_SECRET = os.environ.get("EXCHANGE_SECRET", "")  # HMAC-SHA256 key of the HTTP target's signature
EXCHANGE_TABLE_PREFIX = os.environ.get("EXCHANGE_TABLE_PREFIX", "yc_")  # the front database's table names
EXCHANGE_BATCH_SIZE = max(1, int(os.environ.get("EXCHANGE_BATCH_SIZE", "500")))
EXCHANGE_TIMEOUT = max(1.0, float(os.environ.get("EXCHANGE_TIMEOUT", "10")))
EXCHANGE_MAX_ATTEMPTS = max(1, int(os.environ.get("EXCHANGE_MAX_ATTEMPTS", "20")))
EXCHANGE_RETRY_BASE_SECONDS = max(1, int(os.environ.get("EXCHANGE_RETRY_BASE_SECONDS", "30")))
EXCHANGE_RETRY_MAX_SECONDS = max(1, int(os.environ.get("EXCHANGE_RETRY_MAX_SECONDS", "3600")))
EXCHANGE_DRAIN_SECONDS = max(5, int(os.environ.get("EXCHANGE_DRAIN_SECONDS", "30")))  # the periodic job

# --- Accounts and security ----------------------------------------------------------------------
AUTH_USER_MODEL = "organisation.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "start"
LOGOUT_REDIRECT_URL = "start"

# Login throttling (django-axes keeps its counters in the database, shared by all app servers).
AXES_FAILURE_LIMIT = int(os.environ.get("LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = float(os.environ.get("LOGIN_COOLOFF_HOURS", "0.25"))
# Locked per account and address (someone guessing one account's password) and per address alone, at its own higher
# limit (password spraying: one guess for each of many accounts); core.logins.LoginLimits applies the two limits.
# The address is the one the rate limits use (behind the TLS proxy, the address the proxy appended).
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "ip_address"]
LOGIN_FAILURE_LIMIT_PER_ADDRESS = int(os.environ.get("LOGIN_FAILURE_LIMIT_PER_ADDRESS", "30"))
AXES_HANDLER = "yichuang.core.logins.LoginLimits"
AXES_CLIENT_IP_CALLABLE = "yichuang.queue.ratelimit.client_key"
AXES_RESET_ON_SUCCESS = True
# A locked-out sign-in is the 429 page with the reason and how long (core.errors.login_locked_out).
AXES_LOCKOUT_CALLABLE = "yichuang.core.errors.login_locked_out"
AXES_ENABLED = env_bool("LOGIN_THROTTLE", True)
AXES_VERBOSE = False

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = int(os.environ.get("SESSION_HOURS", "10")) * 3600
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
# Behind HTTPS (docs/deploy.md) set SECURE_COOKIES=1: session and CSRF cookies then never travel
# over plain HTTP. Off by default so that the demo works on http://127.0.0.1.
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = env_bool("SECURE_COOKIES")
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("BEHIND_TLS_PROXY") else None
# HSTS once the site is served over TLS (SECURE_COOKIES=1 says it is): browsers then refuse plain HTTP to this host
# for HSTS_SECONDS (default a year). HSTS_INCLUDE_SUBDOMAINS=1 only if every subdomain is on HTTPS too.
SECURE_HSTS_SECONDS = int(os.environ.get("HSTS_SECONDS") or (31536000 if SESSION_COOKIE_SECURE else 0))
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("HSTS_INCLUDE_SUBDOMAINS")
SECURE_HSTS_PRELOAD = False
SECURE_CONTENT_TYPE_NOSNIFF = True
# A failed CSRF check (a form left open past the session) is a Chinese page with a way back.
CSRF_FAILURE_VIEW = "yichuang.core.errors.csrf_failure"
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Content-Security-Policy: everything from this server only; inline scripts only with the nonce.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF, CSP.UNSAFE_INLINE],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "frame-ancestors": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF],
}

# --- Language and time ---------------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- Static and uploaded files -------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", VAR_DIR / "static"))
# Front-end libraries come from the npm registry (package.json), never committed.
NODE_MODULES_DIR = Path(os.environ.get("NODE_MODULES_DIR", BASE_DIR.parent.parent / "node_modules"))
# Only each package's built files are exposed, under /static/vendor/<name>/.
VENDOR_PACKAGES = {"htmx": "htmx.org/dist", "echarts": "echarts/dist"}
STATICFILES_DIRS = [
    (f"vendor/{name}", NODE_MODULES_DIR / path)
    for name, path in VENDOR_PACKAGES.items()
    if (NODE_MODULES_DIR / path).is_dir()
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = True
MEDIA_URL = "media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 20 * 1024 * 1024

# --- Logging: personal data never reaches a log line ---------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "mask_personal_data": {"()": "yichuang.core.masking.MaskPersonalDataFilter"},
        "one_line_client_errors": {"()": "yichuang.core.logs.OneLineClientErrors"},
    },
    "handlers": {
        # A refused request (403, 413 …) is one line with its reason; a 500 keeps its traceback.
        "console": {"class": "logging.StreamHandler", "filters": ["one_line_client_errors", "mask_personal_data"]},
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}

# --- The hall ------------------------------------------------------------------------------------
# Links in QR codes, printed documents and messages (core/links.py). PUBLIC_URL, when set, is the address of them
# all; empty, they follow the address a page was requested at, and messages built without a request (the task
# worker) use SERVING_URL, which `yichuang demo` sets for its processes to the address it serves.
PUBLIC_URL = os.environ.get("PUBLIC_URL", "").rstrip("/")
SERVING_URL = os.environ.get("SERVING_URL", "http://127.0.0.1:8000").rstrip("/")
# Public ticket and booking endpoints, per client address: "burst/seconds" (a token bucket in the cache).
QUEUE_TICKET_RATE = os.environ.get("QUEUE_TICKET_RATE", "40/60")

# --- message channels (notifications app) ------------------------------------------------------------
# The outbox, delivered by the task worker, one backend per channel (docs/channels.md, docs/deploy.md). With DEBUG off
# the console backend fails the system check (notifications.E004) unless NOTIFICATION_CONSOLE_ALLOWED (demos only).
NOTIFICATION_BACKEND = os.environ.get("NOTIFICATION_BACKEND", "yichuang.notifications.backends.ConsoleBackend")
NOTIFICATION_CONSOLE_ALLOWED = env_bool("NOTIFICATION_CONSOLE_ALLOWED")
NOTIFICATION_MAX_ATTEMPTS = int(os.environ.get("NOTIFICATION_MAX_ATTEMPTS", "10"))
NOTIFICATION_RETRY_BASE_SECONDS = int(os.environ.get("NOTIFICATION_RETRY_BASE_SECONDS", "60"))
NOTIFICATION_RETRY_MAX_SECONDS = int(os.environ.get("NOTIFICATION_RETRY_MAX_SECONDS", "3600"))
# SMS: the generic HTTP gateway (WebhookBackend): signed POSTs, delivery receipts at /notifications/receipts/sms/.
NOTIFICATION_WEBHOOK_URL = os.environ.get("NOTIFICATION_WEBHOOK_URL", "")
NOTIFICATION_WEBHOOK_SECRET = os.environ.get("NOTIFICATION_WEBHOOK_SECRET", "")
NOTIFICATION_WEBHOOK_TIMEOUT = float(os.environ.get("NOTIFICATION_WEBHOOK_TIMEOUT", "10"))
NOTIFICATION_SMS_API_KEY = os.environ.get("NOTIFICATION_SMS_API_KEY", "")
NOTIFICATION_RECEIPT_MAX_AGE = int(os.environ.get("NOTIFICATION_RECEIPT_MAX_AGE", "300"))
# E-mail (EmailBackend), through Django's mailer "default" (MAILERS); empty backend: the channel is off.
NOTIFICATION_EMAIL_BACKEND = os.environ.get("NOTIFICATION_EMAIL_BACKEND", "")
_MAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
MAILERS = {
    "default": {
        "BACKEND": _MAIL_BACKEND,
        "OPTIONS": {
            "host": os.environ.get("EMAIL_HOST", "localhost"),
            "port": int(os.environ.get("EMAIL_PORT", "25")),
            "username": os.environ.get("EMAIL_HOST_USER", ""),
            "password": os.environ.get("EMAIL_HOST_PASSWORD", ""),
            "use_tls": env_bool("EMAIL_USE_TLS"),
            "use_ssl": env_bool("EMAIL_USE_SSL"),
            "timeout": int(os.environ.get("EMAIL_TIMEOUT", "10")),
        }
        if _MAIL_BACKEND.endswith(".smtp.EmailBackend")
        else {},
    }
}
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "webmaster@localhost")
# WeChat template messages (WechatBackend, through an adapter); empty backend: the channel is off.
NOTIFICATION_WECHAT_BACKEND = os.environ.get("NOTIFICATION_WECHAT_BACKEND", "")
NOTIFICATION_WECHAT_ADAPTER = os.environ.get(
    "NOTIFICATION_WECHAT_ADAPTER", "yichuang.notifications.wechat.HttpTemplateAdapter"
)
NOTIFICATION_WECHAT_TOKEN_URL = os.environ.get("NOTIFICATION_WECHAT_TOKEN_URL", "")
NOTIFICATION_WECHAT_SEND_URL = os.environ.get("NOTIFICATION_WECHAT_SEND_URL", "")
NOTIFICATION_WECHAT_APP_ID = os.environ.get("NOTIFICATION_WECHAT_APP_ID", "")
NOTIFICATION_WECHAT_APP_SECRET = os.environ.get("NOTIFICATION_WECHAT_APP_SECRET", "")
NOTIFICATION_WECHAT_TIMEOUT = float(os.environ.get("NOTIFICATION_WECHAT_TIMEOUT", "10"))
# Template id per message kind, JSON ({"accepted": "…", "*": "…"}); a kind without one goes by SMS.
from json import loads as _channel_json  # noqa: E402  (kept in this block)

NOTIFICATION_WECHAT_TEMPLATES = _channel_json(os.environ.get("NOTIFICATION_WECHAT_TEMPLATES", "") or "{}")

# --- Intake ---------------------------------------------------------------------------------------
# Largest scanned or uploaded material accepted at intake, in MB (PDF, JPEG, PNG, OFD).
INTAKE_MAX_UPLOAD_MB = int(os.environ.get("INTAKE_MAX_UPLOAD_MB", "20"))
# The largest request body accepted at all, in bytes: a little above the largest upload, so that one material with
# its form goes through and anything larger is answered 413 before it is read (core.middleware.RequestLimits).
MAX_REQUEST_BYTES = int(os.environ.get("MAX_REQUEST_BYTES") or (INTAKE_MAX_UPLOAD_MB + 10) * 1024 * 1024)

# --- Online hall (网上办事大厅) -------------------------------------------------------------------------
# Sign-in codes per phone and per client address, progress lookups per client address ("burst/seconds",
# the token bucket of yichuang.queue.ratelimit).
PORTAL_CODE_RATE = os.environ.get("PORTAL_CODE_RATE", "1/60")
PORTAL_CODE_CLIENT_RATE = os.environ.get("PORTAL_CODE_CLIENT_RATE", "20/3600")
PORTAL_LOOKUP_RATE = os.environ.get("PORTAL_LOOKUP_RATE", "10/300")
# Pre-filled applications (预填): how long a code stays valid, and how many a kiosk (a client address) may make.
PREFILL_DAYS = int(os.environ.get("PREFILL_DAYS", "30"))
PREFILL_RATE = os.environ.get("PREFILL_RATE", "20/600")
PREFILL_CLEANUP_SECONDS = max(60, int(os.environ.get("PREFILL_CLEANUP_SECONDS", "3600")))
# Online questions (我要咨询) per client address, same format: a family asking a few things passes, a script not.
CONSULT_ASK_RATE = os.environ.get("CONSULT_ASK_RATE", "10/3600")
# Failed progress lookups per submission number, from any address (numbers are sequential); then the number is
# refused until the bucket refills, and the applicant is told by message once per period (portal.services.lookup).
PORTAL_LOOKUP_NUMBER_RATE = os.environ.get("PORTAL_LOOKUP_NUMBER_RATE", "5/3600")
# How long an applicant's sign-in lasts.
PORTAL_SESSION_MINUTES = int(os.environ.get("PORTAL_SESSION_MINUTES", "120"))

# --- Remote video (远程视频; docs/deploy.md "Remote video") -----------------------------------------------
# ICE servers given to every RTCPeerConnection, as JSON: [] uses host candidates only (peers on one LAN);
# add the hall's coturn, e.g. [{"urls": ["turn:turn.hall.lan:3478"], "username": "…", "credential": "…"}].
from json import loads as _json_loads  # noqa: E402  (kept in this block: the video settings stay together)

VIDEO_ICE_SERVERS = _json_loads(os.environ.get("VIDEO_ICE_SERVERS") or "[]")
# The hall's coturn with time-limited credentials (turnserver.conf: use-auth-secret, static-auth-secret=<same>):
# VIDEO_TURN_URLS="turn:turn.hall.lan:3478?transport=udp,turns:turn.hall.lan:5349" and the shared secret.
VIDEO_TURN_URLS = [url.strip() for url in os.environ.get("VIDEO_TURN_URLS", "").split(",") if url.strip()]
VIDEO_TURN_SECRET = os.environ.get("VIDEO_TURN_SECRET", "")
VIDEO_TURN_TTL = int(os.environ.get("VIDEO_TURN_TTL", "43200"))
# Anonymous calls placed per client address ("burst/seconds", the token bucket of yichuang.queue.ratelimit).
VIDEO_CALL_RATE = os.environ.get("VIDEO_CALL_RATE", "10/600")

# --- fees (fees app; docs/fees.md) -----------------------------------------------------------------
# The payment gateway (统一公共支付平台): "simulator" (the default: the demo's and the tests' platform — NEVER in
# production), "http" (the generic JSON-over-HTTP adapter) or a dotted path to another fees.gateways.Gateway.
FEES_GATEWAY = os.environ.get("FEES_GATEWAY", "simulator")
# The HTTP adapter: the platform's base address, the shared secret signing requests and callbacks both ways
# (HMAC-SHA256, as the notifications' webhook), the timeout of one request in seconds.
FEES_GATEWAY_URL = os.environ.get("FEES_GATEWAY_URL", "")
FEES_GATEWAY_SECRET = os.environ.get("FEES_GATEWAY_SECRET", "")
FEES_GATEWAY_TIMEOUT = float(os.environ.get("FEES_GATEWAY_TIMEOUT", "10"))
# The address the platform calls back (given to it with every notice): <PUBLIC_URL>/fees/callback/.
FEES_CALLBACK_URL = os.environ.get("FEES_CALLBACK_URL", "")
# A callback whose signed timestamp is further than this from now is refused (replays).
FEES_CALLBACK_MAX_AGE_SECONDS = int(os.environ.get("FEES_CALLBACK_MAX_AGE_SECONDS", "300"))
# Retries of a notice or refund the platform did not take: base × 2^(attempt-1) seconds, at most the max.
FEES_RETRY_BASE_SECONDS = int(os.environ.get("FEES_RETRY_BASE_SECONDS", "30"))
FEES_RETRY_MAX_SECONDS = int(os.environ.get("FEES_RETRY_MAX_SECONDS", "1800"))
# The periodic job fees.sync: its period; how often an open notice is polled; how many notices one run polls.
FEES_SYNC_SECONDS = max(10, int(os.environ.get("FEES_SYNC_SECONDS", "60")))
FEES_POLL_SECONDS = max(10, int(os.environ.get("FEES_POLL_SECONDS", "300")))
FEES_POLL_BATCH = int(os.environ.get("FEES_POLL_BATCH", "200"))
# The simulator's misbehaviour, e.g. "fail_first=1,fail_rate=0.2,delay=0.5,duplicates=1,drop_callbacks=0",
# and where it calls back (empty: in process, through the same signed entry as the endpoint).
FEES_SIMULATOR = os.environ.get("FEES_SIMULATOR", "duplicates=1")
FEES_SIMULATOR_CALLBACK_URL = os.environ.get("FEES_SIMULATOR_CALLBACK_URL", "")
# With DEBUG off the simulator fails the system check (fees.E001) and its 模拟缴费 button is off, unless a demonstration
# allows it (`make demo`, `make bench`): never in production.
FEES_SIMULATOR_ALLOWED = env_bool("FEES_SIMULATOR_ALLOWED")
