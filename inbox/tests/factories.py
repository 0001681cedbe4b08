import factory
from django.db.models import F
from django.utils import timezone
from factory.django import DjangoModelFactory

from accounts.tests.factories import OrganizationFactory
from crm.tests.factories import ContactFactory
from inbox.models import (
    CHANNEL_BITS,
    Attachment,
    Channel,
    ContactIdentity,
    Direction,
    IntegrationConfig,
    IntegrationKind,
    Label,
    Message,
    MessageEvent,
    MessageStatus,
    Thread,
    ThreadLabel,
)

PHOTO = b"\xff\xd8\xff\xe0 not really a photo"


class IntegrationConfigFactory(DjangoModelFactory):
    class Meta:
        model = IntegrationConfig

    organization = factory.SubFactory(OrganizationFactory)
    kind = IntegrationKind.TWILIO_SMS
    name = "Main line"
    address = factory.Sequence(lambda n: f"+1415555{n % 10000:04d}")
    credentials = factory.LazyFunction(lambda: {"account_sid": "AC" + "0" * 32, "auth_token": "secret"})


class ThreadFactory(DjangoModelFactory):
    class Meta:
        model = Thread

    organization = factory.SubFactory(OrganizationFactory)
    contact = factory.SubFactory(ContactFactory, organization=factory.SelfAttribute("..organization"))
    # A thread exists because a message was written; the inbox lists only such threads.
    last_message_at = factory.LazyFunction(timezone.now)


class ContactIdentityFactory(DjangoModelFactory):
    class Meta:
        model = ContactIdentity

    organization = factory.SubFactory(OrganizationFactory)
    contact = factory.SubFactory(ContactFactory, organization=factory.SelfAttribute("..organization"))
    channel = Channel.SMS
    address = factory.Sequence(lambda n: f"+1312666{n % 10000:04d}")


class LabelFactory(DjangoModelFactory):
    class Meta:
        model = Label

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"Label {n}")


class ThreadLabelFactory(DjangoModelFactory):
    class Meta:
        model = ThreadLabel

    organization = factory.SubFactory(OrganizationFactory)
    thread = factory.SubFactory(ThreadFactory, organization=factory.SelfAttribute("..organization"))
    label = factory.SubFactory(LabelFactory, organization=factory.SelfAttribute("..organization"))


class MessageFactory(DjangoModelFactory):
    class Meta:
        model = Message
        skip_postgeneration_save = True

    organization = factory.SubFactory(OrganizationFactory)
    thread = factory.SubFactory(ThreadFactory, organization=factory.SelfAttribute("..organization"))
    integration = factory.SubFactory(IntegrationConfigFactory, organization=factory.SelfAttribute("..organization"))
    channel = Channel.SMS
    direction = Direction.INBOUND
    status = MessageStatus.RECEIVED
    provider_message_id = factory.Sequence(lambda n: f"SM{n:032d}")
    from_address = factory.SelfAttribute("thread.contact.phone")
    to_address = factory.SelfAttribute("integration.address")
    body = factory.Faker("sentence")

    @factory.post_generation
    def mark_channel(message, create, extracted, **kwargs):
        """As the services do: the thread records that it has a message on this channel."""
        if create:
            Thread.objects.filter(pk=message.thread_id).update(
                channels=F("channels").bitor(CHANNEL_BITS[message.channel])
            )


class MessageEventFactory(DjangoModelFactory):
    class Meta:
        model = MessageEvent

    organization = factory.SubFactory(OrganizationFactory)
    message = factory.SubFactory(MessageFactory, organization=factory.SelfAttribute("..organization"))
    status = MessageStatus.SENT


class AttachmentFactory(DjangoModelFactory):
    class Meta:
        model = Attachment

    organization = factory.SubFactory(OrganizationFactory)
    message = factory.SubFactory(MessageFactory, organization=factory.SelfAttribute("..organization"))
    filename = "photo.jpg"
    content_type = "image/jpeg"
    size = len(PHOTO)
    source_url = ""
    # A file the request carried is stored at once; one the provider keeps (source_url) is fetched later.
    file = factory.Maybe(
        "source_url",
        yes_declaration="",
        no_declaration=factory.django.FileField(filename="photo.jpg", data=PHOTO),
    )
