"""Onboarding: pre-filled from the checkout and the profession, saved step by step, then completed."""

import pytest

from accounts.models import ActivityEntry, IndustryProfile, OnboardingState
from accounts.onboarding import suggested_invite_count
from accounts.tests.factories import IndustryProfileFactory, OrganizationIndustryFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/onboarding/"
COMPLETE_URL = "/api/v1/onboarding/complete/"

SALON_CHECKOUT = {
    "email": "maria@curlup.example",
    "business_name": "Curl Up & Dye",
    "industry": "hair_salon",
    "phone": "555 01",
    "country": "US",
    "timezone": "America/Chicago",
    "team_size": "4",
    "owner_name": "Maria Lopez",
    "plan": "pro",
}
OFF: list = []
NINE_TO_SIX = [{"start": "09:00", "end": "18:00"}]
EIGHT_TO_FIVE = [{"start": "08:00", "end": "17:00"}]
WEEK = {
    "monday": [{"start": "08:00", "end": "12:00"}, {"start": "13:00", "end": "17:00"}],
    "tuesday": EIGHT_TO_FIVE,
    "wednesday": EIGHT_TO_FIVE,
    "thursday": EIGHT_TO_FIVE,
    "friday": EIGHT_TO_FIVE,
    "saturday": OFF,
    "sunday": OFF,
}
SERVICES = [{"name": "Boiler service", "duration_minutes": 90, "price": 12000, "buffer_minutes": 30}]


def _industry(org, key: str):
    return OrganizationIndustryFactory(organization=org, profile=IndustryProfile.objects.get(key=key))


def _patch(client, body: dict):
    return client.patch(URL, body, format="json")


def _fields(response) -> dict:
    assert response.status_code == 400, response.content
    return response.json()["error"]["fields"]


# Pre-filled ---------------------------------------------------------------------


@pytest.fixture
def salon(org):
    """Provisioning's work for a salon bought at checkout; the phone typed there could not be read."""
    org.name, org.timezone, org.signup_details = "Curl Up & Dye", "America/Chicago", SALON_CHECKOUT
    org.save()
    _industry(org, "hair_salon")
    return org


def test_an_appointment_business_starts_from_its_checkout_and_profile(owner_client, salon):
    response = owner_client.get(URL)
    assert response.status_code == 200
    assert response.json() == {
        "state": "pending",
        "completed_steps": [],
        "industry": {
            "key": "hair_salon",
            "name": "Hair salon",
            "work_mode": "appointments",
            "vocabulary": {
                "client": "Client",
                "clients": "Clients",
                "job": "Service",
                "jobs": "Services",
                "booking": "Appointment",
                "bookings": "Appointments",
                "staff_member": "Stylist",
                "staff_members": "Stylists",
                "quote": "Quote",
                "invoice": "Invoice",
            },
        },
        "steps": {
            "business": {
                "name": "Curl Up & Dye",
                "timezone": "America/Chicago",
                "currency": "USD",
                "country": "US",
                "phone": "555 01",
                "email": "maria@curlup.example",
                "website": "",
                "address_line1": "",
                "address_line2": "",
                "city": "",
                "region": "",
                "postal_code": "",
            },
            "services": [
                {"name": "Women's haircut and style", "duration_minutes": 60, "price": 6500, "buffer_minutes": 10},
                {"name": "Men's haircut", "duration_minutes": 30, "price": 3500, "buffer_minutes": 5},
                {"name": "Blowout", "duration_minutes": 45, "price": 4500, "buffer_minutes": 5},
                {"name": "Single-process color", "duration_minutes": 90, "price": 9500, "buffer_minutes": 15},
                {"name": "Full highlights", "duration_minutes": 150, "price": 17500, "buffer_minutes": 15},
                {"name": "Balayage", "duration_minutes": 180, "price": 22500, "buffer_minutes": 15},
                {"name": "Deep conditioning treatment", "duration_minutes": 30, "price": 3000, "buffer_minutes": 5},
            ],
            "working_hours": {
                "monday": OFF,
                "tuesday": NINE_TO_SIX,
                "wednesday": NINE_TO_SIX,
                "thursday": NINE_TO_SIX,
                "friday": NINE_TO_SIX,
                "saturday": NINE_TO_SIX,
                "sunday": OFF,
            },
            "team_invites": [],
        },
        "suggested_invite_count": 3,
        "signup_details": SALON_CHECKOUT,
    }


