"""Staff read every business's scheduling in the admin; what carries a rule is written through the services."""

from datetime import UTC, datetime

import pytest
from django.contrib import admin
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import ActivityEntry
from accounts.tests.factories import MembershipFactory, OrganizationFactory
from config.tests.registry import make
from crm.tests.factories import ContactFactory
from scheduling.admin import STAFF_REASON
from scheduling.models import (
    BookingPolicy,
    BookingSource,
    BookingStatus,
    ExternalCalendarStatus,
    JobStatus,
    JobStatusChange,
    Service,
    ServiceStaff,
)
from scheduling.tests.factories import (
    BookingFactory,
    CalendarFeedFactory,
    ExternalCalendarFactory,
    JobFactory,
    JobLineItemFactory,
    JobStatusChangeFactory,
    ServiceFactory,
)

pytestmark = pytest.mark.django_db

BOOKINGS = reverse("admin:scheduling_booking_changelist")
JOBS = reverse("admin:scheduling_job_changelist")


@pytest.fixture
def ops(django_user_model):
    return django_user_model.objects.create_superuser("ops@bizbox.example", "a-long-staff-password")


@pytest.fixture
def staff_client(client, ops):
    client.force_login(ops)
    return client


def _shown(response) -> set[int]:
    assert response.status_code == 200
    return {obj.pk for obj in response.context["cl"].result_list}


def _form_data(page) -> dict:
    """What the change form would post back as it stands, inlines' management forms included."""
    form = page.context["adminform"].form
    data = {name: form[name].value() if form[name].value() is not None else "" for name in form.fields}
    for inline in page.context["inline_admin_formsets"]:
        management = inline.formset.management_form
        data.update({f"{inline.formset.prefix}-{name}": management[name].value() for name in management.fields})
    return data


# Bookings -------------------------------------------------------------------------------


def test_bookings_filter_by_status_source_staff_and_date(staff_client, org, other_org):
    mine = BookingFactory(organization=org, starts_at=datetime(2030, 3, 4, 15, tzinfo=UTC))
    cancelled = BookingFactory(organization=org, status=BookingStatus.CANCELLED, source=BookingSource.BOOKING_PAGE)
    theirs = BookingFactory(organization=other_org, starts_at=datetime(2030, 4, 1, 15, tzinfo=UTC))

    assert _shown(staff_client.get(BOOKINGS)) == {mine.pk, cancelled.pk, theirs.pk}
    assert _shown(staff_client.get(BOOKINGS, {"status__exact": "cancelled"})) == {cancelled.pk}
    assert _shown(staff_client.get(BOOKINGS, {"source__exact": "booking_page"})) == {cancelled.pk}
    assert _shown(staff_client.get(BOOKINGS, {"staff": theirs.staff_id})) == {theirs.pk}
    assert _shown(staff_client.get(BOOKINGS, {"starts_at__year": 2030, "starts_at__month": 3})) == {mine.pk}


def test_bookings_are_found_by_the_contact_or_the_notes(staff_client, org):
    ada = BookingFactory(organization=org, contact=ContactFactory(organization=org, email="ada@example.net"))
    noted = BookingFactory(organization=org, notes="Side gate is stiff")
    BookingFactory(organization=org)

    assert _shown(staff_client.get(BOOKINGS, {"q": "ada@example.net"})) == {ada.pk}
    assert _shown(staff_client.get(BOOKINGS, {"q": "gate"})) == {noted.pk}


def _list_queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_the_booking_list_loads_each_visits_job_with_it(staff_client, org):
    job = JobFactory(organization=org)
    BookingFactory(organization=org, job=job)
    few = _list_queries(staff_client, BOOKINGS)
    BookingFactory.create_batch(8, organization=org, job=job)
    assert _list_queries(staff_client, BOOKINGS) == few


@pytest.mark.parametrize(
    "model",
    [model for model in admin.site._registry if model._meta.app_label == "scheduling"],
    ids=lambda model: model.__name__,
)
def test_no_list_costs_a_query_per_row(staff_client, org, model):
    url = reverse(f"admin:scheduling_{model._meta.model_name}_changelist")
    make(model, org)
    one = _list_queries(staff_client, url)
    for _ in range(4):
        make(model, OrganizationFactory() if model is BookingPolicy else org)
    assert _list_queries(staff_client, url) == one


