"""Meta's webhook payloads as Messenger and Instagram send them, and the signed POST that carries them.

Shapes follow Meta's webhook reference: ``{"object": "page" | "instagram", "entry": [{"id",
"time", "messaging": [event, ...]}]}``, each event with ``sender``, ``recipient`` and
``timestamp`` and one of ``message``, ``delivery`` or ``read``.
"""

import json
import time

from django.test import Client

from config.tests.fakes.meta import sign
from inbox.models import IntegrationKind
from inbox.tests.factories import IntegrationConfigFactory

PAGE_ID = "104857600123456"
PAGE_TOKEN = "EAAfakePageToken104857600"
INSTAGRAM_ID = "17841400000000001"
PERSON_PSID = "6001234567890123"
PERSON_IGSID = "5009876543210987"


def now_ms() -> int:
    return int(time.time() * 1000)


def facebook_config(organization, fake, *, page_id: str = PAGE_ID, token: str = PAGE_TOKEN):
    fake.add_page(page_id, token)
    return IntegrationConfigFactory(
        organization=organization,
        kind=IntegrationKind.FACEBOOK,
        address=page_id,
        credentials={"page_access_token": token},
    )


def instagram_config(organization, fake, *, account_id: str = INSTAGRAM_ID, token: str = PAGE_TOKEN):
    fake.add_page("104857600999999", token, instagram_id=account_id)
    return IntegrationConfigFactory(
        organization=organization,
        kind=IntegrationKind.INSTAGRAM,
        address=account_id,
        credentials={"page_access_token": token},
    )


def webhook(object_name: str, account_id: str, *events: dict) -> dict:
    return {"object": object_name, "entry": [{"id": account_id, "time": now_ms(), "messaging": list(events)}]}


def message_event(sender: str, recipient: str, mid: str, text: str = "", *, attachments=(), echo=False) -> dict:
    message: dict = {"mid": mid}
    if text:
        message["text"] = text
    if attachments:
        message["attachments"] = [{"type": "image", "payload": {"url": url}} for url in attachments]
    if echo:
        message.update(is_echo=True, app_id=1517776481860111)
    return {"sender": {"id": sender}, "recipient": {"id": recipient}, "timestamp": now_ms(), "message": message}


def delivery_event(person: str, page: str, mids: list[str], watermark: int | None = None) -> dict:
    delivery: dict = {"watermark": watermark or now_ms()}
    if mids:
        delivery["mids"] = mids
    return {"sender": {"id": person}, "recipient": {"id": page}, "delivery": delivery}


def read_event(person: str, page: str, *, watermark: int | None = None, mid: str = "") -> dict:
    read = {"mid": mid} if mid else {"watermark": watermark or now_ms()}
    return {"sender": {"id": person}, "recipient": {"id": page}, "timestamp": now_ms(), "read": read}


def post_signed(kind: str, payload: dict, *, signature: str | None = None, path: str = ""):
    """POST ``payload`` to the inbox webhook of ``kind`` as Meta would, signed unless told otherwise."""
    body = json.dumps(payload).encode()
    headers = {"X-Hub-Signature-256": sign(body) if signature is None else signature}
    if signature == "":
        headers = {}
    return Client().post(f"/webhooks/inbox/{kind}/{path}", data=body, content_type="application/json", headers=headers)
