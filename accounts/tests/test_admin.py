"""Staff use the admin across every organization: each model has a working list with search and filters."""

import pytest
from django.contrib import admin
from django.urls import reverse

from accounts.models import TenantModel
from config.tests.registry import make

pytestmark = pytest.mark.django_db

LOCAL_APPS = {"accounts", "crm", "scheduling", "inbox", "billing", "assistant", "analytics"}
REGISTERED = [model for model in admin.site._registry if model._meta.app_label in LOCAL_APPS]


@pytest.fixture
def staff_client(client, django_user_model):
    staff = django_user_model.objects.create_superuser("ops@bizbox.example", "a-long-staff-password")
    client.force_login(staff)
    return client


def test_every_local_model_is_in_the_admin():
    from django.apps import apps

    local = {model for model in apps.get_models() if model._meta.app_label in LOCAL_APPS}
    assert local == set(REGISTERED)


@pytest.mark.parametrize("model", REGISTERED, ids=lambda m: m._meta.label)
def test_the_list_searches_filters_and_shows_every_organization(staff_client, model, org, other_org):
    model_admin = admin.site._registry[model]
    assert model_admin.search_fields, f"{model.__name__} admin needs search_fields"
    assert model_admin.list_filter or model._meta.model_name == "user", f"{model.__name__} admin needs list_filter"
    theirs = make(model, other_org)
    make(model, org)
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")

    response = staff_client.get(url)
    assert response.status_code == 200
    shown = {obj.pk for obj in response.context["cl"].result_list}
    assert theirs.pk in shown
    if issubclass(model, TenantModel):
        assert {obj.organization_id for obj in response.context["cl"].result_list} >= {org.id, other_org.id}
    assert staff_client.get(url, {"q": "anything"}).status_code == 200

    change = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_change", args=[theirs.pk])
    assert staff_client.get(change).status_code == 200


def test_members_of_a_business_cannot_open_the_admin(owner_client):
    response = owner_client.get("/admin/")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_staff_edit_an_organization_in_the_admin(staff_client, other_org):
    url = reverse("admin:accounts_organization_change", args=[other_org.pk])
    page = staff_client.get(url)
    form = page.context["adminform"].form
    data = {name: form[name].value() or "" for name in form.fields}
    for formset in page.context["inline_admin_formsets"]:
        management = formset.formset.management_form
        data.update({f"{formset.formset.prefix}-{name}": management[name].value() for name in management.fields})
    data.update(
        {
            "name": "Bravo Salon & Spa",
        }
    )
    response = staff_client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    other_org.refresh_from_db()
    assert other_org.name == "Bravo Salon & Spa"
