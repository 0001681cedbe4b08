"""/healthz: the database, and with Redis configured, Redis and a Celery worker."""

import datetime

from django.conf import settings
from health_check.checks import Cache, Database
from health_check.contrib.celery import Ping
from health_check.contrib.redis import Redis
from health_check.views import HealthCheckView
from redis.asyncio import Redis as RedisClient

from config.celery import app as celery_app


def _checks() -> list:
    checks: list = [Database, Cache]
    if settings.REDIS_URL:
        checks.append((Redis, {"client_factory": lambda: RedisClient.from_url(settings.REDIS_URL)}))
    if not celery_app.conf.task_always_eager:
        checks.append((Ping, {"timeout": datetime.timedelta(seconds=3), "limit": 1}))
    return checks


class HealthView(HealthCheckView):
    def get_checks(self):
        self.checks = _checks()
        return super().get_checks()
