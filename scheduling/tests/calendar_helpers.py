"""Reading our feeds back with the icalendar library, as a subscriber would."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar

from scheduling.models import CalendarFeed


def feed_path(feed: CalendarFeed) -> str:
    return f"/calendar/{feed.token}.ics"


def fetch_feed(client, feed: CalendarFeed) -> icalendar.Calendar:
    response = client.get(feed_path(feed))
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    return icalendar.Calendar.from_ical(response.content)


def events_by_uid(calendar: icalendar.Calendar) -> dict[str, icalendar.Event]:
    return {str(event["UID"]): event for event in calendar.events}


def next_dst_change(tz: ZoneInfo, after: date) -> date:
    """The first day after ``after`` whose noon has another UTC offset than the day before's."""
    for days in range(1, 366):
        day = after + timedelta(days=days)
        noon = datetime(day.year, day.month, day.day, 12, tzinfo=tz)
        if noon.utcoffset() != (noon - timedelta(days=1)).utcoffset():
            return day
    raise AssertionError(f"{tz.key} has no DST change within a year")
