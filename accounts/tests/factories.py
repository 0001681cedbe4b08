import factory
from factory.django import DjangoModelFactory

from accounts.models import (
    ActivityEntry,
    ApiToken,
    IdempotencyRecord,
    IndustryProfile,
    Membership,
    Organization,
    OrganizationIndustry,
    User,
)
from accounts.roles import Role
from accounts.selectors import api_token_hash


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ["email"]

    email = factory.Sequence(lambda n: f"person{n}@example.com")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")


class OrganizationFactory(DjangoModelFactory):
    class Meta:
        model = Organization

    name = factory.Sequence(lambda n: f"Business {n}")
    slug = factory.Sequence(lambda n: f"business-{n}")
    timezone = "America/New_York"


class IndustryProfileFactory(DjangoModelFactory):
    class Meta:
        model = IndustryProfile

    key = factory.Sequence(lambda n: f"trade_{n}")
    name = factory.Sequence(lambda n: f"Trade {n}")
    work_mode = "jobs"
    vocabulary = factory.LazyFunction(lambda: {"client": "Customer", "job": "Job"})
    default_services = factory.LazyFunction(lambda: [{"name": "Call-out", "duration_minutes": 60, "price": 9000}])
    reminder_offsets_hours = factory.LazyFunction(lambda: [24])
    contact_fields = factory.LazyFunction(list)


class OrganizationIndustryFactory(DjangoModelFactory):
    class Meta:
        model = OrganizationIndustry

    organization = factory.SubFactory(OrganizationFactory)
    profile = factory.SubFactory(IndustryProfileFactory)


class MembershipFactory(DjangoModelFactory):
    class Meta:
        model = Membership

    organization = factory.SubFactory(OrganizationFactory)
    user = factory.SubFactory(UserFactory)
    role = Role.STAFF


class ApiTokenFactory(DjangoModelFactory):
    class Meta:
        model = ApiToken

    organization = factory.SubFactory(OrganizationFactory)
    user = factory.SubFactory(UserFactory)
    name = factory.Sequence(lambda n: f"Script {n}")
    prefix = "bbx_test"
    key_hash = factory.Sequence(lambda n: api_token_hash(f"factory-key-{n}"))


class ActivityEntryFactory(DjangoModelFactory):
    class Meta:
        model = ActivityEntry

    organization = factory.SubFactory(OrganizationFactory)
    verb = "record.updated"
    summary = factory.Sequence(lambda n: f"Change {n}")


class IdempotencyRecordFactory(DjangoModelFactory):
    class Meta:
        model = IdempotencyRecord

    organization = factory.SubFactory(OrganizationFactory)
    user = factory.SubFactory(UserFactory)
    key = factory.Sequence(lambda n: f"key-{n}")
    method = "POST"
    path = "/api/v1/example/"
    request_fingerprint = "0" * 64
