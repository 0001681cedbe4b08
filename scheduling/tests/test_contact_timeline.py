"""Jobs and bookings plug into the contact's timeline and follow it through a merge."""

import pytest

from crm import services as crm_services
from crm.tests.factories import ContactFactory
from scheduling import services
from scheduling.models import Booking, Job
from scheduling.tests.conftest import at, next_weekday
from scheduling.tests.factories import JobFactory

pytestmark = pytest.mark.django_db


def test_the_timeline_shows_the_contacts_jobs_and_bookings(
    owner_client, chicago_org, bob, haircut, client_contact, owner
):
    job = JobFactory(organization=chicago_org, contact=client_contact, title="Fit shower")
    booking = services.booking_create(
        organization=chicago_org, actor=owner, staff=bob, starts_at=at(next_weekday(1), 10), service=haircut,
        contact=client_contact,
    )  # fmt: skip

    items = owner_client.get(f"/api/v1/contacts/{client_contact.pk}/timeline/").json()["results"]

    kinds = {(item["kind"], item["id"]) for item in items}
    assert {("job", job.pk), ("booking", booking.pk)} <= kinds
    summary = next(item for item in items if item["kind"] == "booking")["summary"]
    assert summary == "Haircut"


def test_merging_moves_jobs_and_bookings_to_the_surviving_contact(chicago_org, bob, haircut, client_contact, owner):
    duplicate = ContactFactory(organization=chicago_org, first_name="Dana", last_name="Reyes")
    job = JobFactory(organization=chicago_org, contact=duplicate)
    booking = services.booking_create(
        organization=chicago_org, actor=owner, staff=bob, starts_at=at(next_weekday(1), 10), service=haircut,
        contact=duplicate,
    )  # fmt: skip

    crm_services.contact_merge(target=client_contact, merged=duplicate, actor=owner)

    assert Job.objects.get(pk=job.pk).contact == client_contact
    assert Booking.objects.get(pk=booking.pk).contact == client_contact
