"""Live updates for the organization's connected clients (inbox.consumers).

Writes publish after their transaction commits, so a client never hears of a
message it then cannot read. Every event goes to one organization's group only.
"""

import logging
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

logger = logging.getLogger(__name__)


def organization_group(organization_id: int) -> str:
    return f"inbox.organization.{int(organization_id)}"


def message_event(kind: str, message) -> dict[str, Any]:
    """``message.created`` or ``message.updated``, with what a client needs to show it."""
    return {
        "event": kind,
        "thread": message.thread_id,
        "message": {
            "id": message.pk,
            "thread": message.thread_id,
            "channel": message.channel,
            "direction": message.direction,
            "status": message.status,
            "body": message.body,
            "subject": message.subject,
            "error_code": message.error_code,
            "error_message": message.error_message,
            "created_at": message.created_at.isoformat() if message.created_at else None,
        },
    }


def thread_event(thread) -> dict[str, Any]:
    return {"event": "thread.updated", "thread": thread.pk}


def publish(organization_id: int, event: dict[str, Any]) -> None:
    """Send ``event`` to the organization's connected clients now. A channel layer that is
    down loses the live update, never the write: clients catch up from the API."""
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(organization_group(organization_id), {"type": "inbox.event", "event": event})
    except Exception:  # live updates are best effort; the data is committed
        logger.warning("Could not publish an inbox event to organization %s", organization_id, exc_info=True)


def publish_on_commit(organization_id: int, event: dict[str, Any]) -> None:
    transaction.on_commit(lambda: publish(organization_id, event))
