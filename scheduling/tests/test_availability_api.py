"""Hours, date exceptions, time off and the booking policy through the API."""

import pytest

from accounts.tests.factories import MembershipFactory
from scheduling.models import DateHours, TimeOff, WeeklyHours
from scheduling.tests.conftest import at, next_weekday

pytestmark = pytest.mark.django_db


def test_a_week_of_hours_is_replaced_and_read_back(owner_client, chicago_org, bob):
    week = {
        "staff": bob.pk,
        "monday": [{"start": "08:00", "end": "12:00"}, {"start": "13:00", "end": "17:00"}],
        "friday": [{"start": "10:00", "end": "14:00"}],
    }
    saved = owner_client.put("/api/v1/availability/hours/", week, format="json")
    read = owner_client.get("/api/v1/availability/hours/", {"staff": bob.pk})

    assert saved.status_code == 200, saved.json()
    assert read.json() == saved.json()
    assert read.json()["monday"] == week["monday"]
    assert read.json()["tuesday"] == []
    assert WeeklyHours.objects.filter(staff=bob).count() == 3
    business = owner_client.get("/api/v1/availability/hours/").json()
    assert business["staff"] is None and business["monday"] == [{"start": "09:00", "end": "17:00"}]


@pytest.mark.parametrize(
    ("day", "message"),
    [
        ([{"start": "12:00", "end": "09:00"}], "after the start"),
        ([{"start": "09:00", "end": "13:00"}, {"start": "12:00", "end": "15:00"}], "overlap"),
        ([{"start": "9 o'clock", "end": "13:00"}], "Time has wrong format"),
    ],
)
def test_bad_hours_are_refused_and_keep_what_was_there(owner_client, chicago_org, day, message):
    response = owner_client.put("/api/v1/availability/hours/", {"monday": day}, format="json")
    assert response.status_code == 400
    assert message in str(response.json()["error"]["fields"])
    assert WeeklyHours.objects.filter(staff=None).count() == 5


def test_another_organizations_member_has_no_hours_here(owner_client, other_org):
    theirs = MembershipFactory(organization=other_org)
    assert owner_client.get("/api/v1/availability/hours/", {"staff": theirs.pk}).status_code == 400
    assert owner_client.put("/api/v1/availability/hours/", {"staff": theirs.pk}, format="json").status_code == 400


def test_a_date_exception_and_time_off_are_created_and_listed(owner_client, chicago_org, bob):
    tuesday = next_weekday(1)
    exception = owner_client.post(
        "/api/v1/availability/exceptions/",
        {"date": tuesday.isoformat(), "ranges": [{"start": "10:00", "end": "13:00"}], "reason": "Half day"},
        format="json",
    )
    time_off = owner_client.post(
        "/api/v1/availability/time-off/",
        {
            "staff": bob.pk,
            "starts_at": at(tuesday, 0).isoformat(),
            "ends_at": at(tuesday, 0).isoformat(),
            "reason": "x",
        },
        format="json",
    )
    good_time_off = owner_client.post(
        "/api/v1/availability/time-off/",
        {
            "staff": bob.pk,
            "starts_at": at(tuesday, 0).isoformat(),
            "ends_at": at(tuesday, 23).isoformat(),
            "reason": "Dentist",
        },
        format="json",
    )

    assert exception.status_code == 201, exception.json()
    assert DateHours.objects.get().ranges == [{"start": "10:00", "end": "13:00"}]
    assert time_off.status_code == 400 and "ends_at" in time_off.json()["error"]["fields"]
    assert good_time_off.status_code == 201
    assert TimeOff.objects.get().reason == "Dentist"
    assert len(owner_client.get("/api/v1/availability/time-off/").json()["results"]) == 1


def test_the_booking_policy_is_read_and_changed_by_admins_only(owner_client, staff_client, chicago_org):
    assert owner_client.get("/api/v1/availability/policy/").json()["slot_step_minutes"] == 30
    changed = owner_client.patch("/api/v1/availability/policy/", {"lead_time_minutes": 240}, format="json")
    refused = staff_client.patch("/api/v1/availability/policy/", {"lead_time_minutes": 0}, format="json")
    bad = owner_client.patch("/api/v1/availability/policy/", {"slot_step_minutes": 0}, format="json")

    assert changed.status_code == 200 and changed.json()["lead_time_minutes"] == 240
    assert refused.status_code == 403
    assert bad.status_code == 400 and "slot_step_minutes" in bad.json()["error"]["fields"]
