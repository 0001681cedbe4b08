import pytest

from accounts.tests.factories import MembershipFactory
from scheduling import services
from scheduling.models import Service
from scheduling.tests.conftest import at, next_weekday

pytestmark = pytest.mark.django_db

URL = "/api/v1/services/"


def test_a_service_is_created_with_its_staff_and_changed(owner_client, chicago_org, bob):
    created = owner_client.post(
        URL,
        {
            "name": "Drain cleaning",
            "duration_minutes": 90,
            "price": 17500,
            "buffer_after_minutes": 30,
            "staff": [bob.pk],
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    body = created.json()
    assert (body["duration_minutes"], body["buffer_before_minutes"], body["buffer_after_minutes"], body["staff"]) == (
        90,
        0,
        30,
        [bob.pk],
    )

    changed = owner_client.patch(f"{URL}{body['id']}/", {"price": 19000, "staff": []}, format="json")
    assert (changed.json()["price"], changed.json()["staff"]) == (19000, [])


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "Haircut", "duration_minutes": 30}, "name"),  # already exists
        ({"name": "Blink", "duration_minutes": 1}, "duration_minutes"),
        ({"name": "Long", "duration_minutes": 60, "buffer_before_minutes": 600}, "buffer_before_minutes"),
        ({"name": "Free", "duration_minutes": 60, "price": -5}, "price"),
    ],
)
def test_bad_services_are_refused_naming_the_field(owner_client, haircut, body, field):
    response = owner_client.post(URL, body, format="json")
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]


def test_another_organizations_member_cannot_do_our_service(owner_client, other_org, haircut):
    theirs = MembershipFactory(organization=other_org)
    response = owner_client.patch(f"{URL}{haircut.pk}/", {"staff": [theirs.pk]}, format="json")
    assert response.status_code == 400
    assert "staff" in response.json()["error"]["fields"]


def test_a_booked_service_is_deactivated_not_deleted(owner_client, chicago_org, bob, haircut, owner):
    services.booking_create(
        organization=chicago_org, actor=owner, staff=bob, starts_at=at(next_weekday(1), 10), service=haircut
    )
    refused = owner_client.delete(f"{URL}{haircut.pk}/")
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "service_in_use"
    assert owner_client.patch(f"{URL}{haircut.pk}/", {"is_active": False}, format="json").json()["is_active"] is False
    unused = Service.objects.create(organization=chicago_org, name="Unused")
    assert owner_client.delete(f"{URL}{unused.pk}/").status_code == 204
