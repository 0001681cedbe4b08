import factory
from factory.django import DjangoModelFactory

from accounts.tests.factories import OrganizationFactory
from billing.models import Provisioning


class ProvisioningFactory(DjangoModelFactory):
    class Meta:
        model = Provisioning

    organization = factory.SubFactory(OrganizationFactory)
    checkout_session_id = factory.Sequence(lambda n: f"cs_test_{n:06d}")
    stripe_customer_id = factory.Sequence(lambda n: f"cus_test_{n:06d}")
