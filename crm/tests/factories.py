import factory
from factory.django import DjangoModelFactory

from accounts.tests.factories import OrganizationFactory
from crm.models import Contact, ContactNote, ContactTag, Tag
from crm.services import search_columns


class TagFactory(DjangoModelFactory):
    class Meta:
        model = Tag

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"Tag {n}")


class ContactFactory(DjangoModelFactory):
    class Meta:
        model = Contact

    organization = factory.SubFactory(OrganizationFactory)
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.Sequence(lambda n: f"client{n}@example.net")
    phone = factory.Sequence(lambda n: f"+1312555{n % 10000:04d}")
    emails = factory.LazyAttribute(lambda c: [{"value": c.email, "label": ""}] if c.email else [])
    phones = factory.LazyAttribute(lambda c: [{"value": c.phone, "label": ""}] if c.phone else [])

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        contact = model_class(*args, **kwargs)
        search_columns(contact)
        contact.save()
        return contact


class ContactTagFactory(DjangoModelFactory):
    class Meta:
        model = ContactTag

    organization = factory.SubFactory(OrganizationFactory)
    contact = factory.SubFactory(ContactFactory, organization=factory.SelfAttribute("..organization"))
    tag = factory.SubFactory(TagFactory, organization=factory.SelfAttribute("..organization"))


class ContactNoteFactory(DjangoModelFactory):
    class Meta:
        model = ContactNote

    organization = factory.SubFactory(OrganizationFactory)
    contact = factory.SubFactory(ContactFactory, organization=factory.SelfAttribute("..organization"))
    body = factory.Faker("sentence")
