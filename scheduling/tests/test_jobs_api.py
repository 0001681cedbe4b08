from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.tests.factories import MembershipFactory
from crm.tests.factories import ContactFactory
from scheduling import services
from scheduling.models import Booking, BookingStatus, Job, JobStatus
from scheduling.tests.conftest import at, next_weekday
from scheduling.tests.factories import JobFactory, ServiceFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/jobs/"


@pytest.fixture
def new_job(owner_client, client_contact, bob, haircut):
    body = {
        "contact": client_contact.pk,
        "title": "Replace water heater",
        "address_line1": "12 Elm St",
        "city": "Chicago",
        "assignees": [bob.pk],
        "line_items": [
            {"service": haircut.pk, "description": "Labour", "quantity": "2.5", "unit_price": 8000},
            {"description": "50 gal heater", "unit_price": 95000},
        ],
    }
    response = owner_client.post(URL, body, format="json")
    assert response.status_code == 201, response.json()
    return response.json()


def test_a_job_keeps_its_estimate_people_and_first_status(new_job, client_contact, bob, owner):
    assert new_job["status"] == "requested"
    assert new_job["contact_name"] == "Dana Reyes"
    assert new_job["assignees"] == [bob.pk]
    assert [(item["description"], item["total"]) for item in new_job["line_items"]] == [
        ("Labour", 20000),
        ("50 gal heater", 95000),
    ]
    assert new_job["estimate_total"] == 115000
    assert [(c["from_status"], c["to_status"], c["actor"]) for c in new_job["status_changes"]] == [
        ("", "requested", owner.pk)
    ]


def test_transitions_record_who_and_when_and_refuse_a_jump(owner_client, new_job, owner):
    path = f"{URL}{new_job['id']}/transition/"
    for status in ("scheduled", "in_progress", "completed", "invoiced"):
        response = owner_client.post(path, {"status": status}, format="json")
        assert response.status_code == 200, response.json()
    changes = response.json()["status_changes"]
    assert [change["to_status"] for change in changes] == [
        "requested",
        "scheduled",
        "in_progress",
        "completed",
        "invoiced",
    ]
    assert all(change["actor"] == owner.pk and change["changed_at"] for change in changes)

    refused = owner_client.post(path, {"status": "scheduled"}, format="json")
    assert refused.status_code == 400
    assert "invoiced → scheduled is not allowed" in refused.json()["error"]["fields"]["status"][0]


@pytest.mark.parametrize("target", ["completed", "invoiced", "paid"])
def test_a_requested_job_cannot_skip_ahead(owner_client, new_job, target):
    response = owner_client.post(f"{URL}{new_job['id']}/transition/", {"status": target}, format="json")
    assert response.status_code == 400
    assert "status" in response.json()["error"]["fields"]
    assert Job.objects.get().status == JobStatus.REQUESTED


def test_cancelling_a_job_cancels_its_visits_to_come(owner_client, new_job, chicago_org, bob, owner):
    job = Job.objects.get(pk=new_job["id"])
    visit = services.booking_create(
        organization=chicago_org, actor=owner, staff=bob, job=job, starts_at=at(next_weekday(1), 10),
        ends_at=at(next_weekday(1), 12),
    )  # fmt: skip
    response = owner_client.post(
        f"{URL}{job.pk}/transition/", {"status": "cancelled", "reason": "Client sold the house"}, format="json"
    )
    assert response.status_code == 200
    visit.refresh_from_db()
    assert visit.status == BookingStatus.CANCELLED
    assert "Client sold the house" in visit.cancel_reason
    assert response.json()["status_changes"][-1]["reason"] == "Client sold the house"


def test_a_job_is_updated_without_touching_its_status(owner_client, new_job, chicago_org):
    other = MembershipFactory(organization=chicago_org)
    response = owner_client.patch(
        f"{URL}{new_job['id']}/",
        {"title": "Replace water heater (urgent)", "assignees": [other.pk], "line_items": []},
        format="json",
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["title"], body["assignees"], body["estimate_total"], body["status"]) == (
        "Replace water heater (urgent)",
        [other.pk],
        0,
        "requested",
    )
    assert owner_client.patch(f"{URL}{new_job['id']}/", {"status": "invoiced"}, format="json").json()["status"] == (
        "requested"
    )


def test_another_organizations_contact_member_or_service_is_refused(owner_client, client_contact, other_org):
    theirs = ContactFactory(organization=other_org)
    their_member = MembershipFactory(organization=other_org)
    their_service = ServiceFactory(organization=other_org)
    cases = [
        ({"contact": theirs.pk, "title": "x"}, "contact"),
        ({"contact": client_contact.pk, "title": "x", "assignees": [their_member.pk]}, "assignees"),
        (
            {"contact": client_contact.pk, "title": "x", "line_items": [{"service": their_service.pk, "description": "d", "unit_price": 1}]},
            "line_items",
        ),
    ]  # fmt: skip
    for body, field in cases:
        response = owner_client.post(URL, body, format="json")
        assert response.status_code == 400, body
        assert field in response.json()["error"]["fields"]
    assert not Job.objects.exists()


def test_attachments_are_recorded_on_the_job(owner_client, new_job):
    response = owner_client.post(
        f"{URL}{new_job['id']}/attachments/",
        {"file_name": "before.jpg", "content_type": "image/jpeg", "size": 204800, "url": "https://files.example/1"},
        format="json",
    )
    assert response.status_code == 201
    assert owner_client.get(f"{URL}{new_job['id']}/").json()["attachments"][0]["file_name"] == "before.jpg"
    bad = owner_client.post(f"{URL}{new_job['id']}/attachments/", {"file_name": "x", "size": -1}, format="json")
    assert bad.status_code == 400
    assert {"size", "content_type"} <= set(bad.json()["error"]["fields"])


def test_the_list_filters_and_searches(owner_client, chicago_org, client_contact, bob, owner):
    boiler = JobFactory(organization=chicago_org, contact=client_contact, title="Boiler service")
    services.job_transition(job=boiler, actor=owner, to_status="scheduled")
    leak = JobFactory(organization=chicago_org, title="Fix leak", contact__last_name="Okafor")
    services.job_update(job=leak, actor=owner, assignees=[bob])
    services.booking_create(
        organization=chicago_org, actor=owner, staff=bob, job=leak, starts_at=at(next_weekday(1), 10),
        ends_at=at(next_weekday(1), 11),
    )  # fmt: skip

    def ids(**params) -> set[int]:
        return {row["id"] for row in owner_client.get(URL, params).json()["results"]}

    assert ids(status="scheduled") == {boiler.pk}
    assert ids(staff=bob.pk) == {leak.pk}
    assert ids(contact=client_contact.pk) == {boiler.pk}
    assert ids(search="okafor leak") == {leak.pk}
    assert ids(visits_after=at(next_weekday(1), 0).isoformat()) == {leak.pk}
    assert ids(created_after=(timezone.now() + timedelta(days=1)).isoformat()) == set()


def test_visits_of_a_job_are_listed(owner_client, new_job, chicago_org, bob, owner):
    job = Job.objects.get(pk=new_job["id"])
    for week in (1, 2):
        services.booking_create(
            organization=chicago_org, actor=owner, staff=bob, job=job, starts_at=at(next_weekday(1, weeks_ahead=week), 10),
            ends_at=at(next_weekday(1, weeks_ahead=week), 11),
        )  # fmt: skip
    visits = owner_client.get(f"{URL}{job.pk}/visits/").json()["results"]
    assert [visit["job"] for visit in visits] == [job.pk, job.pk]
    assert Booking.objects.filter(job=job, contact=job.contact).count() == 2
