"""Settings, read from the environment (12-factor).

Development defaults are safe to run on a laptop; production sets DJANGO_SECRET_KEY,
DJANGO_ALLOWED_HOSTS, DATABASE_URL, REDIS_URL and EMAIL_URL. `make run` and `make test`
start embedded PostgreSQL and Redis and export their URLs (see devtools/embedded.py).
"""

import os
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlparse

import dj_database_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name, default=False):
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name, default=""):
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DJANGO_DEBUG", False)
# Webhooks go to HTTPS addresses outside the platform's network; development may use plain HTTP
# and local receivers.
WEBHOOK_ALLOW_INSECURE = env_bool("WEBHOOK_ALLOW_INSECURE", DEBUG)

_INSECURE_DEV_KEY = "django-insecure-development-only-key-never-use-in-production"
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY") or _INSECURE_DEV_KEY
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "django_celery_beat",
    "django_htmx",
    "core",
    "accounts",
    "catalog",
    "orders",
    "crm",
    "debt",
    "barter",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "core.middleware.LanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "accounts.middleware.FrozenCompanyMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "core.middleware.RequestContextMiddleware",
    "core.middleware.NotificationReadMiddleware",
]

ROOT_URLCONF = "tradeplatform.urls"
WSGI_APPLICATION = "tradeplatform.wsgi.application"
ASGI_APPLICATION = "tradeplatform.asgi.application"

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
                "core.context_processors.platform",
                "accounts.context_processors.company_notice",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", "postgres://postgres@localhost:5432/tradeplatform"),
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "60")),
        # A health check is a SELECT 1 before the first query of every request: a quarter of the
        # time of a cached API page. Without it, a connection broken by a database restart fails
        # one request, and Django then replaces it. Turn it on where the database fails over often.
        conn_health_checks=env_bool("DATABASE_CONN_HEALTH_CHECKS", False),
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: cache, Celery broker and results -------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")


def _redis_db_url(url, offset):
    """The same Redis server, another logical database: REDIS_URL's database number + offset.

    Broker, cache and results get their own databases, so flushing one never touches another,
    and tests (settings_test) use a different range than a running development server.
    """
    parsed = urlparse(url)
    base = int(parsed.path.strip("/") or 0)
    return parsed._replace(path=f"/{base + offset}").geturl()


CACHES = {
    "default": {
        "BACKEND": "core.cache_backend.RedisCache",
        "LOCATION": _redis_db_url(REDIS_URL, 1),
        "KEY_PREFIX": "tp",
    }
}

CELERY_BROKER_URL = _redis_db_url(REDIS_URL, 0)
CELERY_RESULT_BACKEND = _redis_db_url(REDIS_URL, 2)
CELERY_TIMEZONE = "Asia/Shanghai"
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_RESULT_EXPIRES = 3600
# Jobs record what they did in the database (runs, progress bars, notifications) and nothing waits
# on a task's result; keeping results would make every .delay() subscribe to a result channel,
# which cost checkout about a tenth of its time. A task that is awaited can say ignore_result=False.
CELERY_TASK_IGNORE_RESULT = True
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# Tests run tasks in-process unless a test starts a real worker.
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TASK_EAGER_PROPAGATES = True

# --- Auth --------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "accounts.backends.ModelBackend",
    "accounts.backends.AuthenticationBackend",
]
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "core:after-login"
LOGOUT_REDIRECT_URL = "storefront:home"
ACCOUNT_ADAPTER = "accounts.adapters.AccountAdapter"
ACCOUNT_FORMS = {"signup": "accounts.adapters.SignupForm"}
ACCOUNT_LOGIN_METHODS = {"email", "phone"}
# "email*" because allauth's mandatory verification requires it; the signup form waives the
# e-mail address when a mobile number is given (accounts.adapters.SignupForm).
ACCOUNT_SIGNUP_FIELDS = ["email*", "phone", "password1*", "password2*"]
ACCOUNT_PHONE_VERIFICATION_TIMEOUT = 10 * 60
ACCOUNT_PHONE_VERIFICATION_CODE_FORMAT = {"numeric": True, "length": 6, "dashed": False}
ACCOUNT_PHONE_VERIFICATION_SUPPORTS_RESEND = True
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = os.environ.get("ACCOUNT_EMAIL_VERIFICATION", "mandatory")
ACCOUNT_RATE_LIMITS = {"login_failed": "10/m/ip,5/5m/key"}
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = True
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https" if not DEBUG else "http"
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_ADAPTER = "accounts.adapters.MFAAdapter"
MFA_FORMS = {"activate_totp": "accounts.adapters.ActivateTOTPForm"}
SMS_BACKEND = os.environ.get("SMS_BACKEND", "core.sms.ConsoleBackend")

# --- Internationalisation ------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True
CURRENCY = "CNY"

