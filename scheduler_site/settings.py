"""Settings: every value comes from the environment, with safe local defaults.

With no environment at all the product runs on the embedded default: SQLite
for the database and for the Celery broker under ``var/``, DEBUG on, a generated
development secret. ``.env.example`` documents every variable.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured
from kombu import Exchange, Queue

from scheduler_site.lib.env import (
    env_bool,
    env_cache,
    env_db,
    env_float,
    env_int,
    env_list,
    env_rate,
    env_str,
)

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("VAR_DIR", str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env_bool("DEBUG", True)


def _secret_key() -> str:
    configured = env_str("SECRET_KEY", "")
    if configured:
        if not DEBUG and (len(configured) < 50 or configured.startswith("django-insecure")):
            raise ImproperlyConfigured(
                "SECRET_KEY is too weak for DEBUG=false: use at least 50 random characters."
            )
        return configured
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG=false.")
    # Development only: one generated key shared by web, worker and beat, kept
    # across restarts so sessions survive.
    key_file = VAR_DIR / "dev-secret-key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50))
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework_simplejwt",
    "rest_framework_simplejwt.token_blacklist",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "template_partials",
    "django_celery_beat",
    "scheduler_site",
    "workspaces",
    "campaigns",
    "templates_lib",
    "jobs",
    "schedules",
    "marketing",
    "planner",
    "accounts",
]

MIDDLEWARE = [
    # Outermost: every error answer under /api/ is JSON, whichever layer made it.
    "scheduler_site.api.middleware.APIErrorMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Ends web sessions older than the user's last "sign out everywhere".
    "accounts.middleware.SignedOutEverywhereMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # An API write answered 4xx gives its rate-limit hit back.
    "scheduler_site.api.throttling.RefundRejectedWritesMiddleware",
]

ROOT_URLCONF = "scheduler_site.urls"
WSGI_APPLICATION = "scheduler_site.wsgi.application"

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

# --- Database -----------------------------------------------------------------
DATABASES = {"default": env_db("DATABASE_URL", f"sqlite:///{VAR_DIR / 'db.sqlite3'}")}
DATABASES["default"]["CONN_MAX_AGE"] = env_int("CONN_MAX_AGE", 0, minimum=0)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
IS_SQLITE = DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3"
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # An unreachable PostgreSQL fails a request (and /healthz) within seconds
    # instead of the system's TCP timeout of minutes.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("connect_timeout", 3)
if IS_SQLITE:
    # Web, worker and beat share one file: WAL lets readers run beside the
    # writer, IMMEDIATE takes the write lock up front instead of failing later.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 30,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    # A file (not :memory:) so that worker processes started by tests see the
    # test database.
    _db_name = Path(DATABASES["default"]["NAME"]).stem
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test_{_db_name}.sqlite3")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache (throttling must be shared across processes in production) -------
_cache_url = env_str("CACHE_URL", "") or env_str("REDIS_URL", "") or "locmemcache://"
CACHES = {"default": env_cache("CACHE_URL", _cache_url)}
if CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache":
    # A Redis that is down or unreachable must cost a request a fraction of a
    # second (the client waits forever by default); the rate limits then count
    # per process for a few seconds (scheduler_site/lib/fallback_cache.py).
    CACHES["default"].setdefault("OPTIONS", {}).update(
        socket_connect_timeout=0.25, socket_timeout=0.25
    )

# --- Auth ---------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
# The throttle backend refuses sign-ins while a limit below is reached; it never
# authenticates anyone itself.
AUTHENTICATION_BACKENDS = [
    "accounts.backends.SignInThrottleBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Reverse proxies in front of the app that append to X-Forwarded-For. 0 ignores
# the header (the socket address is the client); N trusts the last N hops
# (scheduler_site/lib/client_ip.py). DRF's NUM_PROXIES uses the same number.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0, minimum=0)
# Failed sign-ins allowed per username and per client address (API token
# endpoint, login page and admin alike); further attempts get 429.
SIGN_IN_THROTTLE_RATES = {
    "username": env_rate("THROTTLE_SIGN_IN_USERNAME", "5/minute"),
    "ip": env_rate("THROTTLE_SIGN_IN_IP", "20/minute"),
}

# --- Internationalisation and time ---------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Static files -------------------------------------------------------------
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "staticfiles"
STATIC_ROOT.mkdir(exist_ok=True)  # collectstatic fills it in production
WHITENOISE_USE_FINDERS = DEBUG
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

# --- Security (production values whenever DEBUG is off) -----------------------
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31_536_000, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", not DEBUG)
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if env_bool("USE_X_FORWARDED_PROTO", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# --- REST API -------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # JWT first: its Bearer challenge makes unauthenticated requests a 401.
        # simplejwt's, also refusing tokens from before "sign out everywhere".
        "accounts.authentication.JWTAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # Every parser bounds JSON depth and size (scheduler_site/lib/json_limits.py).
    "DEFAULT_PARSER_CLASSES": [
        "scheduler_site.api.parsers.BoundedJSONParser",
        # Reads a JSON object sent with curl's default form content type.
        "scheduler_site.api.parsers.FormOrJSONObjectParser",
        "scheduler_site.api.parsers.BoundedMultiPartParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "scheduler_site.api.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.SearchFilter",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "scheduler_site.api.schema.AutoSchema",
    "DEFAULT_THROTTLE_CLASSES": ["scheduler_site.api.throttling.ActionRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "create": env_rate("THROTTLE_CREATE", "30/minute"),
        "list": env_rate("THROTTLE_LIST", "60/minute"),
        "get": env_rate("THROTTLE_GET", "100/minute"),
    },
    "EXCEPTION_HANDLER": "scheduler_site.api.errors.exception_handler",
    "NUM_PROXIES": TRUSTED_PROXY_COUNT,
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env_int("JWT_ACCESS_MINUTES", 30, minimum=1)),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=env_int("JWT_REFRESH_DAYS", 7, minimum=1)),
    "AUTH_HEADER_TYPES": ("Bearer",),
    # A refresh token is good for one exchange: the answer carries a new one and
    # the old is blacklisted.
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    # Tokens carry a hash of the password hash: a password change ends them all.
    "CHECK_REVOKE_TOKEN": True,
    "CHECK_USER_IS_ACTIVE": True,
    "TOKEN_OBTAIN_SERIALIZER": "accounts.serializers.TokenObtainPairSerializer",
    "TOKEN_REFRESH_SERIALIZER": "accounts.serializers.TokenRefreshSerializer",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Content calendar and scheduler API",
    "DESCRIPTION": (
        "Campaigns, job templates, jobs, scheduled jobs and the marketing calendar. "
        "Authenticate with `Authorization: Bearer <access>` from `/api/v1/auth/token/`."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Several models have a `status` field with different choices; name each
    # enum after its model (an app adding another adds its line here).
    "ENUM_NAME_OVERRIDES": {
        "CampaignStatusEnum": "campaigns.models.Campaign.Status",
        "CampaignRecurrenceTypeEnum": "campaigns.models.Campaign.RecurrenceType",
        "JobStatusEnum": "jobs.models.Job.Status",
        "ScheduledJobStatusEnum": "schedules.models.ScheduledJob.Status",
        "WaveTypeEnum": "marketing.models.Wave.Type",
    },
}

# --- Celery ---------------------------------------------------------------------
# The embedded default: an SQLite file under VAR_DIR, shared by web, beat and
# workers (scheduler_site/broker.py): transactional, nothing to install.
# Production: redis:// or amqp://. filesystem:// still works when set
# explicitly, but can hand a worker a half-written message (kombu #1551).
CELERY_BROKER_URL = env_str(
    "CELERY_BROKER_URL", f"sqlite:///{(VAR_DIR / 'celery-broker.sqlite3').resolve()}"
)
_broker_scheme = CELERY_BROKER_URL.partition(":")[0]
# Embedded brokers poll; kombu's default of 1s caps a worker at a few jobs per
# second and adds up to 1s of latency to every job.
_broker_poll_seconds = env_float(
    "CELERY_BROKER_POLL_SECONDS",
    env_float("CELERY_FILESYSTEM_POLL_SECONDS", 0.1, minimum=0.01),
    minimum=0.01,
)
if _broker_scheme == "sqlite":
    CELERY_BROKER_TRANSPORT_OPTIONS = {"polling_interval": _broker_poll_seconds}
elif _broker_scheme == "filesystem":
    _broker_dir = VAR_DIR / "celery-broker"
    for _sub in ("queue", "processed", "control"):
        (_broker_dir / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        # Exchange tables; kombu's default is ./control in the working directory.
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
        "polling_interval": _broker_poll_seconds,
    }
else:
    # With acks_late a message taken by a worker that died comes back after
    # this many seconds (Redis); keep it above the longest job timeout.
    _visibility_timeout = env_int("CELERY_VISIBILITY_TIMEOUT", 3600, minimum=1)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": _visibility_timeout,
        # kombu scans for expired unacked messages only every interval x
        # throttle seconds (100 s by default); scan every few seconds instead,
        # so a dead worker's message comes back soon after its timeout.
        "unacked_restore_interval": min(10, _visibility_timeout),
        "unacked_restore_throttle": 1,
    }
# Two queues: jobs (execute_job and anything else) on the default queue, and
# the periodic tasks (dispatcher, outbox sweeper, publisher, campaign
# lifecycle: every task in PERIODIC_TASKS) on their own, consumed by a worker
# of their own, so a backlog of jobs never delays or drops a tick. A worker
# started without -Q consumes both.
CELERY_TASK_DEFAULT_QUEUE = "celery"
CELERY_SCHEDULER_QUEUE = env_str("CELERY_SCHEDULER_QUEUE", "scheduler")
CELERY_TASK_QUEUES = tuple(
    Queue(name, Exchange(name), routing_key=name)
    for name in (CELERY_TASK_DEFAULT_QUEUE, CELERY_SCHEDULER_QUEUE)
)
CELERY_TASK_ROUTES = ("scheduler_site.celery.route_task",)
# Under `make run` (supervisord) each line says which process wrote it.
_process_name = env_str("SUPERVISOR_PROCESS_NAME", "")
if _process_name:
    _prefix = f"{_process_name:<9} | [%(asctime)s: %(levelname)s/%(processName)s]"
    CELERY_WORKER_LOG_FORMAT = f"{_prefix} %(message)s"
    CELERY_WORKER_TASK_LOG_FORMAT = f"{_prefix} %(task_name)s[%(task_id)s]: %(message)s"
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
CELERY_ENABLE_UTC = True
CELERY_BEAT_SCHEDULER = "schedules.beat:ResilientDatabaseScheduler"
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
# How long an enqueue may wait for an unreachable broker before giving up; the
# job row is already committed and the sweeper sends it later.
CELERY_BROKER_PUBLISH_TIMEOUT = env_float("CELERY_BROKER_PUBLISH_TIMEOUT", 2.0, minimum=0.1)

# The worker keeps reconnecting to a lost broker, waiting at most this long
# between attempts, so it resumes within seconds of the broker's return
# (jobs/worker_consumer.py).
CELERY_WORKER_CONSUMER = "jobs.worker_consumer:Consumer"
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
BROKER_RECONNECT_MAX_SECONDS = env_float("BROKER_RECONNECT_MAX_SECONDS", 2.0, minimum=0.1)

# Worker processes keep their database connection between tasks (Celery's
# Django fixup otherwise closes it before and after every task, ignoring
# CONN_MAX_AGE): it is recycled after CELERY_DB_REUSE_MAX tasks, after
# WORKER_CONN_MAX_AGE seconds, or after an error (jobs/worker_db.py).
CELERY_DB_REUSE_MAX = env_int("CELERY_DB_REUSE_MAX", 1000, minimum=0)
WORKER_CONN_MAX_AGE = env_int("WORKER_CONN_MAX_AGE", 300, minimum=0)

# --- Scheduling and execution ---------------------------------------------------
DISPATCH_INTERVAL_SECONDS = env_float("DISPATCH_INTERVAL_SECONDS", 1.0, minimum=0.1)
DISPATCH_BATCH_SIZE = env_int("DISPATCH_BATCH_SIZE", 500, minimum=1)
SWEEP_INTERVAL_SECONDS = env_int("SWEEP_INTERVAL_SECONDS", 5, minimum=1)
SWEEP_STALE_AFTER_SECONDS = env_int("SWEEP_STALE_AFTER_SECONDS", 60, minimum=1)
JOB_TIMEOUT_SECONDS = env_int("JOB_TIMEOUT_SECONDS", 900, minimum=1)
# Every worker writes a heartbeat this often; one silent for WORKER_STALE_SECONDS
# is gone, and the sweeper takes its runs back (jobs/liveness.py).
WORKER_HEARTBEAT_SECONDS = env_float("WORKER_HEARTBEAT_SECONDS", 3.0, minimum=0.1)
WORKER_STALE_SECONDS = env_float("WORKER_STALE_SECONDS", 15.0, minimum=1.0)
# How long a worker keeps retrying its writes (claim, outcome) through a
# database outage before giving the run up to the sweeper.
JOB_DB_RETRY_SECONDS = env_float("JOB_DB_RETRY_SECONDS", 300.0, minimum=0.0)
WEBHOOK_CONNECT_TIMEOUT = env_float("WEBHOOK_CONNECT_TIMEOUT", 5.0, minimum=0.1)
WEBHOOK_READ_TIMEOUT = env_float("WEBHOOK_READ_TIMEOUT", 30.0, minimum=0.1)
WEBHOOK_ALLOW_PRIVATE = env_bool("WEBHOOK_ALLOW_PRIVATE", DEBUG)
GITHUB_API_URL = env_str("GITHUB_API_URL", "https://api.github.com")
JOB_EXECUTORS = {
    "noop": "jobs.executors.NoopExecutor",
    "webhook": "jobs.executors.WebhookExecutor",
}
# Config keys naming another object (key -> (model label, noun)); apps add theirs.
JOB_CONFIG_REFERENCES: dict[str, tuple[str, str]] = {}

# Periodic tasks stored in the database (django-celery-beat), created or
# updated by `manage.py setup_periodic_tasks`; staff can edit them in the admin.
# name -> {"task": dotted task name, "every": seconds} or {"task", "crontab": "m h dom mon dow"}
PERIODIC_TASKS: dict[str, dict] = {}

# --- Schedules (issue 4) ------------------------------------------------------------
# Runs due within this many seconds are claimed early and sent with an ETA of
# their nominal time, so a tick of DISPATCH_INTERVAL_SECONDS still starts them on time.
DISPATCH_LOOKAHEAD_SECONDS = env_float("DISPATCH_LOOKAHEAD_SECONDS", 2.0, minimum=0.0)
# A herd (more runs due within DISPATCH_MAX_LOOKAHEAD_SECONDS than one batch) is
# claimed as much earlier as dispatching it takes at DISPATCH_RUNS_PER_SECOND (a
# conservative figure for one dispatcher; bench/herd_bench.py measures it), so it
# is all at the broker by its time (schedules/dispatcher.py herd_lookahead).
DISPATCH_MAX_LOOKAHEAD_SECONDS = env_float("DISPATCH_MAX_LOOKAHEAD_SECONDS", 60.0, minimum=0.0)
DISPATCH_RUNS_PER_SECOND = env_float("DISPATCH_RUNS_PER_SECOND", 500.0, minimum=1.0)
# One dispatcher run stops after this long even with work left (the next tick goes on).
DISPATCH_TIME_BUDGET_SECONDS = env_float("DISPATCH_TIME_BUDGET_SECONDS", 20.0, minimum=0.1)
# A scheduled_at this far in the past is still accepted on create (client clocks drift).
SCHEDULE_CLOCK_SKEW_SECONDS = env_int("SCHEDULE_CLOCK_SKEW_SECONDS", 60, minimum=0)
# A run that starts more than this long after its nominal time counts as late
# (the run ledger and /api/v1/schedule/status).
LATE_AFTER_SECONDS = env_int("LATE_AFTER_SECONDS", 60, minimum=0)
# django-celery-beat intervals are whole seconds: a sub-second DISPATCH_INTERVAL_SECONDS
# ticks every second, and the lookahead above keeps runs on time.
# Expired refresh tokens (and their blacklist rows) are pruned daily.
PERIODIC_TASKS["accounts.flush-expired-tokens"] = {
    "task": "accounts.tasks.flush_expired_tokens",
    "crontab": "17 3 * * *",
}
PERIODIC_TASKS["dispatch-due-schedules"] = {
    "task": "schedules.dispatch_due",
    "every": max(1, round(DISPATCH_INTERVAL_SECONDS)),
}

# --- Jobs (issue 3) ------------------------------------------------------------------
# The outbox sweeper: re-sends jobs the broker never got, fails jobs stuck running.
PERIODIC_TASKS["jobs.sweep-outbox"] = {
    "task": "jobs.tasks.sweep_outbox",
    "every": SWEEP_INTERVAL_SECONDS,
}
# Retry waits (jobs/retries.py): the first about this long (half of it fixed, half
# random), x JOB_RETRY_BACKOFF_FACTOR per attempt, capped; a job's config may set
# its own first wait (retry_backoff_seconds). The defaults spread three retries
# over about half an hour, long enough to outlast an ordinary outage of the target.
JOB_RETRY_BACKOFF_SECONDS = env_float("JOB_RETRY_BACKOFF_SECONDS", 60.0, minimum=0.01)
JOB_RETRY_BACKOFF_FACTOR = env_float("JOB_RETRY_BACKOFF_FACTOR", 5.0, minimum=1.0)
JOB_RETRY_BACKOFF_MAX_SECONDS = env_float("JOB_RETRY_BACKOFF_MAX_SECONDS", 1800.0, minimum=0.01)

# --- Marketing (issue 5) ---------------------------------------------------------------
JOB_EXECUTORS["github_dispatch"] = "marketing.executors.GithubDispatchExecutor"
# Job config keys that name marketing objects; each must be of the Job's own
# workspace (jobs/references.py), at create and again at run time.
JOB_CONFIG_REFERENCES.update(
    {
        "channel_account_id": ("marketing.ChannelAccount", "channel"),
        "marketing_post_id": ("marketing.Post", "post"),
    }
)
# Days of planned slots the daily top-off keeps ahead (1-90).
MARKETING_TOPOFF_DAYS = env_int("MARKETING_TOPOFF_DAYS", 28, minimum=1)
# How often the publisher claims due posts, and how many per transaction.
MARKETING_PUBLISH_INTERVAL_SECONDS = env_int("MARKETING_PUBLISH_INTERVAL_SECONDS", 5, minimum=1)
MARKETING_PUBLISH_BATCH_SIZE = env_int("MARKETING_PUBLISH_BATCH_SIZE", 500, minimum=1)
# A due post the publisher first sees later than this is marked missed, not sent late.
MARKETING_PUBLISH_GRACE_SECONDS = env_int("MARKETING_PUBLISH_GRACE_SECONDS", 3600, minimum=1)
# Daily top-off at 02:00 server time (UTC, CELERY_TIMEZONE), as the seed says; the
# horizon rolls from "now", so the hour only decides when new days appear.
PERIODIC_TASKS["marketing.topoff-daily"] = {
    "task": "marketing.tasks.topoff_marketing_slots",
    "crontab": "0 2 * * *",
    "timezone": "UTC",
}
PERIODIC_TASKS["marketing.publish-due-posts"] = {
    "task": "marketing.tasks.publish_due_posts",
    "every": MARKETING_PUBLISH_INTERVAL_SECONDS,
}

# --- Logging --------------------------------------------------------------------
LOG_LEVEL = env_str("LOG_LEVEL", "INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
}

# --- Tests ----------------------------------------------------------------------
# CI sets these so a missing service or browser fails loudly instead of skipping.
REQUIRE_POSTGRES = env_bool("REQUIRE_POSTGRES", False)
REQUIRE_REDIS = env_bool("REQUIRE_REDIS", False)
REQUIRE_BROWSER = env_bool("REQUIRE_BROWSER", False)

# --- Campaign lifecycle (issue 6) ---------------------------------------------------
# How often scheduled starts, recurring occurrences, automatic ends and the budget
# guard are checked: a scheduled campaign starts at most this late, and a campaign
# can overspend its budget by what its jobs cost within this window.
CAMPAIGN_LIFECYCLE_INTERVAL_SECONDS = env_int("CAMPAIGN_LIFECYCLE_INTERVAL_SECONDS", 30, minimum=1)
PERIODIC_TASKS["campaigns.run-lifecycle"] = {
    "task": "campaigns.run_lifecycle",
    "every": CAMPAIGN_LIFECYCLE_INTERVAL_SECONDS,
}
