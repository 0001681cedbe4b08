"""Where later apps plug into contacts without crm importing them.

- A **timeline source** adds a kind of event to a contact's timeline (jobs,
  bookings, messages, invoices, reviews): ``source(contact, before, limit)``
  returns up to ``limit`` ``TimelineItem`` older than ``before`` (or the newest
  when ``before`` is None), newest first, in a constant number of queries.
- A **merge handler** moves what an app keeps about a contact from the merged
  contact to the one it is merged into: ``handler(target, merged)``, inside the
  merge's transaction.

Apps register in their ``AppConfig.ready()``.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class TimelineItem:
    kind: str
    id: int
    at: datetime
    summary: str
    data: dict[str, Any] = field(default_factory=dict)


TimelineSource = Callable[[Any, datetime | None, int], list[TimelineItem]]
MergeHandler = Callable[[Any, Any], None]

timeline_sources: list[TimelineSource] = []
merge_handlers: list[MergeHandler] = []


def register_timeline_source(source: TimelineSource) -> TimelineSource:
    if source not in timeline_sources:
        timeline_sources.append(source)
    return source


def register_merge_handler(handler: MergeHandler) -> MergeHandler:
    if handler not in merge_handlers:
        merge_handlers.append(handler)
    return handler
