import os
import subprocess
import sys
from pathlib import Path

from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]


def test_deploy_check_passes_with_production_environment():
    env = {
        **{k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"},
        "DJANGO_SETTINGS_MODULE": "tradeplatform.settings",
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": "q7$Vb2!xR9pL0mZ3wT8kN4sJ6yH1cF5gD2aE7uQ9iO0pW3rY6tB8nM1vX4zC7lK",
        "DJANGO_ALLOWED_HOSTS": "b2b.example.cn",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_debug_is_off_unless_set():
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_DEBUG"}
    code = "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='tradeplatform.settings'; " \
           "from django.conf import settings; print(settings.DEBUG)"
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True)
    assert result.stdout.strip() == "False", result.stderr


def test_china_locale_defaults():
    assert settings.TIME_ZONE == "Asia/Shanghai"
    assert settings.LANGUAGE_CODE == "zh-hans"
    assert [code for code, _ in settings.LANGUAGES] == ["zh-hans", "en"]


def test_email_url_configures_smtp():
    from tradeplatform.settings import _email_settings

    smtp = _email_settings("smtp+tls://mailer:s%40cret@smtp.example.cn:587")
    assert smtp["EMAIL_BACKEND"].endswith("smtp.EmailBackend")
    assert (smtp["EMAIL_HOST"], smtp["EMAIL_PORT"], smtp["EMAIL_HOST_PASSWORD"]) == ("smtp.example.cn", 587, "s@cret")
    assert smtp["EMAIL_USE_TLS"] is True
    assert _email_settings("consolemail://")["EMAIL_BACKEND"].endswith("console.EmailBackend")
