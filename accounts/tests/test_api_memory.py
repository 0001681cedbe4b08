"""An API answer is freed as soon as it is sent, not left for the garbage collector.

The test client keeps references of its own to each response (``response.json`` names it),
so these tests call the handler underneath it, which serves the request as gunicorn's WSGI
application does, and look at what a collection pass finds afterwards.
"""

import gc

import pytest
from django.test import RequestFactory
from django.test.client import ClientHandler
from rest_framework.response import Response

from accounts import services
from crm.tests.factories import ContactFactory

pytestmark = pytest.mark.django_db


def _cyclic_garbage_after(path: str, key: str) -> list:
    handler = ClientHandler()
    environ = RequestFactory().get(path, HTTP_AUTHORIZATION=f"Bearer {key}").environ
    gc.collect()
    gc.disable()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        response = handler(environ)
        status = response.status_code
        del response
        gc.collect()
        garbage = list(gc.garbage)
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()
    assert status == 200
    return garbage


@pytest.mark.parametrize("path", ["/api/v1/contacts/", "/api/v1/organization/"])
def test_a_sent_answer_is_not_held_in_a_reference_cycle(org, owner, path):
    ContactFactory.create_batch(3, organization=org)
    _, key = services.api_token_create(organization=org, user=owner, name="Memory")

    garbage = _cyclic_garbage_after(path, key)

    assert not [item for item in garbage if isinstance(item, Response)]
