"""The demo business's month of work: jobs and their visits, two weeks back and two weeks ahead.

Registered with accounts.demo from SchedulingConfig.ready(), after crm's seeder, whose
contacts become the clients. Everything is written through scheduling.services, as the
product would write it, then the history is moved back in time so that the lists read
like a business that has been running: past visits completed and most of them invoiced,
the one under way now in progress, the coming ones scheduled, a few new requests not yet
booked, two cancellations and a weekly maintenance contract.

The random choices are seeded and the days are counted from today, so every fresh demo
has the same shape around the day it is seeded. A business that already has jobs gets
nothing, so running seed_demo again adds nothing.
"""

import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone

from accounts.models import Membership, Organization, User
from crm.models import Contact
from scheduling import services
from scheduling.models import (
    Booking,
    BookingSource,
    BookingStatus,
    Job,
    JobStatus,
    JobStatusChange,
    Service,
    WeeklyHours,
)
from scheduling.onboarding import onboarding_records_create
from scheduling.selectors import BOOKABLE_ROLES

SEED = 5150
DAYS_BACK = 14
DAYS_AHEAD = 14
# Work gets booked up as its day comes near: the next week is fuller than the one after.
VISITS_PER_DAY_SOON = (2, 3, 3, 4)
VISITS_PER_DAY_LATER = (0, 1, 1, 2)
GAPS_MINUTES = (0, 0, 30, 60)  # driving across town, a late client, a parts run
SLOT_MINUTES = 30
# The team's days: the first member opens up early, the next covers the late afternoon.
STAFF_DAYS = ((time(8), time(16)), (time(9), time(17)))
SATURDAY = 5

SERVICE_WEIGHTS = {
    "Drain cleaning": 6,
    "Leaky faucet repair": 5,
    "Toilet repair or replacement": 4,
    "Garbage disposal installation": 2,
    "Water heater installation": 1,
    "Emergency call-out": 1,
}
TITLES = {
    "Drain cleaning": (
        "Kitchen sink draining slowly",
        "Basement floor drain backing up",
        "Shower drain clogged",
        "Main sewer line clog",
        "Bathtub drains slowly",
    ),
    "Leaky faucet repair": (
        "Dripping bathtub faucet",
        "Kitchen faucet leaking at the base",
        "Outdoor spigot leaking",
        "Bathroom faucet cartridge replacement",
    ),
    "Toilet repair or replacement": (
        "Running toilet upstairs",
        "Replace cracked toilet",
        "Toilet rocking, wax ring leaking",
    ),
    "Garbage disposal installation": ("Install new garbage disposal", "Disposal jammed and humming"),
    "Water heater installation": ("Replace 40-gallon water heater", "Install tankless water heater"),
    "Emergency call-out": ("Burst pipe under the kitchen sink", "Water leaking through the ceiling"),
}
PARTS = (
    ("Parts: wax ring and closet bolts", 2500),
    ("Parts: faucet cartridge", 3800),
    ("Parts: PEX fittings and valves", 4600),
    ("Disposal unit, 3/4 HP", 21900),
    ("Haul away the old unit", 7500),
)
REQUESTS = (
    ("Quote: repipe the basement bathroom", "Old galvanized pipes; wants copper or PEX."),
    ("Sump pump making a grinding noise", "Runs every few minutes after rain."),
    ("Low water pressure on the second floor", "Started after the city replaced the street main."),
)
BOOKING_NOTES = (
    "Side door will be open; the dog is friendly.",
    "Park in the alley, the street is permit only.",
    "Call 15 minutes before arriving.",
    "Tenant lets us in; invoice the landlord.",
    "Bring a drain camera.",
)
SOURCES = ((BookingSource.STAFF, 70), (BookingSource.BOOKING_PAGE, 20), (BookingSource.ASSISTANT, 10))
MAINTENANCE = {
    "title": "Weekly grease trap and drain maintenance",
    "rule": "FREQ=WEEKLY;BYDAY=TH",
    "start": time(9),
    "minutes": 60,
    "price": 12500,
}


@dataclass
class _Visit:
    staff: Membership
    service: Service
    starts_at: datetime
    title: str

    @property
    def ends_at(self) -> datetime:
        return self.starts_at + timedelta(minutes=self.service.duration_minutes)


@dataclass
class _History:
    """When each step of a job happened, applied after the services wrote it all as of now."""

    created: datetime
    changes: list[datetime] = field(default_factory=list)  # one per JobStatusChange, in order
    booked: datetime | None = None
    cancelled: datetime | None = None


@dataclass
class _Month:
    organization: Organization
    owner: User
    rng: random.Random
    now: datetime
    today: date
    tz: ZoneInfo
    histories: dict[int, _History] = field(default_factory=dict)


