"""The public calendar feed: what Google, Apple and Outlook fetch, with no login.

The token in the address is the credential. It is looked up across organizations
(the only system-scope read here); everything after runs in that organization's scope.
"""

from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.http import require_safe

from accounts.tenancy import organization_scope, system_scope
from scheduling import ical
from scheduling.models import CalendarFeed


def _live_feed(token: str) -> CalendarFeed:
    with system_scope():
        feed = (
            CalendarFeed.objects.select_related("organization", "staff__user")
            .filter(token=token, revoked_at__isnull=True)
            .first()
        )
    if feed is None:
        raise Http404("No such calendar.")
    return feed


@require_safe
def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    feed = _live_feed(token)
    with organization_scope(feed.organization_id):
        body = ical.feed_ics(feed=feed)
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="calendar.ics"'
    # Private to whoever holds the address; shared caches must not keep it.
    response["Cache-Control"] = "private, max-age=300"
    response["X-Robots-Tag"] = "noindex"
    return response
