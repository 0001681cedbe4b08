"""A photo sent on Messenger is kept by URL and copied from Meta's CDN after the message is stored."""

from inbox.models import Attachment, Message
from inbox.tests.meta_helpers import PAGE_ID, PERSON_PSID, facebook_config, message_event, post_signed, webhook


def test_an_attachment_is_recorded_and_fetched_from_its_url(
    fake_meta, org, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.MEDIA_ROOT = tmp_path
    facebook_config(org, fake_meta)
    url = fake_meta.add_media("leak.jpg", b"\xff\xd8 a photo of a leak")
    event = message_event(PERSON_PSID, PAGE_ID, "m_photo", attachments=[url])

    with django_capture_on_commit_callbacks(execute=True):
        assert post_signed("facebook", webhook("page", PAGE_ID, event)).status_code == 200

    message = Message.objects.get()
    attachment = Attachment.objects.get(message=message)
    assert (message.body, attachment.filename, attachment.source_url, attachment.error) == ("", "leak.jpg", url, "")
    assert attachment.file.read() == b"\xff\xd8 a photo of a leak"


def test_an_attachment_without_a_file_url_is_skipped(fake_meta, org):
    facebook_config(org, fake_meta)
    event = message_event(PERSON_PSID, PAGE_ID, "m_sticker", "thumbs up")
    event["message"]["attachments"] = [{"type": "location", "payload": {"coordinates": {"lat": 1, "long": 2}}}]

    assert post_signed("facebook", webhook("page", PAGE_ID, event)).status_code == 200

    assert Message.objects.get().body == "thumbs up"
    assert not Attachment.objects.exists()
