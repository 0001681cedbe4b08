"""One shape for every API error: ``{"error": {"code", "message", "fields"}}``.

Views and services raise; this turns what they raise into that shape. Django
validation errors raised by services become a 400 naming the fields, so a
rule is written once, in the service, and still reaches the client clearly.
"""

from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from django_ratelimit.exceptions import Ratelimited
from rest_framework import exceptions, status
from rest_framework.response import Response


class ApiError(exceptions.APIException):
    """An error with its own code and status, e.g. ``ApiError(409, "conflict", "...")``;
    ``extra`` adds keys beside the code and message (what a conflict conflicts with)."""

    def __init__(
        self, status_code: int, code: str, message: str, fields: dict | None = None, extra: dict | None = None
    ):
        self.status_code = status_code
        self.fields = fields or {}
        self.extra = extra or {}
        super().__init__(detail=message, code=code)


def body_too_large() -> ApiError:
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    return ApiError(
        status.HTTP_413_REQUEST_ENTITY_TOO_LARGE, "body_too_large", f"The request body is larger than {limit} bytes."
    )


def error_body(
    code: str, message: str, fields: dict[str, Any] | None = None, extra: dict[str, Any] | None = None
) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "fields": fields or {}, **(extra or {})}}


def _field_messages(detail: Any) -> dict[str, Any]:
    if isinstance(detail, dict):
        return {
            key: _field_messages(value) if isinstance(value, dict) else _as_list(value) for key, value in detail.items()
        }
    return {"non_field_errors": _as_list(detail)}


def _as_list(value: Any) -> list:
    if isinstance(value, list):
        return [str(item) if not isinstance(item, (dict, list)) else item for item in value]
    return [str(value)]


def _from_django_validation_error(error: DjangoValidationError) -> exceptions.ValidationError:
    if hasattr(error, "error_dict"):
        fields = dict(error.message_dict)
        if "__all__" in fields:
            fields["non_field_errors"] = fields.pop("__all__")
        return exceptions.ValidationError(fields)
    return exceptions.ValidationError({"non_field_errors": error.messages})


def exception_handler(exc: Exception, context: dict) -> Response | None:
    if isinstance(exc, DjangoValidationError):
        exc = _from_django_validation_error(exc)
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, Ratelimited):
        exc = ApiError(
            status.HTTP_429_TOO_MANY_REQUESTS, "rate_limited", "Too many requests; wait a little and try again."
        )
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, RequestDataTooBig):
        exc = body_too_large()

    # Imported here: DRF's views load the parser setting, and our parser imports this module.
    from rest_framework.views import exception_handler as drf_exception_handler

    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        response.data = error_body("invalid", "Some fields are not valid.", _field_messages(exc.detail))
    elif isinstance(exc, ApiError):
        response.data = error_body(exc.get_codes(), str(exc.detail), exc.fields, exc.extra)
    else:
        codes = exc.get_codes() if isinstance(exc, exceptions.APIException) else "error"
        code = codes if isinstance(codes, str) else "error"
        response.data = error_body(code, str(getattr(exc, "detail", exc)))
    return response


def _json_handler(status_code: int, code: str, message: str):
    def handler(request, exception=None, *args, **kwargs):
        return JsonResponse(error_body(code, message), status=status_code)

    return handler


# Django's own error views for requests that never reach a DRF view (an unknown
# route, a malformed id in a path, a body Django itself refuses).
json_bad_request = _json_handler(status.HTTP_400_BAD_REQUEST, "bad_request", "The request could not be understood.")
json_permission_denied = _json_handler(status.HTTP_403_FORBIDDEN, "permission_denied", "You may not do this.")
json_not_found = _json_handler(status.HTTP_404_NOT_FOUND, "not_found", "Not found.")
json_server_error = _json_handler(
    status.HTTP_500_INTERNAL_SERVER_ERROR, "server_error", "Something went wrong on our side; it has been logged."
)
