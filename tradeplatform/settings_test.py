"""Test settings: the real PostgreSQL and Redis, fast hashing, no HTTPS redirects."""

import os

from tradeplatform.settings import *  # noqa: F403
from tradeplatform.settings import BASE_DIR, CACHES, DATABASES, REDIS_URL, STORAGES, _redis_db_url

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
SECURE_HSTS_SECONDS = 0
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
SMS_BACKEND = "core.sms.LocmemBackend"
WEBHOOK_ALLOW_INSECURE = True  # receivers in tests listen on 127.0.0.1
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    "private": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(BASE_DIR / ".data" / "test-private-media"), "base_url": None},
    },
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
# Databases 8-10 of the same Redis: a development worker (databases 0-2) never answers a test.
CELERY_BROKER_URL = _redis_db_url(REDIS_URL, 8)
CELERY_RESULT_BACKEND = _redis_db_url(REDIS_URL, 10)
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
# Each xdist worker gets its own cache key space so tests don't see each other's counters.
CACHES = {
    "default": {
        **CACHES["default"],
        "LOCATION": _redis_db_url(REDIS_URL, 9),
        "KEY_PREFIX": f"test-{os.environ.get('TEST_RUN_NAME', '')}{os.environ.get('PYTEST_XDIST_WORKER', 'main')}",
    }
}

# Two test runs side by side (e.g. two engineers on one checkout) each name their own run, so
# neither flushes the other's test database: TEST_RUN_NAME=inquiries pytest ...
if os.environ.get("TEST_RUN_NAME"):
    DATABASES = {"default": {**DATABASES["default"], "TEST": {"NAME": f"test_{os.environ['TEST_RUN_NAME']}"}}}
