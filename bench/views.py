"""Baselines the benchmarks compare the API with, served only when BENCH_BASELINES is set.

- ``constant``: a constant JSON answer, the machine's ceiling for a Django view.
- ``contacts_values``: the contact list's queries (the page's rows with the fields
  the API shows, then their tags) written by hand with ``.values()`` and
  JsonResponse, with the same token check and tenancy, as the serialization
  baseline for ``GET /api/v1/contacts/``.
- ``inbox_threads_values``: the thread list's queries for ``?status=open&unread=true`` (the
  page's open, unsnoozed threads with unread messages, newest first, with contact, member and
  last channel, then their labels) written by hand the same way, as the baseline for
  ``GET /api/v1/inbox/threads/``.
- ``inbox_counts_values``: the sidebar's two counting queries (unread threads of live contacts:
  all, mine, unassigned, per channel bit; then per label) written by hand the same way, as the
  baseline for ``GET /api/v1/inbox/threads/counts/``.
- ``scheduling_calendar_values``: the calendar's query (bookings overlapping the
  ``from``/``to`` window, not cancelled, with service, contact and job) written
  by hand the same way, as the baseline for ``GET /api/v1/calendar/``.
"""

from datetime import datetime

from django.db.models import Count, Exists, F, OuterRef, Q
from django.http import HttpRequest, JsonResponse
from django.utils import timezone

from accounts.selectors import api_token_by_key
from accounts.tenancy import organization_scope
from crm.models import Contact
from crm.selectors import CONTACT_VALUE_FIELDS, contact_tag_names
from inbox.models import CHANNEL_BITS, Label, Thread, ThreadLabel, ThreadStatus
from inbox.selectors import THREAD_ROW_FIELDS
from scheduling.models import MAX_BOOKING_LENGTH, Booking, BookingStatus
from scheduling.selectors import CALENDAR_FIELDS


def constant(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"ok": True})


def contacts_values(request: HttpRequest) -> JsonResponse:
    token = api_token_by_key(request.headers.get("Authorization", "").removeprefix("Bearer "))
    if token is None:
        return JsonResponse({"error": "invalid token"}, status=401)
    with organization_scope(token.organization_id):
        rows = list(
            Contact.objects.filter(organization_id=token.organization_id, deleted_at__isnull=True)
            .order_by("-created_at", "-id")
            .values(*CONTACT_VALUE_FIELDS)[:51]  # one more, as the API's paginator reads
        )[:50]
        tags = contact_tag_names(organization=token.organization, contact_ids=[row["id"] for row in rows])
    for row in rows:
        row["tags"] = tags.get(row["id"], [])
    return JsonResponse({"results": rows})


def scheduling_calendar_values(request: HttpRequest) -> JsonResponse:
    token = api_token_by_key(request.headers.get("Authorization", "").removeprefix("Bearer "))
    if token is None:
        return JsonResponse({"error": "invalid token"}, status=401)
    start, end = datetime.fromisoformat(request.GET["from"]), datetime.fromisoformat(request.GET["to"])
    with organization_scope(token.organization_id):
        rows = list(
            Booking.objects.filter(
                organization_id=token.organization_id,
                starts_at__gte=start - MAX_BOOKING_LENGTH,
                starts_at__lt=end,
                ends_at__gt=start,
            )
            .exclude(status=BookingStatus.CANCELLED)
            .order_by("starts_at", "id")
            .values(*CALENDAR_FIELDS)
        )
    return JsonResponse({"results": rows})


def inbox_threads_values(request: HttpRequest) -> JsonResponse:
    token = api_token_by_key(request.headers.get("Authorization", "").removeprefix("Bearer "))
    if token is None:
        return JsonResponse({"error": "invalid token"}, status=401)
    with organization_scope(token.organization_id):
        rows = list(
            Thread.objects.filter(
                organization_id=token.organization_id,
                contact__deleted_at__isnull=True,
                last_message_at__isnull=False,
                status=ThreadStatus.OPEN,
                unread_count__gt=0,
            )
            .exclude(Q(snoozed_until__gt=timezone.now()))
            .order_by("-last_message_at", "-id")
            .values(*THREAD_ROW_FIELDS)[:51]
        )[:50]
        labels: dict[int, list[dict]] = {}
        links = ThreadLabel.objects.filter(
            organization_id=token.organization_id, thread_id__in=[row["id"] for row in rows]
        ).values("thread_id", "label_id", "label__name", "label__color")
        for link in links:
            labels.setdefault(link["thread_id"], []).append(
                {"id": link["label_id"], "name": link["label__name"], "color": link["label__color"]}
            )
    for row in rows:
        row["labels"] = labels.get(row["id"], [])
    return JsonResponse({"results": rows})


def inbox_counts_values(request: HttpRequest) -> JsonResponse:
    token = api_token_by_key(request.headers.get("Authorization", "").removeprefix("Bearer "))
    if token is None or token.membership is None:
        return JsonResponse({"error": "invalid token"}, status=401)
    organization_id = token.organization_id
    with organization_scope(organization_id):
        deleted = Contact.objects.filter(pk=OuterRef("contact_id"), deleted_at__isnull=False)
        unread = Thread.objects.filter(
            ~Exists(deleted), organization_id=organization_id, unread_count__gt=0, last_message_at__isnull=False
        )
        bits = {f"on_{channel}": F("channels").bitand(bit) for channel, bit in CHANNEL_BITS.items()}
        totals = unread.alias(**bits).aggregate(
            all=Count("id"),
            mine=Count("id", filter=Q(assigned_to_id=token.membership.id)),
            unassigned=Count("id", filter=Q(assigned_to__isnull=True)),
            **{str(channel): Count("id", filter=Q(**{f"on_{channel}__gt": 0})) for channel in CHANNEL_BITS},
        )
        labels = list(
            Label.objects.filter(organization_id=organization_id)
            .annotate(unread=Count("threadlabel", filter=Q(threadlabel__thread__in=unread)))
            .order_by("name", "id")
            .values("id", "name", "color", "unread")
        )
    return JsonResponse({**totals, "labels": labels})
