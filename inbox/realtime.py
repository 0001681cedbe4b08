"""Live updates for the organization's connected clients (inbox.consumers).

Writes publish after their transaction commits, so a client never hears of a
message it then cannot read. Every event goes to one organization's group only.
"""

import asyncio
import logging
import os
import threading
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import InMemoryChannelLayer, get_channel_layer
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


PUBLISH_TIMEOUT_SECONDS = 5
_publisher: tuple[int, asyncio.AbstractEventLoop] | None = None
_publisher_lock = threading.Lock()


def _publisher_loop() -> asyncio.AbstractEventLoop:
    """This process's event loop for publishing from synchronous code, in a thread of its own.

    The Redis channel layer keeps its connections per event loop: publishing through a new loop
    each time (``async_to_sync`` from a request thread) opened and closed a Redis connection for
    every event. A process made by fork has none of its parent's threads, so each process
    starts its own loop."""
    global _publisher
    with _publisher_lock:
        if _publisher is None or _publisher[0] != os.getpid():
            loop = asyncio.new_event_loop()
            threading.Thread(target=loop.run_forever, name="inbox-publisher", daemon=True).start()
            _publisher = (os.getpid(), loop)
        return _publisher[1]


def _group_send(layer, group: str, message: dict[str, Any]) -> None:
    if isinstance(layer, InMemoryChannelLayer):
        # Its queues belong to the loop of the server holding the sockets (the embedded default).
        async_to_sync(layer.group_send)(group, message)
        return
    future = asyncio.run_coroutine_threadsafe(layer.group_send(group, message), _publisher_loop())
    future.result(timeout=PUBLISH_TIMEOUT_SECONDS)


def publish(organization_id: int, event: dict[str, Any]) -> None:
    """Send ``event`` to the organization's connected clients now. A channel layer that is
    down loses the live update, never the write: clients catch up from the API."""
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        _group_send(layer, organization_group(organization_id), {"type": "inbox.event", "event": event})
    except Exception:  # live updates are best effort; the data is committed
        logger.warning("Could not publish an inbox event to organization %s", organization_id, exc_info=True)


def publish_on_commit(organization_id: int, event: dict[str, Any]) -> None:
    transaction.on_commit(lambda: publish(organization_id, event))
