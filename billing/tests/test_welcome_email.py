"""The welcome email: sent once, retried when the email service stumbles, failures kept visible."""

import pytest
from django.urls import reverse

from accounts.services import TransientEmailError
from billing import services
from billing.models import WelcomeEmailStatus
from billing.tasks import welcome_email_send
from billing.tests.factories import ProvisioningFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def provisioning(org, owner):
    from accounts.tests.factories import IndustryProfileFactory, OrganizationIndustryFactory

    OrganizationIndustryFactory(organization=org, profile=IndustryProfileFactory(name="Plumber"))
    return ProvisioningFactory(organization=org)


def test_the_email_names_the_business_and_carries_an_absolute_magic_link(provisioning, fake_email):
    welcome_email_send.delay(organization_id=provisioning.organization_id)
    [message] = fake_email.messages_to("alice@alpha.example")
    assert message["Subject"] == "Welcome to Bizbox, Alpha Plumbing"
    assert "Alpha Plumbing" in message["HtmlBody"] and "as a plumber" in message["TextBody"]
    links = fake_email.links_in(message)
    confirm = f"http://127.0.0.1:8000{reverse('magic-link-confirm')}?sesame="
    assert any(link.startswith(confirm) for link in links)
    assert all(link.startswith("http://127.0.0.1:8000/") for link in links)
    provisioning.refresh_from_db()
    assert provisioning.welcome_email_status == WelcomeEmailStatus.SENT
    assert provisioning.welcome_email_attempts == 1


def test_running_the_task_twice_sends_once(provisioning, fake_email):
    for _ in range(2):
        welcome_email_send.delay(organization_id=provisioning.organization_id)
    assert len(fake_email.sent) == 1


def test_a_transient_failure_is_recorded_then_retried(provisioning, fake_email):
    fake_email.fail_next(1, status=503)
    with pytest.raises(TransientEmailError):
        services.welcome_email_send(organization_id=provisioning.organization_id)
    provisioning.refresh_from_db()
    assert (provisioning.welcome_email_status, provisioning.welcome_email_attempts) == (WelcomeEmailStatus.PENDING, 1)
    assert "503" in provisioning.welcome_email_error

    welcome_email_send.delay(organization_id=provisioning.organization_id)
    provisioning.refresh_from_db()
    assert provisioning.welcome_email_status == WelcomeEmailStatus.SENT
    assert provisioning.welcome_email_error == ""
    assert len(fake_email.sent) == 1


def test_a_permanent_failure_is_kept_on_the_organization(provisioning, fake_email, owner):
    fake_email.rejected_addresses.add(owner.email)
    welcome_email_send.delay(organization_id=provisioning.organization_id)
    provisioning.refresh_from_db()
    assert provisioning.welcome_email_status == WelcomeEmailStatus.FAILED
    assert "AnymailRecipientsRefused" in provisioning.welcome_email_error
    assert fake_email.sent == []


def test_staff_see_the_failure_and_resend_from_the_admin(
    provisioning, fake_email, owner, client, django_user_model, django_capture_on_commit_callbacks
):
    fake_email.rejected_addresses.add(owner.email)
    welcome_email_send.delay(organization_id=provisioning.organization_id)
    staff = django_user_model.objects.create_superuser("ops@bizbox.example", "a-long-staff-password")
    client.force_login(staff)
    page = client.get(reverse("admin:billing_provisioning_changelist"), {"welcome_email_status__exact": "failed"})
    assert "Alpha Plumbing" in page.content.decode()
    organization_page = client.get(reverse("admin:accounts_organization_change", args=[provisioning.organization_id]))
    assert "AnymailRecipientsRefused" in organization_page.content.decode()

    fake_email.rejected_addresses.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:billing_provisioning_changelist"),
            {"action": "resend_welcome_email", "_selected_action": [provisioning.pk]},
        )
    assert response.status_code == 302
    provisioning.refresh_from_db()
    assert provisioning.welcome_email_status == WelcomeEmailStatus.SENT
    assert len(fake_email.sent) == 1