def test_a_trade_works_weekdays_in_its_own_words(owner_client, org):
    industry = _industry(org, "plumber")
    industry.vocabulary_overrides = {"client": "Homeowner"}
    industry.save()
    org.phone, org.signup_details = "+13125550123", {"phone": "(312) 555-0123", "team_size": "1"}
    org.save()
    body = owner_client.get(URL).json()
    assert body["industry"]["work_mode"] == "jobs"
    assert body["industry"]["vocabulary"]["client"] == "Homeowner"
    assert body["steps"]["working_hours"] == {
        "monday": EIGHT_TO_FIVE,
        "tuesday": EIGHT_TO_FIVE,
        "wednesday": EIGHT_TO_FIVE,
        "thursday": EIGHT_TO_FIVE,
        "friday": EIGHT_TO_FIVE,
        "saturday": OFF,
        "sunday": OFF,
    }
    assert body["steps"]["services"][0] == {
        "name": "Drain cleaning",
        "duration_minutes": 60,
        "price": 17500,
        "buffer_minutes": 30,
    }
    assert len(body["steps"]["services"]) == 6
    assert body["steps"]["business"]["phone"] == "+13125550123", "the number provisioning read wins over the raw one"
    assert body["suggested_invite_count"] == 0


def test_a_profile_service_without_a_buffer_gets_none(owner_client, org):
    profile = IndustryProfileFactory(default_services=[{"name": "Call-out", "duration_minutes": 60, "price": 9000}])
    OrganizationIndustryFactory(organization=org, profile=profile)
    services = owner_client.get(URL).json()["steps"]["services"]
    assert services == [{"name": "Call-out", "duration_minutes": 60, "price": 9000, "buffer_minutes": 0}]


def test_without_an_industry_nothing_is_guessed_but_the_week(owner_client, org):
    body = owner_client.get(URL).json()
    assert body["industry"] is None
    assert body["steps"]["services"] == []
    assert body["steps"]["working_hours"]["monday"] == EIGHT_TO_FIVE
    assert body["signup_details"] == {}
    assert body["suggested_invite_count"] == 0


@pytest.mark.parametrize(
    ("details", "expected"),
    [({"team_size": "4"}, 3), ({"team_size": 12}, 11), ({"team_size": "1"}, 0), ({"team_size": "0"}, 0),
     ({"team_size": "a few"}, 0), ({}, 0)],
)  # fmt: skip
def test_the_suggested_invites_leave_out_the_buyer(details, expected):
    assert suggested_invite_count(details) == expected


# Saving steps -------------------------------------------------------------------


def test_saving_services_starts_onboarding_and_is_logged(owner_client, salon, owner):
    response = _patch(owner_client, {"services": SERVICES})
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["state"], body["completed_steps"], body["steps"]["services"]) == (
        "in_progress",
        ["services"],
        SERVICES,
    )
    assert owner_client.get(URL).json()["steps"]["services"] == SERVICES
    salon.refresh_from_db()
    assert salon.onboarding_data["services"] == SERVICES
    entry = ActivityEntry.objects.get(organization=salon, verb="onboarding.step_saved")
    assert (entry.actor, entry.data) == (owner, {"steps": ["services"]})


def test_a_saved_empty_list_of_services_is_not_refilled_from_the_profile(owner_client, salon):
    _patch(owner_client, {"services": []})
    assert owner_client.get(URL).json()["steps"]["services"] == []


