"""Onboarding: the first set-up of a business that just paid, pre-filled from its checkout and its profession.

Four steps, each shown as saved or, until then, pre-filled:

- ``business``: the organization's own fields, which provisioning filled from the checkout;
- ``services``: what it sells, starting from its industry profile's default services;
- ``working_hours``: its week, starting from a default for its work mode;
- ``team_invites``: who to invite, starting empty.

Only the business step writes to the Organization. The other three are kept in
``organization.onboarding_data`` as the owner accepted them. Completing sends
``accounts.signals.onboarding_completed``, on which the scheduling app turns the services
and hours into real Service and working-hours records (accounts never imports it). Team
invitations stay here until invitations exist and turn them into memberships.
"""

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from accounts.models import (
    IndustryProfile,
    Membership,
    OnboardingState,
    Organization,
    OrganizationIndustry,
    User,
    WorkMode,
)
from accounts.roles import Role
from accounts.services import ORGANIZATION_EDITABLE_FIELDS, activity_record, organization_update
from accounts.signals import onboarding_completed

STEP_BUSINESS = "business"
STEP_SERVICES = "services"
STEP_WORKING_HOURS = "working_hours"
STEP_TEAM_INVITES = "team_invites"
STEPS = (STEP_BUSINESS, STEP_SERVICES, STEP_WORKING_HOURS, STEP_TEAM_INVITES)
STORED_STEPS = (STEP_SERVICES, STEP_WORKING_HOURS, STEP_TEAM_INVITES)
BUSINESS_FIELDS = ORGANIZATION_EDITABLE_FIELDS

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
# An owner is never invited: a business has the one who bought it.
INVITE_ROLES = (Role.ADMIN, Role.STAFF, Role.VIEWER)
MAX_SERVICES = 50
MAX_INVITES = 50

# Trades work the weekdays from early morning; appointment businesses open later and
# take Saturday, when their clients are free, in exchange for a day off early in the week.
DEFAULT_WEEKS: dict[str, tuple[tuple[str, ...], str, str]] = {
    WorkMode.JOBS: (("monday", "tuesday", "wednesday", "thursday", "friday"), "08:00", "17:00"),
    WorkMode.APPOINTMENTS: (("tuesday", "wednesday", "thursday", "friday", "saturday"), "09:00", "18:00"),
}
# Without a profession there is nothing better to go on than an ordinary working week.
FALLBACK_WORK_MODE = WorkMode.JOBS


class OnboardingIncomplete(ValidationError):
    """Completion refused; ``message_dict`` names each step still missing something."""


# Reads --------------------------------------------------------------------------


def onboarding_get(*, organization: Organization) -> dict[str, Any]:
    """The onboarding as the frontend shows it: each step as saved, else pre-filled."""
    data = organization.onboarding_data or {}
    details = organization.signup_details or {}
    completed = completed_steps(data)
    industry = _industry_of(organization)
    profile = industry.profile if industry is not None else None
    return {
        "state": organization.onboarding_state,
        "completed_steps": completed,
        "industry": _industry_summary(industry),
        "steps": {
            STEP_BUSINESS: business_details(organization, prefill=STEP_BUSINESS not in completed),
            STEP_SERVICES: data[STEP_SERVICES] if STEP_SERVICES in data else default_services(profile),
            STEP_WORKING_HOURS: (
                data[STEP_WORKING_HOURS] if STEP_WORKING_HOURS in data else default_working_hours(_work_mode(profile))
            ),
            STEP_TEAM_INVITES: data.get(STEP_TEAM_INVITES, []),
        },
        "suggested_invite_count": suggested_invite_count(details),
        "signup_details": details,
    }


def completed_steps(data: dict[str, Any]) -> list[str]:
    return _in_step_order(data.get("completed_steps", []))


def _in_step_order(names: Iterable[str]) -> list[str]:
    names = set(names)
    return [step for step in STEPS if step in names]


def _industry_of(organization: Organization) -> OrganizationIndustry | None:
    return OrganizationIndustry.objects.select_related("profile").filter(organization=organization).first()


def _industry_summary(industry: OrganizationIndustry | None) -> dict[str, Any] | None:
    if industry is None:
        return None
    return {
        "key": industry.profile.key,
        "name": industry.profile.name,
        "work_mode": industry.profile.work_mode,
        "vocabulary": industry.vocabulary,
    }


def _work_mode(profile: IndustryProfile | None) -> str:
    return profile.work_mode if profile is not None else FALLBACK_WORK_MODE


def business_details(organization: Organization, *, prefill: bool) -> dict[str, str]:
    """The organization's details; before the owner saves them, blanks fall back to what the checkout said.

    Provisioning leaves out a phone it could not read, so the owner sees what they typed and can fix it.
    """
    details = {field: str(getattr(organization, field)) for field in BUSINESS_FIELDS}
    if prefill:
        typed = organization.signup_details or {}
        for field in ("phone", "email"):
            details[field] = details[field] or str(typed.get(field, ""))
    return details


def default_services(profile: IndustryProfile | None) -> list[dict[str, Any]]:
    if profile is None:
        return []
    return [
        {
            "name": service["name"],
            "duration_minutes": service["duration_minutes"],
            "price": service["price"],
            "buffer_minutes": service.get("buffer_minutes", 0),
        }
        for service in profile.default_services
    ]


