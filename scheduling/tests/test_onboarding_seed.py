"""Completing onboarding sets the business up: its services, opening hours and booking policy."""

from datetime import time

import pytest

from accounts.models import ActivityEntry, IndustryProfile
from accounts.tests.factories import OrganizationIndustryFactory
from scheduling.models import BookingPolicy, Service, WeeklyHours
from scheduling.onboarding import onboarding_records_create
from scheduling.tests.factories import ServiceFactory, WeeklyHoursFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/onboarding/"
COMPLETE_URL = "/api/v1/onboarding/complete/"

SERVICES = [
    {"name": "Boiler service", "duration_minutes": 90, "price": 12000, "buffer_minutes": 30},
    {"name": "Radiator bleed", "duration_minutes": 30, "price": 4500, "buffer_minutes": 0},
]
WEEK = {
    "monday": [{"start": "08:00", "end": "12:00"}, {"start": "13:00", "end": "17:00"}],
    "tuesday": [{"start": "08:00", "end": "17:00"}],
    "wednesday": [],
    "thursday": [],
    "friday": [{"start": "09:30", "end": "15:00"}],
    "saturday": [],
    "sunday": [],
}


def _complete(client, **steps):
    if steps:
        saved = client.patch(URL, steps, format="json")
        assert saved.status_code == 200, saved.content
    response = client.post(COMPLETE_URL)
    assert response.status_code == 200, response.content
    return response


def _services(org) -> list[tuple]:
    rows = Service.objects.filter(organization=org).order_by("name")
    return [(s.name, s.duration_minutes, s.price, s.buffer_before_minutes, s.buffer_after_minutes) for s in rows]


def _opening_hours(org) -> list[tuple]:
    rows = WeeklyHours.objects.filter(organization=org, staff=None).order_by("weekday", "start_time")
    return [(row.weekday, row.start_time, row.end_time) for row in rows]


def test_the_saved_steps_become_services_hours_and_a_policy(owner_client, org, owner):
    _complete(owner_client, services=SERVICES, working_hours=WEEK)

    assert _services(org) == [("Boiler service", 90, 12000, 0, 30), ("Radiator bleed", 30, 4500, 0, 0)]
    assert _opening_hours(org) == [
        (0, time(8), time(12)),
        (0, time(13), time(17)),
        (1, time(8), time(17)),
        (4, time(9, 30), time(15)),
    ]
    policy = BookingPolicy.objects.get(organization=org)
    assert (policy.lead_time_minutes, policy.horizon_days, policy.slot_step_minutes) == (120, 60, 15)
    created = ActivityEntry.objects.filter(organization=org, verb="service.created")
    assert {(entry.actor, entry.summary) for entry in created} == {(owner, "Boiler service"), (owner, "Radiator bleed")}


def test_accepted_pre_filled_steps_come_from_the_profession(owner_client, org):
    OrganizationIndustryFactory(organization=org, profile=IndustryProfile.objects.get(key="plumber"))
    _complete(owner_client)

    assert [name for name, *_ in _services(org)] == [
        "Drain cleaning",
        "Emergency call-out",
        "Garbage disposal installation",
        "Leaky faucet repair",
        "Toilet repair or replacement",
        "Water heater installation",
    ]
    assert Service.objects.get(organization=org, name="Emergency call-out").buffer_after_minutes == 15
    assert _opening_hours(org) == [(weekday, time(8), time(17)) for weekday in range(5)]


def test_completing_twice_adds_nothing(owner_client, org):
    _complete(owner_client, services=SERVICES, working_hours=WEEK)
    _complete(owner_client)

    assert Service.objects.filter(organization=org).count() == 2
    assert WeeklyHours.objects.filter(organization=org).count() == 4
    assert BookingPolicy.objects.filter(organization=org).count() == 1


def test_running_again_keeps_what_the_owner_changed_since(owner_client, org, owner):
    _complete(owner_client, services=SERVICES, working_hours=WEEK)
    Service.objects.filter(organization=org, name="Boiler service").update(name="BOILER SERVICE", price=15000)
    WeeklyHours.objects.filter(organization=org, weekday=4).delete()

    onboarding_records_create(organization=org, actor=owner)

    assert _services(org) == [("BOILER SERVICE", 90, 15000, 0, 30), ("Radiator bleed", 30, 4500, 0, 0)]
    assert len(_opening_hours(org)) == 3, "the business still has opening hours: they are not written again"


def test_a_service_the_business_already_has_is_skipped_and_its_hours_kept(owner_client, org):
    ServiceFactory(organization=org, name="boiler service", price=999)
    WeeklyHoursFactory(organization=org, staff=None, weekday=5, start_time=time(10), end_time=time(14))

    _complete(owner_client, services=SERVICES, working_hours=WEEK)

    assert [(name, price) for name, _, price, *_ in _services(org)] == [
        ("Radiator bleed", 4500),
        ("boiler service", 999),
    ]
    assert _opening_hours(org) == [(5, time(10), time(14))]


def test_staff_hours_do_not_stop_the_business_getting_opening_hours(owner_client, org, staff_member):
    WeeklyHoursFactory(organization=org, staff=staff_member.memberships.get(), weekday=6)
    _complete(owner_client, services=SERVICES, working_hours=WEEK)
    assert len(_opening_hours(org)) == 4


def test_another_organization_gets_nothing(owner_client, org, other_org):
    _complete(owner_client, services=SERVICES, working_hours=WEEK)
    assert not Service.objects.filter(organization=other_org).exists()
    assert not WeeklyHours.objects.filter(organization=other_org).exists()
    assert not BookingPolicy.objects.filter(organization=other_org).exists()


def test_a_refused_completion_makes_nothing(owner_client, org):
    saved = owner_client.patch(URL, {"working_hours": {day: [] for day in WEEK}}, format="json")
    assert saved.status_code == 200
    assert owner_client.post(COMPLETE_URL).status_code == 400
    assert not Service.objects.filter(organization=org).exists()
    assert not BookingPolicy.objects.filter(organization=org).exists()