def test_saving_the_business_updates_the_organization(owner_client, salon):
    business = {
        "name": "Curl Up and Dye",
        "timezone": "America/Denver",
        "country": "US",
        "currency": "USD",
        "phone": "(303) 555-0147",
        "email": "hello@curlup.example",
        "website": "https://curlup.example",
        "address_line1": "12 Larimer St",
        "city": "Denver",
        "region": "CO",
        "postal_code": "80202",
    }
    response = _patch(owner_client, {"business": business})
    assert response.status_code == 200, response.content
    assert response.json()["steps"]["business"] == {**business, "phone": "+13035550147", "address_line2": ""}
    assert response.json()["completed_steps"] == ["business"]
    salon.refresh_from_db()
    assert (salon.name, str(salon.timezone), salon.phone) == ("Curl Up and Dye", "America/Denver", "+13035550147")
    assert ActivityEntry.objects.filter(organization=salon, verb="organization.updated").exists()


def test_once_saved_a_blank_phone_stays_blank(owner_client, salon):
    _patch(owner_client, {"business": {"name": "Curl Up & Dye", "timezone": "America/Chicago", "phone": ""}})
    assert owner_client.get(URL).json()["steps"]["business"]["phone"] == ""


def test_working_hours_are_saved_in_order(owner_client, org):
    week = {**WEEK, "monday": list(reversed(WEEK["monday"]))}
    response = _patch(owner_client, {"working_hours": week})
    assert response.status_code == 200, response.content
    assert response.json()["steps"]["working_hours"] == WEEK
    org.refresh_from_db()
    assert org.onboarding_data["working_hours"] == WEEK


def test_team_invites_are_saved(owner_client, org):
    invites = [{"email": "Dana@Alpha.example", "role": "staff"}, {"email": "eve@alpha.example", "role": "viewer"}]
    response = _patch(owner_client, {"team_invites": invites})
    assert response.status_code == 200, response.content
    assert response.json()["steps"]["team_invites"] == [
        {"email": "dana@alpha.example", "role": "staff"},
        {"email": "eve@alpha.example", "role": "viewer"},
    ]


def test_the_steps_as_read_save_back_unchanged(owner_client, org):
    _industry(org, "plumber")
    steps = owner_client.get(URL).json()["steps"]
    saved = _patch(owner_client, steps)
    assert saved.status_code == 200, saved.content
    assert saved.json()["steps"] == steps
    assert saved.json()["completed_steps"] == ["business", "services", "working_hours", "team_invites"]


def test_steps_saved_one_at_a_time_add_up(owner_client, org):
    _patch(owner_client, {"working_hours": WEEK})
    body = _patch(owner_client, {"services": SERVICES, "team_invites": []}).json()
    assert body["completed_steps"] == ["services", "working_hours", "team_invites"]
    assert (body["steps"]["working_hours"], body["steps"]["services"]) == (WEEK, SERVICES)
    assert ActivityEntry.objects.filter(organization=org, verb="onboarding.step_saved").count() == 2


# Validation -----------------------------------------------------------------------


def _service(**changes) -> dict:
    return {**SERVICES[0], **changes}


@pytest.mark.parametrize(
    ("services", "path"),
    [
        ([_service(duration_minutes=3)], ("0", "duration_minutes")),
        ([_service(), _service(name="Repair", duration_minutes=1441)], ("1", "duration_minutes")),
        ([_service(price=-1)], ("0", "price")),
        ([_service(price=12.5)], ("0", "price")),
        ([_service(buffer_minutes=241)], ("0", "buffer_minutes")),
        ([_service(name="")], ("0", "name")),
        ([_service(), _service(name="boiler SERVICE")], ("1", "name")),
    ],
)
def test_a_bad_service_is_named_by_its_place_and_field(owner_client, org, services, path):
    index, field = path
    fields = _fields(_patch(owner_client, {"services": services}))
    assert list(fields) == ["services"]
    assert list(fields["services"]) == [index]
    assert list(fields["services"][index]) == [field]
    org.refresh_from_db()
    assert (org.onboarding_data, org.onboarding_state) == ({}, OnboardingState.PENDING)


def test_a_duplicate_service_says_so(owner_client):
    fields = _fields(_patch(owner_client, {"services": [_service(), _service(name="Boiler service ")]}))
    assert fields == {"services": {"1": {"name": ["“Boiler service” is listed twice."]}}}


