"""Scheduling at scale: a salon of 10 staff with a long booking history, among other businesses.

Creates (or refreshes) in the benchmark database two copies of one business,
"Lakeview Salon" (America/Chicago), side by side:

- ``lakeview-salon`` with ``--bookings`` bookings (20,000 by default),
- ``lakeview-salon-history`` with ``--history`` bookings (200,000 by default; none
  and no second copy with ``--history 0``),

whose bookings from today onwards are the same (same staff hours, same pattern,
drawn from the same seeds per staff member and day): only the past grows. The
slot finder and the calendar therefore see the same window in both, and any
difference in their cost comes from the history alone.

Each copy has 10 members who take bookings (the owner and nine staff), the
business's opening hours and the staff's own weekly hours (four staff with a
lunch break, i.e. two ranges a day), five services with buffers (one of them
limited to four colourists), a booking policy and ``--contacts`` clients.
Bookings fill each working day to about half, never overlap per staff member
(blocked time included: the exclusion constraint stays on during the load; taking
it off and putting it back is slower, its GiST index takes about 30 s to build),
and some are cancelled. ``--others`` more organizations of 5 staff and ``--each``
bookings share the table, as in production.

Organizations, members, hours and services go through the product's models in
the system scope; contacts and bookings through PostgreSQL COPY as the
database superuser (COPY is refused on tables under row-level security for
everyone else), then VACUUM ANALYZE. Each copy's owner gets an API token, written
with the ids the benchmark needs to bench/results/scheduling_tokens.json.

The defaults are the large scale of bench/run.py, which calls ``generate`` with
smaller sizes for its small scale.

    .venv/bin/python bench/scheduling_generate.py                       # 20,000 and 200,000
    .venv/bin/python bench/scheduling_generate.py --history 1000000     # a longer history
"""

import argparse
import itertools
import json
import random
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common, contacts_generate

TIME_ZONE = "America/Chicago"
# Days from today that get the same bookings in both copies: the measured windows
# (30 days of slots, next week's calendar) and a margin.
FUTURE_DAYS = 45
BOOKING_COLUMNS = (
    "organization_id",
    "staff_id",
    "contact_id",
    "service_id",
    "starts_at",
    "ends_at",
    "blocked_from",
    "blocked_until",
    "status",
    "source",
    "notes",
    "cancel_reason",
    "cancelled_at",
    "sequence",
    "created_at",
    "updated_at",
)
NOTES = ("", "", "", "", "Prefers the window chair", "Sensitive scalp", "Running late usually", "Gift voucher")


@dataclass(frozen=True)
class ServiceSpec:
    name: str
    minutes: int
    before: int
    after: int
    price: int
    weight: int
    colourists_only: bool = False


SERVICES = (
    ServiceSpec("Haircut", 30, 0, 10, 4_500, 5),
    ServiceSpec("Cut and style", 60, 10, 15, 8_500, 4),  # the one the slot benchmark asks for
    ServiceSpec("Colour", 90, 10, 20, 14_000, 2, colourists_only=True),
    ServiceSpec("Beard trim", 20, 0, 5, 2_500, 2),
    ServiceSpec("Consultation", 15, 0, 0, 0, 1),
)
MEASURED_SERVICE = "Cut and style"
COLOURISTS = 4  # the first four staff

Ranges = list[tuple[clock, clock]]
WEEKDAYS, TUESDAY_TO_FRIDAY = range(5), range(1, 5)
BUSINESS_HOURS: dict[int, Ranges] = {
    **{day: [(clock(8), clock(18))] for day in WEEKDAYS},
    5: [(clock(9), clock(14))],
}


def staff_hours(index: int) -> dict[int, Ranges]:
    """Three shapes of week, all inside the business's hours (so no intersection is needed here)."""
    if index < 4:
        return {day: [(clock(8), clock(12)), (clock(12, 45), clock(18))] for day in WEEKDAYS}
    if index < 7:
        return {day: [(clock(8), clock(16))] for day in WEEKDAYS}
    return {**{day: [(clock(10), clock(18))] for day in TUESDAY_TO_FRIDAY}, 5: [(clock(9), clock(14))]}


@dataclass(frozen=True)
class Business:
    name: str
    slug: str
    staff: int
    bookings: int
    time_zone: str
    seed: int


@dataclass(frozen=True)
class Sizes:
    bookings: int = 20_000  # of lakeview-salon
    history: int = 200_000  # of lakeview-salon-history; 0 leaves that copy out
    contacts: int = 3_000  # clients of each business
    others: int = 5  # other businesses sharing the tables
    each: int = 10_000  # bookings of each other business


