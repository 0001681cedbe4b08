import pytest

from accounts import services
from accounts.models import IndustryProfile, WorkMode

pytestmark = pytest.mark.django_db

EXPECTED = {
    "plumber",
    "electrician",
    "cleaner",
    "landscaper",
    "hvac",
    "hair_salon",
    "physiotherapy",
    "personal_trainer",
}


def test_the_shipped_profiles_are_in_the_database_and_valid():
    profiles = {profile.key: profile for profile in IndustryProfile.objects.all()}
    assert set(profiles) >= EXPECTED
    for profile in profiles.values():
        profile.full_clean()
        assert profile.default_services, profile.key
    assert profiles["hair_salon"].work_mode == WorkMode.APPOINTMENTS
    assert profiles["plumber"].work_mode == WorkMode.JOBS


def test_reloading_keeps_the_admins_edits_unless_told_to_overwrite():
    plumber = IndustryProfile.objects.get(key="plumber")
    plumber.name = "Plumbing & drains"
    plumber.save()
    services.industry_profiles_load()
    assert IndustryProfile.objects.get(key="plumber").name == "Plumbing & drains"
    services.industry_profiles_load(overwrite=True)
    assert IndustryProfile.objects.get(key="plumber").name == "Plumber"


def test_the_api_lists_active_profiles_for_signed_in_users(owner_client):
    IndustryProfile.objects.filter(key="landscaper").update(is_active=False)
    body = owner_client.get("/api/v1/industry-profiles/").json()
    keys = [profile["key"] for profile in body]
    assert "landscaper" not in keys
    assert "plumber" in keys
    salon = owner_client.get("/api/v1/industry-profiles/hair_salon/").json()
    assert salon["vocabulary"]["staff_member"] == "Stylist"
    assert owner_client.get("/api/v1/industry-profiles/", {"work_mode": "appointments"}).json()
    assert all(
        p["work_mode"] == "appointments"
        for p in owner_client.get("/api/v1/industry-profiles/", {"work_mode": "appointments"}).json()
    )


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("default_services", [{"name": "", "duration_minutes": 60, "price": 100}]),
        ("default_services", [{"name": "Call-out", "duration_minutes": 0, "price": 100}]),
        ("default_services", [{"name": "Call-out", "duration_minutes": 60, "price": 10.5}]),
        ("contact_fields", [{"key": "gate code", "label": "Gate code", "type": "text"}]),
        ("contact_fields", [{"key": "size", "label": "Size", "type": "choice"}]),
        ("reminder_offsets_hours", [0]),
        ("vocabulary", {"customer": "Client"}),
    ],
)
def test_malformed_profile_data_is_refused_with_a_message(field, value):
    from django.core.exceptions import ValidationError

    profile = IndustryProfile.objects.get(key="plumber")
    setattr(profile, field, value)
    with pytest.raises(ValidationError) as error:
        profile.full_clean()
    assert field in error.value.message_dict
