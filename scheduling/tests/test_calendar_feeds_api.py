"""Managing feed addresses through the API: make one, list them, revoke one."""

from unittest.mock import ANY

import pytest

from accounts.models import ActivityEntry, Membership
from accounts.tests.factories import MembershipFactory
from scheduling.models import CalendarFeed
from scheduling.tests.calendar_helpers import feed_path
from scheduling.tests.factories import CalendarFeedFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/calendar-feeds/"


def test_a_feed_of_the_whole_business(owner_client, owner, org, settings):
    settings.SITE_URL = "https://app.bizbox.example"

    response = owner_client.post(URL, {}, format="json")

    assert response.status_code == 201, response.json()
    feed = CalendarFeed.objects.get()
    assert response.json() == {
        "id": feed.id,
        "staff": None,
        "staff_name": None,
        "url": f"https://app.bizbox.example/calendar/{feed.token}.ics",
        "webcal_url": f"webcal://app.bizbox.example/calendar/{feed.token}.ics",
        "active": True,
        "created_at": ANY,
        "revoked_at": None,
    }
    assert feed.organization == org
    assert ActivityEntry.objects.filter(verb="calendar_feed.created", actor=owner, target_id=str(feed.id)).exists()


def test_a_feed_of_one_staff_member(owner_client, org, staff_member):
    member = Membership.objects.get(user=staff_member)

    response = owner_client.post(URL, {"staff": member.id}, format="json")

    assert response.status_code == 201, response.json()
    assert response.json()["staff"] == member.id
    assert response.json()["staff_name"] == staff_member.full_name
    assert CalendarFeed.objects.get().staff == member


def test_a_staff_member_of_another_organization_is_refused(owner_client, other_org):
    stranger = MembershipFactory(organization=other_org)

    response = owner_client.post(URL, {"staff": stranger.id}, format="json")

    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["staff"]
    assert not CalendarFeed.objects.exists()


def test_revoking_stops_the_address_at_once(owner_client, client, org):
    feed = CalendarFeedFactory(organization=org, staff=None)
    assert client.get(feed_path(feed)).status_code == 200

    response = owner_client.post(f"{URL}{feed.id}/revoke/")

    assert response.status_code == 200
    assert response.json()["active"] is False and response.json()["revoked_at"] is not None
    assert client.get(feed_path(feed)).status_code == 404
    assert owner_client.post(f"{URL}{feed.id}/revoke/").json()["revoked_at"] == response.json()["revoked_at"]
    assert ActivityEntry.objects.filter(verb="calendar_feed.revoked").count() == 1


def test_the_list_shows_the_organizations_feeds_newest_first(owner_client, org, other_org):
    older = CalendarFeedFactory(organization=org, staff=None)
    newer = CalendarFeedFactory(organization=org)
    CalendarFeedFactory(organization=other_org)

    response = owner_client.get(URL)

    assert response.status_code == 200
    assert [item["id"] for item in response.json()["results"]] == [newer.id, older.id]
    assert response.json()["next"] is None


def test_a_viewer_sees_feeds_but_cannot_make_or_revoke_them(viewer_client, org):
    feed = CalendarFeedFactory(organization=org)

    assert viewer_client.get(URL).status_code == 200
    assert viewer_client.post(URL, {}, format="json").status_code == 403
    assert viewer_client.post(f"{URL}{feed.id}/revoke/").status_code == 403