def businesses(sizes: Sizes) -> list[Business]:
    plan = [Business("Lakeview Salon", "lakeview-salon", 10, sizes.bookings, TIME_ZONE, 1)]
    if sizes.history:
        plan.append(
            Business("Lakeview Salon (long history)", "lakeview-salon-history", 10, sizes.history, TIME_ZONE, 1)
        )
    zones = ("America/New_York", "America/Denver", "America/Los_Angeles", "America/Chicago")
    plan += [
        Business(f"Scheduling Business {n}", f"scheduling-business-{n}", 5, sizes.each, zones[n % len(zones)], 100 + n)
        for n in range(1, sizes.others + 1)
    ]
    return plan


# The product's side: organization, members, hours, services, token ---------------------------


@dataclass
class Setup:
    organization_id: int
    staff_ids: list[int]
    services: dict[str, tuple[int, ServiceSpec]]
    token: str


def ensure_business(business: Business) -> Setup:
    from accounts import services
    from accounts.models import Organization, User
    from accounts.roles import Role

    owner, _ = User.objects.get_or_create(email=f"owner@{business.slug}.example")
    organization = Organization.objects.filter(slug=business.slug).first()
    if organization is None:
        organization = services.organization_create(
            name=business.name, slug=business.slug, owner=owner, timezone=business.time_zone
        )
    members = [organization.membership_set.get(user=owner)]
    for index in range(1, business.staff):
        user, _ = User.objects.get_or_create(email=f"staff{index}@{business.slug}.example")
        members.append(services.membership_create(organization=organization, user=user, role=Role.STAFF, actor=owner))
    ensure_hours(organization, members)
    return Setup(
        organization_id=organization.id,
        staff_ids=[member.id for member in members],
        services=ensure_services(organization, members),
        token=fresh_token(organization, owner),
    )


def ensure_hours(organization, members) -> None:
    from scheduling.models import BookingPolicy, DateHours, TimeOff, WeeklyHours

    WeeklyHours.objects.filter(organization=organization).delete()
    DateHours.objects.filter(organization=organization).delete()
    TimeOff.objects.filter(organization=organization).delete()
    rows = [
        WeeklyHours(organization=organization, staff=staff, weekday=weekday, start_time=opens, end_time=closes)
        for staff, week in [(None, BUSINESS_HOURS), *((m, staff_hours(i)) for i, m in enumerate(members))]
        for weekday, ranges in week.items()
        for opens, closes in ranges
    ]
    WeeklyHours.objects.bulk_create(rows)
    BookingPolicy.objects.update_or_create(
        organization=organization, defaults={"lead_time_minutes": 120, "horizon_days": 60, "slot_step_minutes": 15}
    )


def ensure_services(organization, members) -> dict[str, tuple[int, ServiceSpec]]:
    from scheduling.models import Service, ServiceStaff

    made = {}
    for spec in SERVICES:
        service, _ = Service.objects.update_or_create(
            organization=organization,
            name=spec.name,
            defaults={
                "duration_minutes": spec.minutes,
                "buffer_before_minutes": spec.before,
                "buffer_after_minutes": spec.after,
                "price": spec.price,
                "is_active": True,
            },
        )
        ServiceStaff.objects.filter(service=service).delete()
        if spec.colourists_only:
            ServiceStaff.objects.bulk_create(
                ServiceStaff(organization=organization, service=service, member=member)
                for member in members[:COLOURISTS]
            )
        made[spec.name] = (service.id, spec)
    return made


def fresh_token(organization, owner) -> str:
    from accounts import services
    from accounts.models import ApiToken

    ApiToken.objects.filter(organization=organization, name="Benchmark").delete()
    _, key = services.api_token_create(organization=organization, user=owner, name="Benchmark")
    return key


# The bookings ---------------------------------------------------------------------------------