def test_a_booking_is_read_only_and_never_added_or_deleted_here(staff_client, org):
    booking = BookingFactory(organization=org)
    change = reverse("admin:scheduling_booking_change", args=[booking.pk])

    page = staff_client.get(change)
    assert page.status_code == 200
    assert not page.context["adminform"].form.fields, "every field is shown read-only"
    assert staff_client.post(change, {"notes": "moved"}).status_code == 403
    assert staff_client.get(reverse("admin:scheduling_booking_add")).status_code == 403
    assert staff_client.get(reverse("admin:scheduling_booking_delete", args=[booking.pk])).status_code == 403


def test_staff_cancel_bookings_through_the_service(staff_client, org, other_org, ops):
    confirmed = BookingFactory(organization=org)
    theirs = BookingFactory(organization=other_org)
    already = BookingFactory(organization=org, status=BookingStatus.CANCELLED, cancel_reason="Client called")

    response = staff_client.post(
        BOOKINGS, {"action": "cancel", "_selected_action": [confirmed.pk, theirs.pk, already.pk]}, follow=True
    )

    assert "2 booking(s) cancelled." in [str(message) for message in response.context["messages"]]
    for booking in (confirmed, theirs):
        booking.refresh_from_db()
        assert (booking.status, booking.cancel_reason, booking.sequence) == ("cancelled", STAFF_REASON, 1)
        assert booking.cancelled_at is not None
    already.refresh_from_db()
    assert already.cancel_reason == "Client called"
    entry = ActivityEntry.objects.get(organization=org, verb="booking.cancelled")
    assert (entry.actor, entry.target_id) == (ops, str(confirmed.pk))


# Jobs -----------------------------------------------------------------------------------


def test_jobs_filter_by_status_and_search_by_client(staff_client, org, other_org):
    scheduled = JobFactory(organization=org, status=JobStatus.SCHEDULED, title="Boiler swap")
    requested = JobFactory(organization=other_org, contact=ContactFactory(organization=other_org, last_name="Okafor"))

    assert _shown(staff_client.get(JOBS)) == {scheduled.pk, requested.pk}
    assert _shown(staff_client.get(JOBS, {"status__exact": "scheduled"})) == {scheduled.pk}
    assert _shown(staff_client.get(JOBS, {"q": "okafor"})) == {requested.pk}
    assert _shown(staff_client.get(JOBS, {"q": "boiler"})) == {scheduled.pk}
    today = scheduled.created_at
    assert len(_shown(staff_client.get(JOBS, {"created_at__year": today.year}))) == 2


def test_the_job_page_shows_its_history_read_only(staff_client, org):
    job = JobFactory(organization=org)
    JobLineItemFactory(organization=org, job=job, description="Pipe fitting")
    JobStatusChangeFactory(organization=org, job=job, reason="Booked by phone")

    page = staff_client.get(reverse("admin:scheduling_job_change", args=[job.pk]))

    assert page.status_code == 200
    assert "Pipe fitting" in page.content.decode()
    assert "Booked by phone" in page.content.decode()
    assert "status" not in page.context["adminform"].form.fields


def test_staff_move_a_job_along_its_statuses_with_an_action(staff_client, org, ops):
    job = JobFactory(organization=org)

    response = staff_client.post(JOBS, {"action": "mark_scheduled", "_selected_action": [job.pk]}, follow=True)

    assert "1 job(s) now scheduled." in [str(message) for message in response.context["messages"]]
    job.refresh_from_db()
    assert job.status == JobStatus.SCHEDULED
    change = JobStatusChange.objects.get(job=job)
    assert (change.from_status, change.to_status, change.actor, change.reason) == (
        "requested",
        "scheduled",
        ops,
        STAFF_REASON,
    )


def test_a_move_the_job_cannot_make_is_refused_with_a_message(staff_client, org):
    job = JobFactory(organization=org, title="Leaky tap")

    response = staff_client.post(JOBS, {"action": "mark_invoiced", "_selected_action": [job.pk]}, follow=True)

    texts = [str(message) for message in response.context["messages"]]
    assert any(text.startswith("Leaky tap: ") for text in texts), texts
    assert "0 job(s) now invoiced." in texts
    job.refresh_from_db()
    assert job.status == JobStatus.REQUESTED
    assert not JobStatusChange.objects.filter(job=job).exists()


