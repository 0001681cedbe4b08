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
    "SECRET_KEY": "a" * 20 + "b" * 20 + "c" * 10,
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
        "s.DATABASES['default']['ENGINE'], 'pool' in s.DATABASES['default']['OPTIONS'], s.CELERY_BROKER_URL, s.CELERY_TASK_ALWAYS_EAGER, s.CACHES['default']['BACKEND'], s.CHANNEL_LAYERS['default']['BACKEND']",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(
        (
            "django.db.backends.postgresql",
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