def default_working_hours(work_mode: str) -> dict[str, list[dict[str, str]]]:
    open_days, start, end = DEFAULT_WEEKS.get(work_mode, DEFAULT_WEEKS[FALLBACK_WORK_MODE])
    return {day: [{"start": start, "end": end}] if day in open_days else [] for day in WEEKDAYS}


def suggested_invite_count(details: dict[str, Any]) -> int:
    """Everyone on the team the buyer mentioned, except the buyer."""
    try:
        team_size = int(str(details.get("team_size", "")).strip())
    except ValueError:
        return 0
    return max(team_size - 1, 0)


def missing_steps(steps: dict[str, Any]) -> dict[str, list[str]]:
    """What each step still lacks before the business can run; empty when it can."""
    missing: dict[str, list[str]] = {}
    business = steps[STEP_BUSINESS]
    if not business["name"].strip():
        missing.setdefault(STEP_BUSINESS, []).append("Give the business a name.")
    if not business["timezone"]:
        missing.setdefault(STEP_BUSINESS, []).append("Choose the business's time zone.")
    if not steps[STEP_SERVICES]:
        missing[STEP_SERVICES] = ["Add at least one service."]
    if not any(steps[STEP_WORKING_HOURS].values()):
        missing[STEP_WORKING_HOURS] = ["Open on at least one day of the week."]
    return missing


# Writes -------------------------------------------------------------------------


@transaction.atomic
def onboarding_save(*, organization: Organization, actor: User, steps: dict[str, Any]) -> dict[str, Any]:
    """Save any of the four steps and return the onboarding.

    Each step arrives whole and checked in shape (the API's step serializers do that);
    this checks what depends on the organization's own data. The first save moves the
    onboarding from pending to in progress; saving after completion keeps it completed.
    """
    _check_step_names(steps)
    organization = _locked(organization)
    if STEP_TEAM_INVITES in steps:
        _check_invitees_are_new(organization, steps[STEP_TEAM_INVITES])
    if STEP_BUSINESS in steps:
        organization_update(organization=organization, actor=actor, **steps[STEP_BUSINESS])
    saved = [step for step in STEPS if step in steps]
    _store(organization, {step: steps[step] for step in STORED_STEPS if step in steps}, completed=saved)
    if organization.onboarding_state == OnboardingState.PENDING:
        organization.onboarding_state = OnboardingState.IN_PROGRESS
    organization.save(update_fields=["onboarding_data", "onboarding_state", "updated_at"])
    activity_record(
        organization=organization,
        actor=actor,
        verb="onboarding.step_saved",
        target=organization,
        summary=f"Saved onboarding: {', '.join(saved)}",
        data={"steps": saved},
    )
    return onboarding_get(organization=organization)


@transaction.atomic
def onboarding_complete(*, organization: Organization, actor: User) -> dict[str, Any]:
    """Finish onboarding once every step is usable; completing again changes nothing.

    The steps still only pre-filled are kept as shown, so that what the owner accepted does
    not shift under them when staff later edit the industry profile. Later apps receive
    ``onboarding_completed`` in this transaction and make their records from those steps
    (scheduling: services, opening hours, booking policy); if one fails, nothing completes.
    """
    organization = _locked(organization)
    onboarding = onboarding_get(organization=organization)
    if organization.onboarding_state == OnboardingState.COMPLETED:
        return onboarding
    missing = missing_steps(onboarding["steps"])
    if missing:
        raise OnboardingIncomplete(missing)
    _store(organization, {step: onboarding["steps"][step] for step in STORED_STEPS}, completed=list(STEPS))
    organization.onboarding_state = OnboardingState.COMPLETED
    organization.save(update_fields=["onboarding_data", "onboarding_state", "updated_at"])
    activity_record(
        organization=organization, actor=actor, verb="onboarding.completed", target=organization, summary="Completed"
    )
    onboarding_completed.send(sender=Organization, organization=organization, actor=actor)
    return onboarding_get(organization=organization)


def _check_step_names(steps: dict[str, Any]) -> None:
    if not steps:
        raise ValidationError(f"Send at least one onboarding step: {', '.join(STEPS)}.")
    unknown = sorted(set(steps) - set(STEPS))
    if unknown:
        raise ValidationError({step: ["There is no onboarding step by this name."] for step in unknown})


def _locked(organization: Organization) -> Organization:
    """A fresh copy of the row, held until the transaction ends, so two saves of different steps both land."""
    return Organization.objects.select_for_update().get(pk=organization.pk)


def _check_invitees_are_new(organization: Organization, invites: list[dict[str, str]]) -> None:
    emails = {invite["email"].lower() for invite in invites}
    members = Membership.objects.filter(organization=organization, user__email__in=emails)
    already = sorted(members.values_list("user__email", flat=True))
    if already:
        raise ValidationError({STEP_TEAM_INVITES: [f"{email} is already a member of the team." for email in already]})


def _store(organization: Organization, values: dict[str, Any], *, completed: list[str]) -> None:
    """Merge steps into onboarding_data, keeping any other keys another part of the product keeps there."""
    data = dict(organization.onboarding_data or {})
    data.update(values)
    data["completed_steps"] = _in_step_order([*data.get("completed_steps", []), *completed])
    organization.onboarding_data = data
