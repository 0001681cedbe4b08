"""Our stored copy of an attachment: a signed-in download of this organization's files only."""

import pytest
from rest_framework.test import APIClient

from inbox.tests.factories import PHOTO, AttachmentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def _url(attachment) -> str:
    return f"/api/v1/inbox/attachments/{attachment.pk}/download/"


def test_a_member_downloads_the_stored_copy(viewer_client, org):
    attachment = AttachmentFactory(organization=org, filename="leak under sink.jpg")

    response = viewer_client.get(_url(attachment), HTTP_ACCEPT="image/jpeg")

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PHOTO
    # Never shown inline: whoever sent it chose its content.
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"].startswith("attachment;")
    assert "leak under sink.jpg" in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"


def test_an_attachment_without_a_copy_is_a_404_saying_so(owner_client, org):
    attachment = AttachmentFactory(organization=org, source_url="https://files.example/photo.jpg")

    response = owner_client.get(_url(attachment))

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_stored"


def test_another_organizations_file_and_strangers_get_nothing(owner_client, other_org):
    theirs = AttachmentFactory(organization=other_org)

    assert owner_client.get(_url(theirs)).status_code == 404
    assert APIClient().get(_url(theirs)).status_code in (401, 403)