def test_at_most_fifty_services(owner_client):
    services = [_service(name=f"Service {number}") for number in range(51)]
    assert _fields(_patch(owner_client, {"services": services})) == {
        "services": ["Ensure this field has no more than 50 elements."]
    }


def test_a_range_ending_before_it_starts_is_refused(owner_client):
    week = {**WEEK, "tuesday": [{"start": "17:00", "end": "08:00"}]}
    assert _fields(_patch(owner_client, {"working_hours": week})) == {
        "working_hours": {"tuesday": {"0": {"end": ["Must be after the start (17:00)."]}}}
    }


def test_overlapping_ranges_in_a_day_are_refused(owner_client):
    week = {**WEEK, "monday": [{"start": "08:00", "end": "12:00"}, {"start": "11:30", "end": "17:00"}]}
    assert _fields(_patch(owner_client, {"working_hours": week})) == {
        "working_hours": {"monday": ["08:00–12:00 overlaps 11:30–17:00."]}
    }


def test_times_are_24_hour_and_every_day_is_given(owner_client):
    week = {**WEEK, "friday": [{"start": "9am", "end": "24:00"}]}
    del week["sunday"]
    fields = _fields(_patch(owner_client, {"working_hours": week}))
    assert fields == {
        "working_hours": {
            "friday": {
                "0": {
                    "start": ["Use a 24-hour time as HH:MM, e.g. 09:30."],
                    "end": ["Use a 24-hour time as HH:MM, e.g. 09:30."],
                }
            },
            "sunday": ["This field is required."],
        }
    }


@pytest.mark.parametrize(
    ("invites", "path"),
    [
        ([{"email": "not-an-email", "role": "staff"}], ("0", "email")),
        ([{"email": "dana@alpha.example", "role": "owner"}], ("0", "role")),
        ([{"email": "dana@alpha.example", "role": "boss"}], ("0", "role")),
        ([{"email": "dana@alpha.example", "role": "staff"}, {"email": "DANA@alpha.example", "role": "admin"}],
         ("1", "email")),
    ],
)  # fmt: skip
def test_a_bad_invite_is_named_by_its_place_and_field(owner_client, invites, path):
    index, field = path
    fields = _fields(_patch(owner_client, {"team_invites": invites}))
    assert list(fields["team_invites"][index]) == [field]


def test_a_member_is_not_invited_again_and_nothing_is_saved(owner_client, org, staff_member):
    response = _patch(
        owner_client,
        {"business": {"name": "Renamed", "timezone": "UTC"}, "team_invites": [{"email": "BOB@alpha.example", "role": "admin"}]},
    )  # fmt: skip
    assert _fields(response) == {"team_invites": ["bob@alpha.example is already a member of the team."]}
    org.refresh_from_db()
    assert (org.name, org.onboarding_data) == ("Alpha Plumbing", {})


def test_the_business_needs_a_name_a_time_zone_and_a_real_phone(owner_client):
    response = _patch(owner_client, {"business": {"name": "", "timezone": "Mars/Olympus", "phone": "12"}})
    assert list(_fields(response)) == ["business"]
    assert set(_fields(response)["business"]) == {"name", "timezone"}
    response = _patch(owner_client, {"business": {"name": "Alpha", "timezone": "UTC", "phone": "12"}})
    assert list(_fields(response)["business"]) == ["phone"]


def test_an_empty_save_is_refused(owner_client):
    assert _fields(_patch(owner_client, {})) == {
        "non_field_errors": ["Send at least one step: business, services, working_hours, team_invites."]
    }


# Completing -----------------------------------------------------------------------