@transaction.atomic
def demo_schedule_seed(organization: Organization, owner: User) -> None:
    if Job.objects.filter(organization=organization).exists():
        return
    clients = list(Contact.objects.filter(organization=organization, deleted_at=None).order_by("pk"))
    if not clients:
        return  # crm's seeder gives the clients; without them there is nobody to work for
    onboarding_records_create(organization=organization, actor=owner)  # services and opening hours, if missing
    now = timezone.now()
    tz = organization.timezone
    month = _Month(organization, owner, random.Random(SEED), now, timezone.localtime(now, tz).date(), tz)
    team = list(
        Membership.objects.filter(organization=organization, role__in=BOOKABLE_ROLES)
        .select_related("user")
        .order_by("id")
    )
    offered = list(Service.objects.filter(organization=organization, is_active=True).order_by("name"))
    if not offered:
        return  # a profession without default services, and none added: nothing to book
    days = _staff_hours(month, team)
    away = _time_off(month, team)
    contract_client = _contract_client(clients, month.rng)
    clients.remove(contract_client)
    _maintenance_contract(month, contract_client, team[-1])
    visits = _plan(month, team, days, away, offered)
    cancelled = _cancelled_picks(month, visits)
    visits.append(_weekend_emergency(month, team[0], offered))
    month.rng.shuffle(clients)
    for visit, client in zip(visits, clients, strict=False):
        _job_with_visit(month, visit, client, cancel=visit in cancelled)
    for (title, description), client in zip(REQUESTS, clients[len(visits) :], strict=False):
        _request(month, client, title, description)
    _backdate(month)


# The team's week ------------------------------------------------------------------------


def _staff_hours(month: _Month, team: list[Membership]) -> dict[int, tuple[time, time]]:
    """Each member's working day, Monday to Friday, kept if they have hours already."""
    days = {}
    for position, member in enumerate(team):
        opens, closes = STAFF_DAYS[position % len(STAFF_DAYS)]
        if not WeeklyHours.objects.filter(organization=month.organization, staff=member).exists():
            week = {weekday: [(opens, closes)] for weekday in range(5)}
            services.weekly_hours_set(organization=month.organization, actor=month.owner, staff=member, week=week)
        days[member.id] = (opens, closes)
    return days


def _time_off(month: _Month, team: list[Membership]) -> dict[int, set[date]]:
    """The last member takes a weekday off next week."""
    member = team[-1]
    day = _next_weekday(month.today + timedelta(days=3))
    starts = datetime.combine(day, time(0), tzinfo=month.tz)
    services.time_off_create(
        organization=month.organization,
        actor=month.owner,
        staff=member,
        starts_at=starts,
        ends_at=starts + timedelta(days=1),
        reason="Dentist, then the rest of the day off",
    )
    return {member.id: {day}}


def _next_weekday(day: date) -> date:
    while day.weekday() >= SATURDAY:
        day += timedelta(days=1)
    return day


# The recurring contract -------------------------------------------------------------------


def _contract_client(clients: list[Contact], rng: random.Random) -> Contact:
    """A restaurant or office: a business client, if there is one, has the maintenance contract."""
    businesses = [client for client in clients if client.company]
    return rng.choice(businesses or clients)


def _maintenance_contract(month: _Month, client: Contact, member: Membership) -> None:
    first_day = month.today - timedelta(days=DAYS_BACK)
    first_day += timedelta(days=(3 - first_day.weekday()) % 7)  # the first Thursday in the month shown
    created = datetime.combine(first_day - timedelta(days=10), time(11), tzinfo=month.tz)
    job = services.job_create(
        organization=month.organization,
        actor=month.owner,
        contact=client,
        title=MAINTENANCE["title"],
        description="Pump out and inspect the grease trap, jet the kitchen drain line.",
        assignees=[member],
        line_items=[services.LineItem(description="Maintenance visit", unit_price=MAINTENANCE["price"])],
        recurrence_rule=MAINTENANCE["rule"],
        recurrence_start=datetime.combine(first_day, MAINTENANCE["start"], tzinfo=month.tz),
        visit_duration_minutes=MAINTENANCE["minutes"],
        address=_address(client),
    )
    services.job_transition(job=job, actor=month.owner, to_status=JobStatus.SCHEDULED)
    end_of_month = datetime.combine(month.today + timedelta(days=DAYS_AHEAD + 1), time(0), tzinfo=month.tz)
    services.job_visits_generate(job=job, actor=month.owner, until=end_of_month)
    for visit in job.visits.filter(ends_at__lte=month.now):
        services.booking_transition(booking=visit, actor=month.owner, to_status=BookingStatus.COMPLETED)
    month.histories[job.id] = _History(created, changes=[created, created + timedelta(hours=1)], booked=created)


