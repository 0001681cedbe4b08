from datetime import timedelta

import pytest

from accounts.tests.factories import MembershipFactory
from crm.tests.factories import ContactFactory
from scheduling.models import Booking, BookingStatus
from scheduling.tests.conftest import at, next_weekday
from scheduling.tests.factories import ServiceFactory, TimeOffFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/bookings/"
TUESDAY = 1


def _book(client, bob, start, end=None, **fields):
    body = {"staff": bob.pk, "starts_at": start.isoformat(), **fields}
    if end is not None:
        body["ends_at"] = end.isoformat()
    return client.post(URL, body, format="json")


def test_a_booking_takes_the_service_length_and_answers_in_the_business_time_zone(
    owner_client, bob, haircut, client_contact
):
    tuesday = next_weekday(TUESDAY)
    response = _book(owner_client, bob, at(tuesday, 10), service=haircut.pk, contact=client_contact.pk)

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["starts_at"] == at(tuesday, 10).isoformat()
    assert body["ends_at"] == at(tuesday, 11).isoformat()
    assert (body["status"], body["source"], body["contact"]) == ("confirmed", "staff", client_contact.pk)


def test_a_time_without_offset_means_the_business_wall_clock(owner_client, bob, haircut):
    tuesday = next_weekday(TUESDAY)
    response = owner_client.post(
        URL, {"staff": bob.pk, "service": haircut.pk, "starts_at": f"{tuesday}T09:00:00"}, format="json"
    )
    assert response.status_code == 201, response.json()
    assert Booking.objects.get().starts_at == at(tuesday, 9)


def test_an_overlap_is_a_409_naming_the_booking_it_collides_with(owner_client, bob, haircut):
    tuesday = next_weekday(TUESDAY)
    first = _book(owner_client, bob, at(tuesday, 10), service=haircut.pk).json()

    response = _book(owner_client, bob, at(tuesday, 10, 30), service=haircut.pk)

    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "booking_conflict"
    assert f"booking {first['id']}" in error["message"]
    assert error["conflicting_booking"]["id"] == first["id"]
    assert Booking.objects.count() == 1


def test_buffers_keep_the_time_around_a_booking_and_back_to_back_is_fine(owner_client, bob, chicago_org):
    drain = ServiceFactory(
        organization=chicago_org, duration_minutes=60, buffer_before_minutes=15, buffer_after_minutes=30
    )
    plain = ServiceFactory(organization=chicago_org, duration_minutes=60)
    tuesday = next_weekday(TUESDAY)
    assert _book(owner_client, bob, at(tuesday, 10), service=drain.pk).status_code == 201

    assert _book(owner_client, bob, at(tuesday, 11, 15), service=plain.pk).status_code == 409  # inside the 30 after
    assert _book(owner_client, bob, at(tuesday, 9), service=plain.pk).status_code == 409  # ends in the 15 before
    assert _book(owner_client, bob, at(tuesday, 11, 30), service=plain.pk).status_code == 201
    assert _book(owner_client, bob, at(tuesday, 8, 45), at(tuesday, 9, 45), outside_hours_ok=True).status_code == 201


def test_another_staff_member_can_be_booked_at_the_same_time(owner_client, bob, haircut, chicago_org):
    other = MembershipFactory(organization=chicago_org)
    tuesday = next_weekday(TUESDAY)
    assert _book(owner_client, bob, at(tuesday, 10), service=haircut.pk).status_code == 201
    assert _book(owner_client, other, at(tuesday, 10), service=haircut.pk).status_code == 201


def test_a_cancelled_booking_frees_its_time(owner_client, bob, haircut):
    tuesday = next_weekday(TUESDAY)
    first = _book(owner_client, bob, at(tuesday, 10), service=haircut.pk).json()

    cancelled = owner_client.post(f"{URL}{first['id']}/cancel/", {"reason": "Client is ill"}, format="json")

    assert cancelled.status_code == 200
    assert (cancelled.json()["status"], cancelled.json()["cancel_reason"]) == ("cancelled", "Client is ill")
    assert _book(owner_client, bob, at(tuesday, 10), service=haircut.pk).status_code == 201


def test_reschedule_moves_the_booking_keeps_its_length_and_checks_conflicts(owner_client, bob, haircut):
    tuesday = next_weekday(TUESDAY)
    first = _book(owner_client, bob, at(tuesday, 10), service=haircut.pk).json()
    second = _book(owner_client, bob, at(tuesday, 14), service=haircut.pk).json()

    moved = owner_client.post(
        f"{URL}{first['id']}/reschedule/", {"starts_at": at(tuesday, 12).isoformat(), "reason": "Late"}, format="json"
    )
    clash = owner_client.post(
        f"{URL}{first['id']}/reschedule/", {"starts_at": at(tuesday, 14, 30).isoformat()}, format="json"
    )

    assert moved.status_code == 200, moved.json()
    assert (moved.json()["starts_at"], moved.json()["ends_at"]) == (
        at(tuesday, 12).isoformat(),
        at(tuesday, 13).isoformat(),
    )
    assert moved.json()["sequence"] == first["sequence"] + 1
    assert clash.status_code == 409
    assert clash.json()["error"]["conflicting_booking"]["id"] == second["id"]


@pytest.mark.parametrize(
    ("start", "end", "field"),
    [
        ((10, 0), (9, 0), "ends_at"),  # end before start
        ((10, 0), (10, 0), "ends_at"),  # zero length
    ],
)
def test_impossible_times_are_a_400_naming_the_field(owner_client, bob, start, end, field):
    tuesday = next_weekday(TUESDAY)
    response = _book(owner_client, bob, at(tuesday, *start), at(tuesday, *end), outside_hours_ok=True)
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]
    assert not Booking.objects.exists()


