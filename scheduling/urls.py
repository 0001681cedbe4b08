"""Public scheduling addresses, outside the API: the private calendar feeds."""

from django.urls import re_path

from scheduling import views

urlpatterns = [
    re_path(r"^calendar/(?P<token>[A-Za-z0-9_-]{16,64})\.ics$", views.calendar_feed, name="calendar-feed"),
]
