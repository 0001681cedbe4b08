"""Idempotency-Key for POSTs that create money or messages.

A client that retries a create with the same key gets the first answer back
instead of a second object. The record and the object are written in one
transaction, and the unique key makes a concurrent duplicate wait for the
first one and then replay it.
"""

import hashlib
import json
from collections.abc import Callable

from django.db import transaction
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.models import IdempotencyRecord
from config.api.errors import ApiError

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"


def _fingerprint(request: Request) -> str:
    payload = json.dumps([request.method, request.path, request.user.pk, request.data], sort_keys=True, default=str)
    return hashlib.sha256(payload.encode()).hexdigest()


def idempotent(request: Request, create: Callable[[], Response]) -> Response:
    """Run ``create`` once per Idempotency-Key in the request's organization."""
    key = request.headers.get(HEADER, "").strip()
    if not key:
        return create()
    if len(key) > 255:
        raise ApiError(status.HTTP_400_BAD_REQUEST, "invalid_idempotency_key", f"{HEADER} is at most 255 characters.")
    fingerprint = _fingerprint(request)
    with transaction.atomic():
        record, created = IdempotencyRecord.objects.get_or_create(
            organization=request.organization,
            key=key,
            defaults={
                "user": request.user,
                "method": request.method,
                "path": request.path,
                "request_fingerprint": fingerprint,
            },
        )
        if not created:
            return _replay(record, fingerprint)
        response = create()
        record.response_status = response.status_code
        record.response_body = response.data
        record.save(update_fields=["response_status", "response_body"])
    return response


def _replay(record: IdempotencyRecord, fingerprint: str) -> Response:
    if record.request_fingerprint != fingerprint:
        raise ApiError(
            status.HTTP_422_UNPROCESSABLE_ENTITY,
            "idempotency_key_reused",
            f"This {HEADER} was already used for a different request.",
        )
    response = Response(record.response_body, status=record.response_status)
    response[REPLAYED_HEADER] = "true"
    return response


class IdempotentCreateMixin:
    """Add to a viewset whose POST creates money or messages."""

    def create(self, request, *args, **kwargs):
        return idempotent(request, lambda: super(IdempotentCreateMixin, self).create(request, *args, **kwargs))
