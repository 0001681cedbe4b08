"""Settings come from the environment; production refuses development values."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CLEAN_ENV = {
    key: value
    for key, value in os.environ.items()
    if key
    not in {
        "DATABASE_URL",
        "REDIS_URL",
        "DEBUG",
        "SECRET_KEY",
        "ALLOWED_HOSTS",
        "FIELD_ENCRYPTION_KEY",
        "CELERY_TASK_ALWAYS_EAGER",
        "EMAIL_BACKEND",
    }
}
PRODUCTION = {
    "DEBUG": "0",
    "SECRET_KEY": "q3Zt8-vR1xN0bK7mWf2LhJ9sYc4DpAe6UgTo5iMz_Hn8VkX1wQ",
    "ALLOWED_HOSTS": "app.example.com",
    "FIELD_ENCRYPTION_KEY": "x" * 44,
    "DATABASE_URL": "postgres://app@db.internal:5432/app",
    "REDIS_URL": "redis://cache.internal:6379/0",
}


def _settings(env: dict, expression: str) -> subprocess.CompletedProcess:
    code = f"import django, os; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'config.settings'); django.setup(); from django.conf import settings as s; print(({expression},))"
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env={**CLEAN_ENV, **env}, capture_output=True, text=True, timeout=60
    )


def test_unset_means_the_embedded_default():
    result = _settings(
        {"DEBUG": "1"},
        "s.DATABASES['default']['ENGINE'], s.CELERY_TASK_ALWAYS_EAGER, s.CHANNEL_LAYERS['default']['BACKEND'], s.EMAIL_BACKEND",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(
        (
            "django.db.backends.sqlite3",
            True,
            "channels.layers.InMemoryChannelLayer",
            "django.core.mail.backends.console.EmailBackend",
        )
    )


def test_set_means_the_real_services():
    result = _settings(
        PRODUCTION,
        "s.DATABASES['default']['ENGINE'], 'pool' in s.DATABASES['default']['OPTIONS'], s.DATABASES['default']['CONN_MAX_AGE'], s.DATABASES['default']['CONN_HEALTH_CHECKS'], s.CELERY_BROKER_URL, s.CELERY_TASK_ALWAYS_EAGER, s.CACHES['default']['BACKEND'], s.CHANNEL_LAYERS['default']['BACKEND']",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(
        (
            "django.db.backends.postgresql",
            False,  # persistent connections, checked before each request reuses them
            60,
            True,
            "redis://cache.internal:6379/0",
            False,
            "django.core.cache.backends.redis.RedisCache",
            "channels_redis.core.RedisChannelLayer",
        )
    )


@pytest.mark.parametrize(
    ("change", "complaint"),
    [
        ({"SECRET_KEY": ""}, "SECRET_KEY"),
        ({"SECRET_KEY": "development-only-secret-key-never-use-in-production"}, "SECRET_KEY"),
        ({"SECRET_KEY": "short"}, "SECRET_KEY"),
        ({"ALLOWED_HOSTS": ""}, "ALLOWED_HOSTS"),
        ({"FIELD_ENCRYPTION_KEY": ""}, "FIELD_ENCRYPTION_KEY"),
    ],
)
def test_production_refuses_development_values(change, complaint):
    result = _settings({**PRODUCTION, **change}, "'started'")
    assert result.returncode != 0
    assert "Refusing to start with DEBUG off" in result.stderr
    assert complaint in result.stderr


def test_plans_on_sale_are_read_as_pairs():
    result = _settings({"DEBUG": "1", "STRIPE_PRICE_IDS": "starter:price_123,pro:price_456"}, "s.STRIPE_PRICE_IDS")
    assert result.stdout.strip() == str(({"starter": "price_123", "pro": "price_456"},))


def _this_tests_database() -> str:
    from django.db import connection

    db = connection.settings_dict
    credentials = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{credentials}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def test_production_settings_pass_the_deploy_check():
    """Django's own audit of a deployment: HTTPS only, secure cookies, HSTS, a strong key, no DEBUG.

    It runs on this test's database: dj-stripe's checks read it, and pass silently where it cannot be reached.
    """
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env={**CLEAN_ENV, **PRODUCTION, "DATABASE_URL": _this_tests_database()},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_https_settings_follow_the_environment():
    result = _settings(
        {**PRODUCTION, "SECURE_PROXY_SSL_HEADER": "", "SECURE_SSL_REDIRECT": "0", "SECURE_HSTS_PRELOAD": "0"},
        "s.SECURE_PROXY_SSL_HEADER, s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_PRELOAD, s.SESSION_COOKIE_SECURE",
    )
    assert result.stdout.strip() == str((None, False, False, True))
