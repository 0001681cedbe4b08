import io

from django.conf import settings
from rest_framework import parsers

from config.api.errors import body_too_large


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser can read the raw stream past Django's upload limit: cap it here."""

    def parse(self, stream, media_type=None, parser_context=None):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if limit is None:
            return super().parse(stream, media_type, parser_context)
        body = stream.read(limit + 1)
        if len(body) > limit:
            raise body_too_large()
        return super().parse(io.BytesIO(body), media_type, parser_context)