def test_staff_correct_a_jobs_text_but_not_its_status(staff_client, org, ops):
    job = JobFactory(organization=org, title="Leaky tap")
    url = reverse("admin:scheduling_job_change", args=[job.pk])
    data = {**_form_data(staff_client.get(url)), "title": "Leaky kitchen tap", "status": "invoiced"}

    response = staff_client.post(url, data)

    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    job.refresh_from_db()
    assert (job.title, job.status) == ("Leaky kitchen tap", JobStatus.REQUESTED)
    assert ActivityEntry.objects.filter(organization=org, verb="job.updated", actor=ops).exists()


def test_jobs_are_not_added_in_the_admin(staff_client):
    assert staff_client.get(reverse("admin:scheduling_job_add")).status_code == 403


# Services -------------------------------------------------------------------------------


def _service_post(org, **changes) -> dict:
    return {
        "organization": org.pk,
        "name": "Drain cleaning",
        "description": "",
        "duration_minutes": 60,
        "price": 17500,
        "buffer_before_minutes": 0,
        "buffer_after_minutes": 30,
        "is_active": "on",
        "servicestaff_set-TOTAL_FORMS": 0,
        "servicestaff_set-INITIAL_FORMS": 0,
        **changes,
    }


def test_a_service_added_here_is_made_by_the_service_with_its_staff(staff_client, org, ops):
    member = MembershipFactory(organization=org)
    data = _service_post(org, **{"servicestaff_set-TOTAL_FORMS": 1, "servicestaff_set-0-member": member.pk})

    response = staff_client.post(reverse("admin:scheduling_service_add"), data)

    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    service = Service.objects.get(organization=org)
    assert (service.name, service.buffer_after_minutes) == ("Drain cleaning", 30)
    link = ServiceStaff.objects.get(service=service)
    assert (link.member, link.organization) == (member, org)
    assert ActivityEntry.objects.filter(organization=org, verb="service.created", actor=ops).exists()


def test_a_service_cannot_name_another_businesss_staff(staff_client, org, other_org):
    stranger = MembershipFactory(organization=other_org)
    data = _service_post(org, **{"servicestaff_set-TOTAL_FORMS": 1, "servicestaff_set-0-member": stranger.pk})

    response = staff_client.post(reverse("admin:scheduling_service_add"), data)

    assert response.status_code == 200
    assert not Service.objects.exists()


@pytest.mark.parametrize(
    ("changes", "field"),
    [({"name": "DRAIN CLEANING "}, "name"), ({"name": "Jetting", "duration_minutes": 2}, "duration_minutes"),
     ({"name": "Jetting", "buffer_after_minutes": 241}, "buffer_after_minutes")],
)  # fmt: skip
def test_a_bad_service_is_a_form_error(staff_client, org, changes, field):
    ServiceFactory(organization=org, name="Drain cleaning")

    response = staff_client.post(reverse("admin:scheduling_service_add"), _service_post(org, **changes))

    assert response.status_code == 200
    assert list(response.context["adminform"].form.errors) == [field]
    assert Service.objects.filter(organization=org).count() == 1


def test_a_service_change_goes_through_the_service(staff_client, org, ops):
    service = ServiceFactory(organization=org, name="Drain cleaning")
    url = reverse("admin:scheduling_service_change", args=[service.pk])
    data = {**_form_data(staff_client.get(url)), "price": 19900}

    response = staff_client.post(url, data)

    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    service.refresh_from_db()
    assert (service.price, service.organization) == (19900, org)
    assert ActivityEntry.objects.filter(organization=org, verb="service.updated", actor=ops).exists()


# Calendars ------------------------------------------------------------------------------


def test_a_feed_token_is_shown_but_never_edited(staff_client, org):
    feed = CalendarFeedFactory(organization=org)
    page = staff_client.get(reverse("admin:scheduling_calendarfeed_change", args=[feed.pk]))
    assert feed.token in page.content.decode()
    assert "token" not in page.context["adminform"].form.fields


def test_external_calendars_filter_by_status_and_show_the_error(staff_client, org):
    broken = ExternalCalendarFactory(
        organization=org, status=ExternalCalendarStatus.ERROR, last_error="404 from the calendar server"
    )
    ExternalCalendarFactory(organization=org, status=ExternalCalendarStatus.OK)
    url = reverse("admin:scheduling_externalcalendar_changelist")

    response = staff_client.get(url, {"status__exact": "error"})

    assert _shown(response) == {broken.pk}
    assert "404 from the calendar server" in response.content.decode()
    change = staff_client.get(reverse("admin:scheduling_externalcalendar_change", args=[broken.pk]))
    assert {"status", "last_error", "last_synced_at"}.isdisjoint(change.context["adminform"].form.fields)