# Planning the month -----------------------------------------------------------------------


def _plan(
    month: _Month,
    team: list[Membership],
    days: dict[int, tuple[time, time]],
    away: dict[int, set[date]],
    offered: list[Service],
) -> list[_Visit]:
    """Every weekday's visits of the month, member by member, around what is booked already."""
    busy = _busy(month, team)
    visits = []
    for offset in range(-DAYS_BACK, DAYS_AHEAD + 1):
        day = month.today + timedelta(days=offset)
        if day.weekday() >= SATURDAY:
            continue
        for member in team:
            if day not in away.get(member.id, set()):
                visits += _day(month, member, day, days[member.id], offered, busy[member.id])
    return visits


def _busy(month: _Month, team: list[Membership]) -> dict[int, list[tuple[datetime, datetime]]]:
    """What is on the calendar already (the maintenance visits), per member."""
    busy: dict[int, list[tuple[datetime, datetime]]] = {member.id: [] for member in team}
    booked = Booking.objects.filter(organization=month.organization).exclude(status=BookingStatus.CANCELLED)
    for staff_id, blocked_from, blocked_until in booked.values_list("staff_id", "blocked_from", "blocked_until"):
        busy.setdefault(staff_id, []).append((blocked_from, blocked_until))
    return busy


def _day(
    month: _Month,
    member: Membership,
    day: date,
    hours: tuple[time, time],
    offered: list[Service],
    busy: list[tuple[datetime, datetime]],
) -> list[_Visit]:
    """One member's visits on one day, one after the other with the service's buffer and a gap."""
    rng = month.rng
    wanted = rng.choice(VISITS_PER_DAY_SOON if (day - month.today).days <= 7 else VISITS_PER_DAY_LATER)
    cursor = datetime.combine(day, hours[0], tzinfo=month.tz)
    closes = datetime.combine(day, hours[1], tzinfo=month.tz)
    visits: list[_Visit] = []
    while len(visits) < wanted:
        service = _pick_service(rng, offered)
        start = cursor + timedelta(minutes=rng.choice(GAPS_MINUTES))
        visit = _Visit(member, service, start, rng.choice(TITLES.get(service.name, (service.name,))))
        blocked_until = visit.ends_at + timedelta(minutes=service.buffer_after_minutes)
        taken = [until for since, until in busy if since < blocked_until and start < until]
        if taken:
            cursor = _rounded_up(max(taken))
            continue
        if visit.ends_at > closes:
            break
        visits.append(visit)
        cursor = _rounded_up(blocked_until)
    return visits


def _pick_service(rng: random.Random, offered: list[Service]) -> Service:
    weights = [SERVICE_WEIGHTS.get(service.name, 2) for service in offered]
    return rng.choices(offered, weights=weights)[0]


def _rounded_up(moment: datetime) -> datetime:
    extra = -(moment.minute % SLOT_MINUTES) % SLOT_MINUTES
    return moment.replace(second=0, microsecond=0) + timedelta(minutes=extra)


def _weekend_emergency(month: _Month, member: Membership, offered: list[Service]) -> _Visit:
    """Last Saturday's burst pipe: plumbers answer the phone out of hours too."""
    saturday = month.today - timedelta(days=(month.today.weekday() - SATURDAY) % 7 or 7)
    service = next((s for s in offered if s.name == "Emergency call-out"), offered[0])
    start = datetime.combine(saturday, time(10, 30), tzinfo=month.tz)
    return _Visit(member, service, start, "Burst pipe in the laundry room")


def _cancelled_picks(month: _Month, visits: list[_Visit]) -> list[_Visit]:
    """One job called off before its visit last week, and one of next week's."""
    past = [visit for visit in visits if visit.ends_at < month.now - timedelta(days=3)]
    coming = [visit for visit in visits if visit.starts_at > month.now + timedelta(days=2)]
    return [month.rng.choice(group) for group in (past, coming) if group]


# Writing the jobs -------------------------------------------------------------------------


def _address(client: Contact) -> dict[str, str]:
    fields = ("address_line1", "address_line2", "city", "region", "postal_code")
    return {name: getattr(client, name) for name in fields}


def _line_items(rng: random.Random, service: Service) -> list[services.LineItem]:
    items = [services.LineItem(description=service.name, unit_price=service.price, service=service)]
    if rng.random() < 0.4:
        description, price = rng.choice(PARTS)
        items.append(services.LineItem(description=description, unit_price=price, quantity=Decimal(1)))
    return items


