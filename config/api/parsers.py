import io

from django.conf import settings
from rest_framework import parsers, status

from config.api.errors import ApiError


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser reads the raw stream, past Django's upload limit: cap it here."""

    def parse(self, stream, media_type=None, parser_context=None):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        request = (parser_context or {}).get("request")
        declared = int(request.META.get("CONTENT_LENGTH") or 0) if request is not None else 0
        if limit is not None and declared > limit:
            raise _too_large(limit)
        body = stream.read(limit + 1) if limit is not None else stream.read()
        if limit is not None and len(body) > limit:
            raise _too_large(limit)
        return super().parse(io.BytesIO(body), media_type, parser_context)


def _too_large(limit: int) -> ApiError:
    return ApiError(
        status.HTTP_413_REQUEST_ENTITY_TOO_LARGE, "body_too_large", f"The request body is larger than {limit} bytes."
    )
