"""Views that lose their database connection halfway, for the tests of the 503 answer.

Each asks PostgreSQL to end its own session, then queries again: the error
that follows is the one a restart or a failover of the database gives.
"""

from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.urls import path
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Organization


def _lose_the_connection() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(pg_backend_pid())")
    return Organization.objects.count()


class ApiViewLosingItsConnection(APIView):
    def get(self, request):
        return Response({"count": _lose_the_connection()})


def page_losing_its_connection(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"count": _lose_the_connection()})


class ApiViewThatWorks(APIView):
    def get(self, request):
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            return Response({"backend": cursor.fetchone()[0]})


urlpatterns = [
    path("api/v1/lose-connection/", ApiViewLosingItsConnection.as_view()),
    path("lose-connection/", page_losing_its_connection),
    path("api/v1/works/", ApiViewThatWorks.as_view()),
]
