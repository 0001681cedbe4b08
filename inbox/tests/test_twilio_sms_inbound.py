"""An SMS to the business's Twilio number lands once in its contact's thread."""

from crm.models import Contact, ContactSource
from crm.tests.factories import ContactFactory
from inbox.models import Channel, ContactIdentity, Direction, Message, MessageStatus, Thread
from inbox.tests.twilio_helpers import SMS_NUMBER, SMS_URL, inbound_sms, message_sid, post_signed, twilio_integration


def test_an_sms_from_a_new_number_creates_the_contact_thread_and_message(org, other_org):
    config = twilio_integration(org)
    sid = message_sid()

    response = post_signed(SMS_URL, inbound_sms(sid=sid, sender="+13125550177", body="Can you fix a leak today?"))

    assert response.status_code == 200
    assert response["Content-Type"] == "text/xml"
    assert response.content.decode().endswith("<Response></Response>")
    contact = Contact.objects.get(organization=org)
    assert (contact.phone, contact.source) == ("+13125550177", ContactSource.INBOX)
    thread = Thread.objects.get(contact=contact)
    assert thread.unread_count == 1
    assert thread.last_inbound_integration == config
    message = Message.objects.get(thread=thread)
    assert (message.channel, message.direction, message.status) == (Channel.SMS, Direction.INBOUND, "received")
    assert (message.provider_message_id, message.from_address, message.to_address) == (sid, "+13125550177", SMS_NUMBER)
    assert message.body == "Can you fix a leak today?"
    assert ContactIdentity.objects.filter(contact=contact, channel=Channel.SMS, address="+13125550177").exists()
    assert not Contact.objects.filter(organization=other_org).exists()


def test_an_sms_from_a_known_phone_goes_to_that_contact(org):
    twilio_integration(org)
    known = ContactFactory(organization=org, first_name="Dana", phone="+13125550188")

    post_signed(SMS_URL, inbound_sms(sid=message_sid(), sender="+13125550188"))

    assert list(Contact.objects.filter(organization=org)) == [known]
    assert Message.objects.get().thread.contact == known


def test_the_same_webhook_five_times_stores_one_message(org):
    twilio_integration(org)
    params = inbound_sms(sid=message_sid(), sender="+13125550199", body="Are you open Saturday?")

    statuses = [post_signed(SMS_URL, params).status_code for _ in range(5)]

    assert statuses == [200] * 5
    assert Message.objects.filter(organization=org).count() == 1
    assert Contact.objects.filter(organization=org).count() == 1
    assert Thread.objects.get(organization=org).unread_count == 1
    assert Message.objects.get().status == MessageStatus.RECEIVED
