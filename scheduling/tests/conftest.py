from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from accounts.models import Membership
from crm.tests.factories import ContactFactory
from scheduling.models import BookingPolicy, WeeklyHours
from scheduling.tests.factories import ServiceFactory

CHICAGO = ZoneInfo("America/Chicago")


def next_weekday(weekday: int, tz=CHICAGO, weeks_ahead: int = 1):
    """A date ``weeks_ahead`` weeks from now on ``weekday`` (0 = Monday), in ``tz``."""
    today = timezone.localtime(timezone.now(), tz).date()
    return today + timedelta(days=(weekday - today.weekday()) % 7 + 7 * weeks_ahead)


def at(day, hour: int, minute: int = 0, tz=CHICAGO) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=tz)


def open_weekdays(organization, staff=None, start: time = time(9), end: time = time(17)) -> None:
    """Monday to Friday, ``start`` to ``end``."""
    WeeklyHours.objects.bulk_create(
        WeeklyHours(organization=organization, staff=staff, weekday=day, start_time=start, end_time=end)
        for day in range(5)
    )


@pytest.fixture
def chicago_org(org):
    org.timezone = "America/Chicago"
    org.save()
    org.refresh_from_db()
    BookingPolicy.objects.create(organization=org, lead_time_minutes=0, horizon_days=400, slot_step_minutes=30)
    open_weekdays(org)
    return org


@pytest.fixture
def bob(chicago_org, staff_member):
    return Membership.objects.get(organization=chicago_org, user=staff_member)


@pytest.fixture
def haircut(chicago_org):
    return ServiceFactory(organization=chicago_org, name="Haircut", duration_minutes=60, price=4500)


@pytest.fixture
def client_contact(chicago_org):
    return ContactFactory(organization=chicago_org, first_name="Dana", last_name="Reyes")
