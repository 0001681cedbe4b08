"""What the suite-wide tests walk: every tenant model and a factory to make one.

Each app keeps its factories in ``<app>/tests/factories.py``; a tenant model
without one makes the cross-tenant tests fail with a message saying so.
"""

import importlib
from functools import cache

from django.apps import apps
from django.conf import settings
from factory.django import DjangoModelFactory

from accounts.models import Organization, TenantModel

LOCAL_APPS = [app for app in settings.INSTALLED_APPS if "." not in app]


def tenant_models() -> list[type[TenantModel]]:
    return [model for model in apps.get_models() if issubclass(model, TenantModel)]


def models_with_organization_column() -> list:
    return [
        model
        for model in apps.get_models()
        if any(getattr(field, "related_model", None) is Organization and field.concrete for field in model._meta.fields)
    ]


@cache
def _factories() -> dict[type, type[DjangoModelFactory]]:
    found: dict[type, type[DjangoModelFactory]] = {}
    for app in LOCAL_APPS:
        try:
            module = importlib.import_module(f"{app}.tests.factories")
        except ModuleNotFoundError:
            continue
        for value in vars(module).values():
            if isinstance(value, type) and issubclass(value, DjangoModelFactory) and value._meta.model is not None:
                found.setdefault(value._meta.model, value)
    return found


def factory_for(model) -> type[DjangoModelFactory]:
    factory = _factories().get(model)
    assert factory is not None, (
        f"No factory for {model.__name__}: add one to {model._meta.app_label}/tests/factories.py "
        "so the cross-tenant and query-count suites can cover it."
    )
    return factory


def make(model, organization: Organization | None, **fields):
    """One object of ``model``; a tenant model's object belongs to ``organization``."""
    if organization is not None and issubclass(model, TenantModel):
        fields["organization"] = organization
    return factory_for(model)(**fields)