def _source(rng: random.Random) -> str:
    sources, weights = zip(*SOURCES, strict=True)
    return rng.choices(sources, weights=weights)[0]


def _job_with_visit(month: _Month, visit: _Visit, client: Contact, *, cancel: bool) -> None:
    rng, owner = month.rng, month.owner
    job = services.job_create(
        organization=month.organization,
        actor=owner,
        contact=client,
        title=visit.title,
        assignees=[visit.staff],
        line_items=_line_items(rng, visit.service),
        address=_address(client),
    )
    far_ahead = visit.starts_at > month.now + timedelta(days=7)
    booking = services.booking_create(
        organization=month.organization,
        actor=owner,
        staff=visit.staff,
        starts_at=visit.starts_at,
        service=visit.service,
        job=job,
        status=BookingStatus.TENTATIVE if far_ahead and rng.random() < 0.2 else BookingStatus.CONFIRMED,
        notes=rng.choice(BOOKING_NOTES) if rng.random() < 0.2 else "",
        source=_source(rng),
    )
    history = _History(created=_requested_at(month, visit))
    history.booked = min(history.created + timedelta(hours=rng.uniform(0.5, 3)), month.now - timedelta(minutes=10))
    history.changes = [history.created]
    _advance(month, job, booking, visit, history, cancel=cancel)
    month.histories[job.id] = history


def _requested_at(month: _Month, visit: _Visit) -> datetime:
    """A few days before the visit; for work further ahead, some time in the past week or so."""
    asked = visit.starts_at - timedelta(days=month.rng.uniform(1, 6))
    latest = month.now - timedelta(hours=1)
    return asked if asked < latest else latest - timedelta(hours=month.rng.uniform(0, 24 * 8))


def _advance(month: _Month, job: Job, booking: Booking, visit: _Visit, history: _History, *, cancel: bool) -> None:
    """Move the job and its visit as far as the clock says they went, noting when each step happened."""
    steps = [(JobStatus.SCHEDULED, history.booked)]
    if cancel:
        called_off = min(history.booked + timedelta(days=1), visit.starts_at - timedelta(hours=12))
        history.cancelled = min(called_off, month.now - timedelta(minutes=5))
        if visit.starts_at < month.now:  # the visit had passed: it was called off before, not by the job's cancel
            services.booking_cancel(booking=booking, actor=month.owner, reason="The customer fixed it themselves.")
        steps.append((JobStatus.CANCELLED, history.cancelled))
    elif visit.starts_at <= month.now:
        steps.append((JobStatus.IN_PROGRESS, visit.starts_at))
        if visit.ends_at <= month.now:
            services.booking_transition(booking=booking, actor=month.owner, to_status=BookingStatus.COMPLETED)
            steps.append((JobStatus.COMPLETED, visit.ends_at))
            invoiced = visit.ends_at + timedelta(days=1)
            if invoiced < month.now - timedelta(days=1) and month.rng.random() < 0.75:
                steps.append((JobStatus.INVOICED, invoiced))
    for status, at in steps:
        services.job_transition(job=job, actor=month.owner, to_status=status)
        history.changes.append(at)


def _request(month: _Month, client: Contact, title: str, description: str) -> None:
    """A new request from the last two days, not booked yet."""
    job = services.job_create(
        organization=month.organization,
        actor=month.owner,
        contact=client,
        title=title,
        description=description,
        address=_address(client),
    )
    created = month.now - timedelta(hours=month.rng.uniform(2, 48))
    month.histories[job.id] = _History(created, changes=[created])


# Moving the history back in time ------------------------------------------------------------


def _backdate(month: _Month) -> None:
    """The services stamp everything now; give each job, change and visit the moment it happened."""
    histories = month.histories
    jobs = list(Job.objects.filter(pk__in=histories))
    for job in jobs:
        job.created_at = histories[job.id].created
        job.updated_at = histories[job.id].changes[-1]
    Job.objects.bulk_update(jobs, ["created_at", "updated_at"])

    changes = list(JobStatusChange.objects.filter(job__in=jobs).order_by("job_id", "id"))
    moments = {job_id: iter(history.changes) for job_id, history in histories.items()}
    for change in changes:
        change.changed_at = next(moments[change.job_id])
    JobStatusChange.objects.bulk_update(changes, ["changed_at"])

    visits = list(Booking.objects.filter(job__in=jobs))
    for visit in visits:
        history = histories[visit.job_id]
        visit.created_at = history.booked or history.created
        if visit.status == BookingStatus.CANCELLED:
            visit.cancelled_at = history.cancelled
    Booking.objects.bulk_update(visits, ["created_at", "cancelled_at"])