def test_a_48_hour_booking_is_refused(owner_client, bob):
    tuesday = next_weekday(TUESDAY)
    response = _book(owner_client, bob, at(tuesday, 10), at(tuesday, 10) + timedelta(hours=48), outside_hours_ok=True)
    assert response.status_code == 400
    assert "24 hours" in response.json()["error"]["fields"]["ends_at"][0]


def test_outside_working_hours_is_refused_unless_asked_for(owner_client, bob, haircut):
    tuesday = next_weekday(TUESDAY)
    evening = _book(owner_client, bob, at(tuesday, 16, 30), service=haircut.pk)  # ends 17:30, after closing
    sunday = _book(owner_client, bob, at(next_weekday(6), 10), service=haircut.pk)
    forced = _book(owner_client, bob, at(tuesday, 16, 30), service=haircut.pk, outside_hours_ok=True)

    assert evening.status_code == 400
    assert "not available" in evening.json()["error"]["fields"]["starts_at"][0]
    assert sunday.status_code == 400
    assert forced.status_code == 201


def test_time_off_makes_a_staff_member_unavailable(owner_client, bob, haircut, chicago_org):
    tuesday = next_weekday(TUESDAY)
    TimeOffFactory(organization=chicago_org, staff=bob, starts_at=at(tuesday, 0), ends_at=at(tuesday, 23))
    response = _book(owner_client, bob, at(tuesday, 10), service=haircut.pk)
    assert response.status_code == 400


def test_a_service_names_who_can_do_it(owner_client, bob, chicago_org):
    colourist = MembershipFactory(organization=chicago_org)
    colour = ServiceFactory(organization=chicago_org, name="Colour")
    colour.staff.add(colourist, through_defaults={"organization": chicago_org})
    tuesday = next_weekday(TUESDAY)

    refused = _book(owner_client, bob, at(tuesday, 10), service=colour.pk)

    assert refused.status_code == 400
    assert "does not do" in refused.json()["error"]["fields"]["staff"][0]
    assert _book(owner_client, colourist, at(tuesday, 10), service=colour.pk).status_code == 201


def test_staff_and_contacts_of_another_organization_cannot_be_booked(owner_client, bob, other_org, haircut):
    theirs = MembershipFactory(organization=other_org)
    their_contact = ContactFactory(organization=other_org)
    tuesday = next_weekday(TUESDAY)

    as_staff = _book(owner_client, theirs, at(tuesday, 10), service=haircut.pk)
    as_contact = _book(owner_client, bob, at(tuesday, 10), service=haircut.pk, contact=their_contact.pk)

    assert as_staff.status_code == 400 and "staff" in as_staff.json()["error"]["fields"]
    assert as_contact.status_code == 400 and "contact" in as_contact.json()["error"]["fields"]
    assert not Booking.objects.exists()


@pytest.mark.parametrize(
    ("path", "target", "allowed"),
    [
        ("transition", "completed", True),
        ("transition", "no_show", True),
        ("transition", "tentative", True),
        ("transition", "requested", False),
    ],
)
def test_status_moves_follow_the_allowed_transitions(owner_client, bob, haircut, path, target, allowed):
    booking = _book(owner_client, bob, at(next_weekday(TUESDAY), 10), service=haircut.pk).json()
    response = owner_client.post(f"{URL}{booking['id']}/{path}/", {"status": target}, format="json")
    assert (response.status_code == 200) is allowed, response.json()


def test_a_cancelled_booking_cannot_be_completed_and_the_error_names_the_move(owner_client, bob, haircut):
    booking = _book(owner_client, bob, at(next_weekday(TUESDAY), 10), service=haircut.pk).json()
    owner_client.post(f"{URL}{booking['id']}/cancel/", {}, format="json")

    response = owner_client.post(f"{URL}{booking['id']}/transition/", {"status": "completed"}, format="json")

    assert response.status_code == 400
    assert "cancelled → completed is not allowed" in response.json()["error"]["fields"]["status"][0]
    assert Booking.objects.get().status == BookingStatus.CANCELLED


def test_the_same_idempotency_key_books_once(owner_client, bob, haircut):
    tuesday = next_weekday(TUESDAY)
    body = {"staff": bob.pk, "service": haircut.pk, "starts_at": at(tuesday, 10).isoformat()}
    first = owner_client.post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY="book-1")
    again = owner_client.post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY="book-1")
    assert (first.status_code, again.status_code) == (201, 201)
    assert first.json()["id"] == again.json()["id"]
    assert Booking.objects.count() == 1


def test_the_list_filters_by_staff_status_contact_and_dates(owner_client, bob, haircut, client_contact, chicago_org):
    other = MembershipFactory(organization=chicago_org)
    tuesday = next_weekday(TUESDAY)
    mine = _book(owner_client, bob, at(tuesday, 10), service=haircut.pk, contact=client_contact.pk).json()
    _book(owner_client, other, at(tuesday, 10), service=haircut.pk)
    later = _book(owner_client, bob, at(next_weekday(TUESDAY, weeks_ahead=2), 10), service=haircut.pk).json()

    def ids(**params):
        return [row["id"] for row in owner_client.get(URL, params).json()["results"]]

    assert ids(staff=bob.pk) == [mine["id"], later["id"]]
    assert ids(contact=client_contact.pk) == [mine["id"]]
    assert ids(staff=bob.pk, starts_after=at(tuesday, 12).isoformat()) == [later["id"]]
    assert ids(search="Reyes") == [mine["id"]]
    assert ids(status="cancelled") == []


def test_a_viewer_cannot_book(viewer_client, bob, haircut):
    response = _book(viewer_client, bob, at(next_weekday(TUESDAY), 10), service=haircut.pk)
    assert response.status_code == 403