def day_bookings(rng: random.Random, ranges: list[tuple[datetime, datetime]], offer) -> Iterator[tuple]:
    """One staff member's day: walk each working range, either leaving a gap or booking a
    service, so that about half the time is booked and blocked times never overlap.
    Yields the service and (starts, ends, blocked_from, blocked_until)."""
    services, weights = offer
    quarter = timedelta(minutes=15)
    for opens, closes in ranges:
        cursor = opens
        while cursor < closes:
            if rng.random() < 0.4:
                cursor += quarter * rng.randint(1, 6)
                continue
            service_id, spec = rng.choices(services, weights)[0]
            before, after = timedelta(minutes=spec.before), timedelta(minutes=spec.after)
            starts = opens + quarter * -(-(cursor + before - opens) // quarter)  # next quarter hour
            ends = starts + timedelta(minutes=spec.minutes)
            if ends > closes:
                break
            yield service_id, (starts, ends, starts - before, ends + after)
            cursor = ends + after


def staff_day_ranges(week: dict[int, Ranges], day: date, tz: ZoneInfo) -> list[tuple[datetime, datetime]]:
    return [
        (datetime.combine(day, opens, tz).astimezone(UTC), datetime.combine(day, closes, tz).astimezone(UTC))
        for opens, closes in week.get(day.weekday(), [])
    ]


def staff_offer(setup: Setup, index: int) -> tuple[list[tuple[int, ServiceSpec]], list[int]]:
    """The services one staff member does, and how often each is booked."""
    offered = [
        (service_id, spec)
        for service_id, spec in setup.services.values()
        if index < COLOURISTS or not spec.colourists_only
    ]
    return offered, [spec.weight for _, spec in offered]


def days_in_order(today: date) -> Iterator[date]:
    """Today and the ``FUTURE_DAYS`` after it, then the past, going back from yesterday."""
    for offset in range(FUTURE_DAYS + 1):
        yield today + timedelta(days=offset)
    day = today
    while True:
        day -= timedelta(days=1)
        yield day


def booking_rows(business: Business, setup: Setup, contact_ids: list[int], now: datetime) -> Iterator[tuple]:
    """Exactly ``business.bookings`` rows, the window ahead first, then as much past as it
    takes. A staff member's day is drawn from a seed of its own, so two businesses with
    the same seed have the same recent days whatever the length of their history."""
    tz = ZoneInfo(business.time_zone)
    weeks = [staff_hours(index) for index in range(business.staff)]
    offers = [staff_offer(setup, index) for index in range(business.staff)]

    def every_booking() -> Iterator[tuple]:
        for day in days_in_order(now.astimezone(tz).date()):
            for index, staff_id in enumerate(setup.staff_ids):
                rng = random.Random(f"{business.seed}:{index}:{day.isoformat()}")
                for service_id, times in day_bookings(rng, staff_day_ranges(weeks[index], day, tz), offers[index]):
                    contact_id = rng.choice(contact_ids)
                    yield booking_row(rng, setup.organization_id, staff_id, contact_id, service_id, times, now)

    return itertools.islice(every_booking(), business.bookings)


def booking_row(rng, organization_id, staff_id, contact_id, service_id, times, now: datetime) -> tuple:
    starts, ends, blocked_from, blocked_until = times
    roll = rng.random()
    if roll < 0.07:
        status = "cancelled"
    elif starts < now:
        status = "no_show" if roll < 0.10 else "completed"
    else:
        status = "tentative" if roll < 0.15 else "confirmed"
    created = min(now, starts - timedelta(hours=rng.randint(1, 30 * 24)))
    cancelled_at = min(now, created + (starts - created) * rng.random()) if status == "cancelled" else None
    source = rng.choices(("staff", "booking_page", "assistant"), (60, 35, 5))[0]
    return (
        organization_id, staff_id, contact_id, service_id, starts, ends, blocked_from, blocked_until,
        status, source, rng.choice(NOTES), "Client asked to cancel" if cancelled_at else "", cancelled_at,
        0, created, created,
    )  # fmt: skip


def load(admin_url: str, plans: list[tuple[Business, Setup]], contacts: int, now: datetime) -> dict[str, dict]:
    """Contacts, then bookings, per business; returns what was loaded, per slug."""
    import psycopg

    vocab = contacts_generate.names()
    loaded = {}
    with psycopg.connect(admin_url, autocommit=True) as connection:
        for business, setup in plans:
            started = time.monotonic()
            connection.execute("DELETE FROM scheduling_booking WHERE organization_id = %s", [setup.organization_id])
            contact_ids = load_contacts(connection, setup.organization_id, contacts, vocab)
            with (
                connection.cursor() as cursor,
                cursor.copy(f"COPY scheduling_booking ({', '.join(BOOKING_COLUMNS)}) FROM STDIN") as copy,
            ):
                for row in booking_rows(business, setup, contact_ids, now):
                    copy.write_row(row)
            seconds = time.monotonic() - started
            loaded[business.slug] = {"bookings": business.bookings, "contacts": len(contact_ids), "seconds": seconds}
            print(f"  {business.slug}: {business.bookings:,} bookings in {seconds:.1f} s", flush=True)
        # VACUUM too: a rerun deletes the previous rows, whose dead index entries would
        # otherwise be read by the first scans of the window.
        connection.execute("VACUUM ANALYZE crm_contact")
        connection.execute("VACUUM ANALYZE scheduling_booking")
    return loaded


def load_contacts(connection, organization_id: int, count: int, vocab) -> list[int]:
    connection.execute("DELETE FROM crm_contact WHERE organization_id = %s", [organization_id])
    columns = ", ".join(contacts_generate.COLUMNS)
    with connection.cursor() as cursor, cursor.copy(f"COPY crm_contact ({columns}) FROM STDIN") as copy:
        for row in contacts_generate.contact_rows(organization_id, count, organization_id, vocab):
            copy.write_row(row)
    rows = connection.execute("SELECT id FROM crm_contact WHERE organization_id = %s ORDER BY id", [organization_id])
    return [contact_id for (contact_id,) in rows]


def window_density(admin_url: str, setup: Setup, now: datetime, days: int = 30) -> dict:
    """How full the next ``days`` are: holding bookings' time over the staff's working time."""
    import psycopg

    tz = ZoneInfo(TIME_ZONE)
    end = now + timedelta(days=days)
    working = timedelta()
    day = now.astimezone(tz).date()
    while day <= end.astimezone(tz).date():
        for index in range(len(setup.staff_ids)):
            for opens, closes in staff_day_ranges(staff_hours(index), day, tz):
                working += max(timedelta(), min(closes, end) - max(opens, now))
        day += timedelta(days=1)
    with psycopg.connect(admin_url) as connection:
        count, booked = connection.execute(
            "SELECT count(*), coalesce(sum(least(blocked_until, %(end)s) - greatest(blocked_from, %(now)s)), '0')"
            " FROM scheduling_booking WHERE organization_id = %(org)s AND status <> 'cancelled'"
            " AND blocked_from < %(end)s AND blocked_until > %(now)s",
            {"org": setup.organization_id, "now": now, "end": end},
        ).fetchone()
    return {"holding_bookings": count, "booked_share": round(booked / working, 2)}


def generate(database_url: str, sizes: Sizes) -> dict[str, dict]:
    """Build the businesses and their bookings in the database Django is set up on (the one of
    ``database_url``); returns what the benchmarks need of each salon by slug, also written to
    ``common.tokens_file("scheduling", database_url)``."""
    from accounts.tenancy import system_scope

    admin_url = common.admin_url(database_url)
    now = datetime.now(UTC).replace(microsecond=0)
    with system_scope():
        setups = [(business, ensure_business(business)) for business in businesses(sizes)]
    started = time.monotonic()
    loaded = load(admin_url, setups, sizes.contacts, now)
    seconds = time.monotonic() - started
    total = sum(row["bookings"] for row in loaded.values())
    print(f"{total:,} bookings in {seconds:.0f} s ({total / seconds:,.0f} rows/s, contacts and indexes included)")

    datasets = {}
    for business, setup in setups:
        if not business.slug.startswith("lakeview-salon"):
            continue
        service_id, _ = setup.services[MEASURED_SERVICE]
        density = window_density(admin_url, setup, now)
        datasets[business.slug] = {
            "organization_id": setup.organization_id,
            "token": setup.token,
            "time_zone": business.time_zone,
            "bookings": business.bookings,
            "contacts": sizes.contacts,
            "service_id": service_id,
            "services": {name: service for name, (service, _) in setup.services.items()},
            "staff_ids": setup.staff_ids,
            "generated_at": now.isoformat(),
            "next_30_days": density,
        }
        print(f"  {business.slug}: next 30 days {density}", flush=True)
    path = common.tokens_file("scheduling", database_url)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(datasets, indent=2))
    return datasets


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    defaults = Sizes()
    parser.add_argument("--bookings", type=int, default=defaults.bookings, help="bookings of lakeview-salon")
    parser.add_argument(
        "--history", type=int, default=defaults.history, help="bookings of lakeview-salon-history (0: no such copy)"
    )
    parser.add_argument("--contacts", type=int, default=defaults.contacts, help="clients of each business")
    parser.add_argument("--others", type=int, default=defaults.others, help="other businesses sharing the tables")
    parser.add_argument("--each", type=int, default=defaults.each, help="bookings of each other business")
    args = parser.parse_args()

    env = common.production_environment()
    common.prepare_database(env)
    common.setup_django(env)
    sizes = Sizes(
        bookings=args.bookings, history=args.history, contacts=args.contacts, others=args.others, each=args.each
    )
    generate(common.DATABASE_URL, sizes)
    return 0


if __name__ == "__main__":
    sys.exit(main())