# --- Static and uploaded files -------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("DJANGO_STATIC_ROOT", BASE_DIR / "staticfiles"))
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Company documents (licences, ID scans) never sit under a public URL: they are served
    # only through permission-checked views.
    "private": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {
            "location": os.environ.get("DJANGO_PRIVATE_MEDIA_ROOT", str(BASE_DIR / "private_media")),
            "base_url": None,
        },
    },
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("DJANGO_MEDIA_ROOT", BASE_DIR / "media"))
WHITENOISE_USE_FINDERS = DEBUG
DATA_UPLOAD_MAX_MEMORY_SIZE = 12 * 1024 * 1024

# --- Email ------------------------------------------------------------------------------
def _email_settings(url):
    """EMAIL_URL: consolemail://, smtp://user:pass@host:port, smtp+tls://…, smtp+ssl://…"""
    parsed = urlparse(url)
    if parsed.scheme in {"", "consolemail"}:
        return {"EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"}
    if parsed.scheme == "locmem":
        return {"EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend"}
    options = parse_qs(parsed.query)
    return {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": parsed.hostname or "localhost",
        "EMAIL_PORT": parsed.port or 25,
        "EMAIL_HOST_USER": unquote(parsed.username or ""),
        "EMAIL_HOST_PASSWORD": unquote(parsed.password or ""),
        "EMAIL_USE_TLS": parsed.scheme == "smtp+tls" or "tls" in options,
        "EMAIL_USE_SSL": parsed.scheme == "smtp+ssl" or "ssl" in options,
    }


globals().update(_email_settings(os.environ.get("EMAIL_URL", "consolemail://")))
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "纸业通 B2B <noreply@paper-b2b.example.cn>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- REST API --------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "core.api.authentication.ApiKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "core.api.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_THROTTLE_CLASSES": ["core.api.throttling.ApiKeyRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"api_key": os.environ.get("API_KEY_RATE", "600/min")},
    "EXCEPTION_HANDLER": "core.api.errors.exception_handler",
    "DEFAULT_VERSIONING_CLASS": None,
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Paper B2B platform API",
    "DESCRIPTION": (
        "REST API for partner systems. Authenticate with `Authorization: Api-Key <key>`; "
        "every object is scoped to the key's company. POST accepts an `Idempotency-Key` header."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    # Several models have a `status`; name each enum after its model.
    "ENUM_NAME_OVERRIDES": {
        "CompanyStatusEnum": "accounts.models.Company.Status",
        "OrderStatusEnum": "orders.models.Order.Status",
        "CompanyPermissionEnum": "core.permissions.CompanyPermission",
        "InquiryStatusEnum": "catalog.models.Inquiry.Status",
        "ProductStatusEnum": "catalog.models.Product.Status",
        "ReservationStatusEnum": "catalog.models.StockReservation.Status",
        "ImportJobStatusEnum": "catalog.models.ImportJob.Status",
        "DisputeKindEnum": "orders.models.Dispute.Kind",
        "TrackingEventKindEnum": "orders.models.TrackingEvent.Kind",
        "BarterListingKindEnum": "barter.models.Listing.Kind",
    },
}

# --- Security (production) ---------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", True)
    CSRF_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", True)
    SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    # Health checks come from the orchestrator over plain HTTP.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# --- Platform ---------------------------------------------------------------------------
PLATFORM_NAME = _("纸业通 B2B 交易平台")
# Offline corporate transfers go to this account (SPEC §3).
PLATFORM_BANK_ACCOUNT = {
    "bank": "中国工商银行",
    "name": os.environ.get("PLATFORM_BANK_ACCOUNT_NAME", "纸业通供应链管理有限公司"),
    "number": os.environ.get("PLATFORM_BANK_ACCOUNT_NUMBER", "1202 0210 0910 0123 456"),
    "branch": os.environ.get("PLATFORM_BANK_BRANCH", "中国工商银行上海市分行营业部"),
}
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

# --- Carriers (orders/carriers) ---------------------------------------------------------------
# Which backend answers for each online carrier: "simulator" (development and tests: realistic
# tracking without a network) or "live" (京东物流开放平台 / 顺丰丰桥 over HTTPS).
ORDERS_CARRIERS = {
    "jd": {
        "backend": os.environ.get("CARRIER_JD_BACKEND", "simulator"),
        "base_url": os.environ.get("CARRIER_JD_BASE_URL", "https://api.jdl.com"),
        "app_key": os.environ.get("CARRIER_JD_APP_KEY", ""),
        "app_secret": os.environ.get("CARRIER_JD_APP_SECRET", ""),
        "access_token": os.environ.get("CARRIER_JD_ACCESS_TOKEN", ""),
        "customer_code": os.environ.get("CARRIER_JD_CUSTOMER_CODE", ""),
    },
    "sf": {
        "backend": os.environ.get("CARRIER_SF_BACKEND", "simulator"),
        "base_url": os.environ.get("CARRIER_SF_BASE_URL", "https://sfapi.sf-express.com/std/service"),
        "app_key": os.environ.get("CARRIER_SF_PARTNER_ID", ""),
        "app_secret": os.environ.get("CARRIER_SF_CHECKWORD", ""),
        "customer_code": os.environ.get("CARRIER_SF_MONTHLY_CARD", ""),
    },
    "timeout": float(os.environ.get("CARRIER_TIMEOUT_SECONDS", "10")),
}
