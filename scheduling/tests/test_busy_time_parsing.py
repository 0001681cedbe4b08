"""What an outside calendar's file counts as busy: times only, recurring events expanded."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from scheduling import ical

CHICAGO = ZoneInfo("America/Chicago")
UTC = ZoneInfo("UTC")
START = datetime(2027, 1, 4, tzinfo=UTC)  # a Monday
END = START + timedelta(days=28)


def calendar(*events: str, header: str = "") -> bytes:
    body = "".join(
        f"BEGIN:VEVENT\nUID:{n}@example.net\nDTSTAMP:20261201T000000Z\n{e}END:VEVENT\n" for n, e in enumerate(events)
    )
    text = f"BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//Tests//EN\n{header}{body}END:VCALENDAR\n"
    return text.replace("\n", "\r\n").encode()


def busy(content: bytes, tz: ZoneInfo = CHICAGO) -> list[tuple[datetime, datetime]]:
    return ical.busy_intervals(content=content, tz=tz, start=START, end=END)


def at(day: int, hour: int, minute: int = 0, tz: ZoneInfo = UTC) -> datetime:
    return datetime(2027, 1, day, hour, minute, tzinfo=tz)


def test_a_plain_event_is_busy_from_its_start_to_its_end():
    content = calendar("DTSTART:20270105T150000Z\nDTEND:20270105T160000Z\nSUMMARY:Dentist\n")

    assert busy(content) == [(at(5, 15), at(5, 16))]


def test_a_time_zone_named_by_the_event_is_respected():
    content = calendar("DTSTART;TZID=Europe/Paris:20270105T090000\nDTEND;TZID=Europe/Paris:20270105T100000\n")

    assert busy(content) == [(at(5, 8), at(5, 9))]


def test_a_recurring_event_is_expanded_with_its_exceptions():
    content = calendar(
        "DTSTART;TZID=America/Chicago:20270105T090000\nDTEND;TZID=America/Chicago:20270105T093000\n"
        "RRULE:FREQ=WEEKLY;COUNT=4\nEXDATE;TZID=America/Chicago:20270112T090000\n"
    )

    assert busy(content) == [(at(day, 9, tz=CHICAGO), at(day, 9, 30, tz=CHICAGO)) for day in (5, 19, 26)]


def test_an_endless_rule_stops_at_the_end_of_the_window():
    content = calendar("DTSTART:20261201T120000Z\nDTEND:20261201T130000Z\nRRULE:FREQ=DAILY\n")

    intervals = busy(content)

    assert len(intervals) == 28
    assert intervals[0] == (at(4, 12), at(4, 13)) and intervals[-1] == (at(31, 12), at(31, 13))


def test_free_and_cancelled_events_are_not_busy():
    content = calendar(
        "DTSTART:20270105T150000Z\nDTEND:20270105T160000Z\nTRANSP:TRANSPARENT\n",
        "DTSTART:20270106T150000Z\nDTEND:20270106T160000Z\nSTATUS:CANCELLED\n",
        "DTSTART:20270107T150000Z\nDTEND:20270107T160000Z\nSTATUS:CONFIRMED\nTRANSP:OPAQUE\n",
    )

    assert busy(content) == [(at(7, 15), at(7, 16))]


def test_an_all_day_event_blocks_the_whole_local_day():
    content = calendar("DTSTART;VALUE=DATE:20270108\nDTEND;VALUE=DATE:20270110\n")

    assert busy(content) == [(at(8, 0, tz=CHICAGO), at(10, 0, tz=CHICAGO))]


def test_a_floating_time_is_read_in_the_business_time_zone_unless_the_calendar_names_one():
    event = "DTSTART:20270105T090000\nDTEND:20270105T100000\n"

    assert busy(calendar(event)) == [(at(5, 9, tz=CHICAGO), at(5, 10, tz=CHICAGO))]
    paris = busy(calendar(event, header="X-WR-TIMEZONE:Europe/Paris\n"))
    assert paris == [(at(5, 8), at(5, 9))]


def test_overlapping_events_merge_into_one_interval():
    content = calendar(
        "DTSTART:20270105T150000Z\nDTEND:20270105T170000Z\n",
        "DTSTART:20270105T160000Z\nDTEND:20270105T180000Z\n",
        "DTSTART:20270105T180000Z\nDTEND:20270105T183000Z\n",
    )

    assert busy(content) == [(at(5, 15), at(5, 18, 30))]


def test_intervals_are_clipped_to_the_window():
    content = calendar("DTSTART:20261230T000000Z\nDTEND:20270106T000000Z\n")

    assert busy(content) == [(START, at(6, 0))]


def test_long_intervals_are_split_into_pieces_of_at_most_a_day():
    begin = at(5, 6)
    pieces = ical.split_interval(begin, begin + timedelta(hours=60))

    assert pieces == [
        (begin, begin + timedelta(hours=24)),
        (begin + timedelta(hours=24), begin + timedelta(hours=48)),
        (begin + timedelta(hours=48), begin + timedelta(hours=60)),
    ]
    assert ical.split_interval(begin, begin + timedelta(hours=1)) == [(begin, begin + timedelta(hours=1))]


@pytest.mark.parametrize(
    "content",
    [b"", b"<html><body>Sign in</body></html>", b"BEGIN:VEVENT\r\nEND:VEVENT\r\n", b"\x00\x01\x02binary"],
    ids=["empty", "html", "not-a-calendar", "binary"],
)
def test_what_is_not_a_calendar_is_refused(content):
    with pytest.raises(ical.CalendarParseError):
        busy(content)


def test_a_runaway_rule_is_refused():
    content = calendar("DTSTART:20270104T000000Z\nDTEND:20270104T000100Z\nRRULE:FREQ=MINUTELY\n")

    with pytest.raises(ical.CalendarParseError, match="more than"):
        busy(content)
