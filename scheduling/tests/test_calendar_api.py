from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.tests.factories import MembershipFactory
from scheduling import services
from scheduling.tests.conftest import at, next_weekday
from scheduling.tests.factories import JobFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/calendar/"


def _week(monday) -> dict[str, str]:
    return {"from": at(monday, 0).isoformat(), "to": at(monday + timedelta(days=7), 0).isoformat()}


def test_the_week_shows_bookings_with_their_service_client_and_job(
    owner_client, chicago_org, bob, haircut, client_contact, owner
):
    monday = next_weekday(0)
    job = JobFactory(organization=chicago_org, contact=client_contact, title="Fit shower")
    appointment = services.booking_create(
        organization=chicago_org, actor=owner, staff=bob, starts_at=at(monday, 9), service=haircut,
        contact=client_contact, notes="Bring towels",
    )  # fmt: skip
    visit = services.booking_create(
        organization=chicago_org, actor=owner, staff=bob, starts_at=at(monday, 13), ends_at=at(monday, 15), job=job
    )
    services.booking_create(
        organization=chicago_org, actor=owner, staff=bob, starts_at=at(monday + timedelta(days=8), 9), service=haircut
    )

    response = owner_client.get(URL, _week(monday))

    assert response.status_code == 200
    assert response.json() == {
        "from": at(monday, 0).isoformat(),
        "to": at(monday + timedelta(days=7), 0).isoformat(),
        "results": [
            {
                "id": appointment.pk,
                "staff": bob.pk,
                "starts_at": at(monday, 9).isoformat(),
                "ends_at": at(monday, 10).isoformat(),
                "status": "confirmed",
                "notes": "Bring towels",
                "service": {"id": haircut.pk, "name": "Haircut"},
                "contact": {"id": client_contact.pk, "name": "Dana Reyes"},
                "job": None,
            },
            {
                "id": visit.pk,
                "staff": bob.pk,
                "starts_at": at(monday, 13).isoformat(),
                "ends_at": at(monday, 15).isoformat(),
                "status": "confirmed",
                "notes": "",
                "service": None,
                "contact": {"id": client_contact.pk, "name": "Dana Reyes"},
                "job": {"id": job.pk, "title": "Fit shower"},
            },
        ],
    }


def test_staff_filter_cancelled_and_time_zone(owner_client, chicago_org, bob, haircut, owner):
    monday = next_weekday(0)
    other = MembershipFactory(organization=chicago_org)
    mine = services.booking_create(
        organization=chicago_org, actor=owner, staff=bob, starts_at=at(monday, 9), service=haircut
    )
    theirs = services.booking_create(
        organization=chicago_org, actor=owner, staff=other, starts_at=at(monday, 9), service=haircut
    )
    services.booking_cancel(booking=theirs, actor=owner)

    def ids(**params):
        return [row["id"] for row in owner_client.get(URL, {**_week(monday), **params}).json()["results"]]

    assert ids() == [mine.pk]
    assert ids(include_cancelled="true") == [mine.pk, theirs.pk]
    assert ids(staff=str(other.pk)) == []
    tokyo = owner_client.get(URL, {**_week(monday), "tz": "Asia/Tokyo"}).json()
    assert tokyo["results"][0]["starts_at"] == at(monday, 9).astimezone(ZoneInfo("Asia/Tokyo")).isoformat()


def test_a_month_view_is_one_query_for_the_bookings_whatever_their_number(
    owner_client, chicago_org, bob, haircut, owner
):
    monday = next_weekday(0)
    window = {"from": at(monday, 0).isoformat(), "to": at(monday + timedelta(days=31), 0).isoformat()}

    def count() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as captured:
            rows = owner_client.get(URL, window).json()["results"]
        return len(captured), len(rows)

    services.booking_create(organization=chicago_org, actor=owner, staff=bob, starts_at=at(monday, 9), service=haircut)
    few_queries, few = count()
    for day in range(1, 20):
        services.booking_create(
            organization=chicago_org, actor=owner, staff=bob, starts_at=at(monday + timedelta(days=day), 9),
            service=haircut, outside_hours_ok=True,
        )  # fmt: skip
    many_queries, many = count()
    assert (few, many) == (1, 20)
    assert many_queries == few_queries


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"from": "2027-03-10T00:00:00Z", "to": "2027-03-01T00:00:00Z"}, "to"),
        ({"from": "2027-01-01T00:00:00Z", "to": "2027-06-01T00:00:00Z"}, "to"),
        ({"from": "yesterday"}, "from"),
        ({"tz": "Nowhere/Atlantis"}, "tz"),
    ],
)
def test_bad_windows_are_a_400_naming_the_parameter(owner_client, params, field):
    response = owner_client.get(URL, params)
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]
