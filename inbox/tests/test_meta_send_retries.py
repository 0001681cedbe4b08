"""Meta failing for a while: the worker retries, sends once, and the message shows every attempt."""

import pytest

from config.celery import app
from inbox import services, tasks
from inbox.models import MessageStatus, Thread
from inbox.tests.meta_helpers import PAGE_ID, PERSON_PSID, facebook_config, message_event, post_signed, webhook


@pytest.fixture
def retries_run_in_place():
    """Eager Celery runs a retry at once; only the outermost call may swallow the Retry it raises."""
    saved = app.conf.task_eager_propagates
    app.conf.task_eager_propagates = False
    yield
    app.conf.task_eager_propagates = saved


def test_two_failures_then_success_sends_once_after_three_attempts(
    fake_meta, org, owner, django_capture_on_commit_callbacks, retries_run_in_place
):
    facebook_config(org, fake_meta)
    fake_meta.profiles[PERSON_PSID] = {"first_name": "Maria"}
    post_signed("facebook", webhook("page", PAGE_ID, message_event(PERSON_PSID, PAGE_ID, "m_in", "Leak!")))
    fake_meta.fail_next(2, status=500)

    with django_capture_on_commit_callbacks() as enqueued:
        message = services.message_send(thread=Thread.objects.get(), actor=owner, body="Coming now")
    assert len(enqueued) == 2  # the delivery task, and the live update

    # What the worker does with the task that was enqueued, each retry run at once.
    tasks.message_deliver.apply(kwargs={"organization_id": org.pk, "message_id": message.pk}, throw=False)
    message.refresh_from_db()

    assert len(fake_meta.send_calls()) == 3
    assert len(fake_meta.sent) == 1
    assert (message.status, message.attempts, message.error_code) == (MessageStatus.SENT, 3, "")
    assert message.provider_message_id == fake_meta.sent[0]["message_id"]
    history = list(message.events.order_by("at", "id").values_list("status", "detail"))
    assert [status for status, _ in history] == ["queued", "queued", "queued", "sent"]
    assert history[1][1].startswith("Attempt 1: Meta refused the request (code 2)")
    assert history[1][1].endswith("(will retry)")
    assert history[2][1].startswith("Attempt 2:")
