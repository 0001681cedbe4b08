"""A database that cannot be reached gives a 503 in the API's error shape, and the next request reconnects."""

import logging
from contextlib import suppress

from django.db import DatabaseError, InterfaceError, OperationalError, connection, connections
from django.http import HttpRequest, HttpResponse, JsonResponse

# Imported with the middleware, as the process starts: a first import from several request
# threads at once (all answering 503 while the database is down) could meet it half-loaded.
from config.api.errors import error_body

logger = logging.getLogger(__name__)

# What psycopg raises when the server is gone, restarting, refusing connections,
# or when the pool has none to give in time; also timeouts and deadlocks, which
# pass as well when the client tries again.
DATABASE_UNAVAILABLE = (OperationalError, InterfaceError)
RETRY_AFTER_SECONDS = 5


def service_unavailable() -> JsonResponse:
    response = JsonResponse(
        error_body("service_unavailable", "The service is briefly unavailable; try again in a few seconds."),
        status=503,
    )
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


class DatabaseUnavailableMiddleware:
    """Answer 503 when the database fails a request, and leave no broken connection behind.

    Django turns what an inner middleware raises into a response before an
    outer one sees it, so an error from the tenancy middleware's first query
    cannot be caught here. Instead the request gets a working connection
    first, checked the way the first query would check it (a kept connection
    is health-checked, the pool checks what it hands out), and goes on only
    then. A connection lost later, in a view, arrives at ``process_exception``.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            connection.close_if_health_check_failed()
            connection.ensure_connection()
        except DATABASE_UNAVAILABLE as error:
            return self._unavailable(request, error)
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, DATABASE_UNAVAILABLE):
            return self._unavailable(request, exception)
        return None

    @staticmethod
    def _unavailable(request: HttpRequest, error: Exception) -> JsonResponse:
        logger.error("Database unavailable for %s %s: %s", request.method, request.path, error, exc_info=error)
        for database in connections.all(initialized_only=True):
            # Closed, a broken connection is dropped (the pool discards it): the next request connects afresh.
            with suppress(DatabaseError):
                database.close()
        return service_unavailable()