def test_completion_names_what_is_missing_then_succeeds(owner_client, org, owner):
    _patch(owner_client, {"working_hours": {day: [] for day in WEEK}})
    refused = owner_client.post(COMPLETE_URL)
    assert refused.status_code == 400
    assert refused.json()["error"] == {
        "code": "onboarding_incomplete",
        "message": "Some onboarding steps are not finished.",
        "fields": {
            "services": ["Add at least one service."],
            "working_hours": ["Open on at least one day of the week."],
        },
    }
    org.refresh_from_db()
    assert org.onboarding_state == OnboardingState.IN_PROGRESS

    _patch(owner_client, {"services": SERVICES, "working_hours": WEEK})
    done = owner_client.post(COMPLETE_URL)
    assert done.status_code == 200, done.content
    assert done.json()["state"] == "completed"
    assert done.json()["completed_steps"] == ["business", "services", "working_hours", "team_invites"]
    entry = ActivityEntry.objects.get(organization=org, verb="onboarding.completed")
    assert entry.actor == owner


def test_a_business_without_a_name_cannot_complete(owner_client, salon):
    salon.name = ""  # saved past validation, as a data import or the admin could
    salon.save()
    assert _fields(owner_client.post(COMPLETE_URL)) == {"business": ["Give the business a name."]}


def test_completing_twice_is_harmless(owner_client, salon):
    first = owner_client.post(COMPLETE_URL)
    second = owner_client.post(COMPLETE_URL)
    assert (first.status_code, second.status_code) == (200, 200)
    assert first.json() == second.json()
    assert ActivityEntry.objects.filter(organization=salon, verb="onboarding.completed").count() == 1


def test_completion_keeps_the_pre_filled_steps_as_accepted(owner_client, salon):
    accepted = owner_client.get(URL).json()
    owner_client.post(COMPLETE_URL)
    profile = IndustryProfile.objects.get(key="hair_salon")
    profile.default_services = [{"name": "Trim", "duration_minutes": 15, "price": 1500, "buffer_minutes": 0}]
    profile.save()
    salon.refresh_from_db()
    assert salon.onboarding_data["services"] == accepted["steps"]["services"]
    assert salon.onboarding_data["working_hours"] == accepted["steps"]["working_hours"]
    assert owner_client.get(URL).json()["steps"]["services"] == accepted["steps"]["services"]


def test_saving_after_completion_keeps_it_completed(owner_client, salon):
    owner_client.post(COMPLETE_URL)
    assert _patch(owner_client, {"services": SERVICES}).json()["state"] == "completed"


# Who may see and change it ------------------------------------------------------------


@pytest.mark.parametrize("role_client", ["staff_client", "viewer_client"])
def test_members_without_the_right_read_but_cannot_change(request, org, role_client):
    client = request.getfixturevalue(role_client)
    assert client.get(URL).status_code == 200
    refused = _patch(client, {"services": SERVICES})
    assert (refused.status_code, refused.json()["error"]["code"]) == (403, "role_forbidden")
    assert client.post(COMPLETE_URL).status_code == 403
    org.refresh_from_db()
    assert (org.onboarding_state, org.onboarding_data) == (OnboardingState.PENDING, {})


def test_an_admin_fills_it_in(org, admin_user):
    from conftest import client_for

    assert _patch(client_for(admin_user), {"services": SERVICES}).status_code == 200


def test_another_organizations_onboarding_is_never_seen(outsider_client, salon, other_org):
    other_org.signup_details = {"business_name": "Bravo Salon", "team_size": "2"}
    other_org.save()
    body = outsider_client.get(URL).json()
    assert body["steps"]["business"]["name"] == "Bravo Salon"
    assert body["signup_details"] == {"business_name": "Bravo Salon", "team_size": "2"}
    assert body["industry"] is None
    switched = outsider_client.get(URL, HTTP_X_ORGANIZATION=salon.slug)
    assert switched.status_code == 403
    assert "Curl Up" not in switched.content.decode()


def test_another_organizations_onboarding_is_never_changed(outsider_client, salon, other_org):
    assert _patch(outsider_client, {"services": SERVICES}).status_code == 200
    assert outsider_client.post(COMPLETE_URL, HTTP_X_ORGANIZATION=salon.slug).status_code == 403
    salon.refresh_from_db()
    assert (salon.onboarding_state, salon.onboarding_data) == (OnboardingState.PENDING, {})
    other_org.refresh_from_db()
    assert other_org.onboarding_data["services"] == SERVICES
