"""Scheduling's part of finishing onboarding: the accepted services and week become real records.

accounts keeps the onboarding steps as JSON and, on completion, sends
``accounts.signals.onboarding_completed`` (it may not import this app). The receiver here,
connected in SchedulingConfig.ready(), makes the organization's Service rows, its
opening hours (organization-wide WeeklyHours) and its BookingPolicy.

Every part leaves what already exists alone: a service whose name is taken is skipped,
and the week is only written while the business has no opening hours. Running it again
(the demo seeder does) therefore adds nothing and never undoes what the owner changed since.
"""

from datetime import time
from typing import Any

from django.db import transaction

from accounts.models import Organization, User
from accounts.onboarding import STEP_SERVICES, STEP_WORKING_HOURS, WEEKDAYS, onboarding_get
from scheduling import services
from scheduling.models import BookingPolicy, Service, WeeklyHours


def onboarding_completed_receiver(
    sender: Any, *, organization: Organization, actor: User | None, **kwargs: Any
) -> None:
    onboarding_records_create(organization=organization, actor=actor)


@transaction.atomic
def onboarding_records_create(*, organization: Organization, actor: User | None) -> None:
    """Make the scheduling records the onboarding describes, as saved or else as pre-filled.

    Pre-filled steps count too: an organization completed outside the onboarding pages
    (older data, the demo) still starts from its profession's services and week.
    """
    steps = onboarding_get(organization=organization)["steps"]
    # Each write below records its own activity entry (service.created, hours.updated).
    services_from_onboarding(organization=organization, actor=actor, entries=steps[STEP_SERVICES])
    opening_hours_from_onboarding(organization=organization, actor=actor, week=steps[STEP_WORKING_HOURS])
    BookingPolicy.objects.get_or_create(organization=organization)  # the defaults, until the owner changes them


def services_from_onboarding(
    *, organization: Organization, actor: User | None, entries: list[dict[str, Any]]
) -> list[Service]:
    """One Service per entry whose name the business does not use yet (in any case)."""
    taken = {
        name.casefold() for name in Service.objects.filter(organization=organization).values_list("name", flat=True)
    }
    created = []
    for entry in entries:
        name = entry["name"].strip()
        if name.casefold() in taken:
            continue
        taken.add(name.casefold())
        created.append(
            services.service_create(
                organization=organization,
                actor=actor,
                name=name,
                duration_minutes=entry["duration_minutes"],
                price=entry["price"],
                # The onboarding's single buffer is the clean-up or travel time after a visit.
                buffer_after_minutes=entry.get("buffer_minutes", 0),
            )
        )
    return created


def opening_hours_from_onboarding(*, organization: Organization, actor: User | None, week: dict[str, list]) -> int:
    """The business's opening hours from the onboarding week, unless it has some; returns how many ranges."""
    if WeeklyHours.objects.filter(organization=organization, staff=None).exists():
        return 0
    ranges = {
        weekday: [(time.fromisoformat(hours["start"]), time.fromisoformat(hours["end"])) for hours in week[day]]
        for weekday, day in enumerate(WEEKDAYS)
        if week.get(day)  # a closed day is simply absent from the week
    }
    rows = services.weekly_hours_set(organization=organization, actor=actor, staff=None, week=ranges)
    return len(rows)
