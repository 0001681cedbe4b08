"""A fake email service on 127.0.0.1 speaking Postmark's send API, reached through anymail."""

import base64
import re
import time
import uuid
from datetime import UTC, datetime

from config.tests.fakes.http import FakeServer, Request

TOKEN = "fake-postmark-server-token"


class FakePostmark(FakeServer):
    def __init__(self):
        super().__init__()
        self.sent: list[dict] = []
        self.rejected_addresses: set[str] = set()
        self._failing_sends = 0

    def fail_next_sends(self, count: int) -> None:
        """Answer the next ``count`` sends (only sends) with a 500, as Postmark's outages do."""
        with self.lock:
            self._failing_sends += count

    def _send_fails(self) -> bool:
        with self.lock:
            if self._failing_sends <= 0:
                return False
            self._failing_sends -= 1
            return True

    def anymail_settings(self) -> dict[str, str]:
        return {"POSTMARK_SERVER_TOKEN": TOKEN, "POSTMARK_API_URL": self.url + "/"}

    def environment(self) -> dict[str, str]:
        """The same configuration as environment variables, for a worker process."""
        return {
            "EMAIL_BACKEND": "anymail.backends.postmark.EmailBackend",
            "ANYMAIL_POSTMARK_SERVER_TOKEN": TOKEN,
            "ANYMAIL_POSTMARK_API_URL": self.url + "/",
        }

    def messages_to(self, address: str) -> list[dict]:
        return [message for message in self.sent if address.lower() in message["To"].lower()]

    def links_in(self, message: dict) -> list[str]:
        return re.findall(r"https?://[^\s\"'<>]+", message.get("TextBody", ""))

    def handle(self, request: Request) -> tuple[int, object]:
        if request.headers.get("X-Postmark-Server-Token") != TOKEN:
            return 401, {"ErrorCode": 10, "Message": "No Account or Server API tokens were supplied."}
        if request.method != "POST" or request.path != "/email":
            return 404, {"ErrorCode": 404, "Message": "Not found"}
        if self._send_fails():
            return 500, {"ErrorCode": 500, "Message": "Internal server error (fake outage)."}
        message = {**request.json(), "received_at": time.time()}
        if message["To"].lower() in self.rejected_addresses:
            return 422, {"ErrorCode": 300, "Message": f"Invalid 'To' address: '{message['To']}'."}
        message_id = str(uuid.uuid4())
        with self.lock:
            self.sent.append({**message, "MessageID": message_id})
        return 200, {
            "To": message["To"],
            "SubmittedAt": datetime.now(UTC).isoformat(),
            "MessageID": message_id,
            "ErrorCode": 0,
            "Message": "OK",
        }


# Webhook bodies shaped like Postmark's own (its inbound, delivery, bounce and open webhooks),
# for tests to POST to anymail's Postmark webhook URLs.


def _now() -> str:
    return datetime.now(UTC).isoformat()


def inbound_webhook(
    *,
    to: str,
    from_email: str,
    from_name: str = "",
    subject: str = "",
    text: str = "",
    html: str = "",
    message_id: str = "",
    headers: dict[str, str] | None = None,
    cc: str = "",
    attachments: list[dict] | None = None,
    original_recipient: str = "",
) -> dict:
    """An inbound email as Postmark POSTs it. ``headers`` are the email's own (Message-ID,
    In-Reply-To, References, ...); ``attachments`` are dicts from ``inbound_attachment``."""
    mail_headers = [{"Name": "Return-Path", "Value": f"<{from_email}>"}]
    mail_headers += [{"Name": name, "Value": value} for name, value in (headers or {}).items()]
    cc_full = [
        {"Email": address.strip(), "Name": "", "MailboxHash": ""} for address in cc.split(",") if address.strip()
    ]
    return {
        "FromName": from_name,
        "MessageStream": "inbound",
        "From": from_email,
        "FromFull": {"Email": from_email, "Name": from_name, "MailboxHash": ""},
        "To": to,
        "ToFull": [{"Email": to, "Name": "", "MailboxHash": ""}],
        "Cc": cc,
        "CcFull": cc_full,
        "Bcc": "",
        "BccFull": [],
        "OriginalRecipient": original_recipient or to,
        "Subject": subject,
        "MessageID": message_id or str(uuid.uuid4()),
        "ReplyTo": "",
        "MailboxHash": "",
        "Date": "Thu, 5 Apr 2012 16:59:01 +0200",
        "TextBody": text,
        "HtmlBody": html,
        "StrippedTextReply": "",
        "Tag": "",
        "Headers": mail_headers,
        "Attachments": attachments or [],
    }


def inbound_attachment(name: str, content: bytes, content_type: str = "application/octet-stream") -> dict:
    return {
        "Name": name,
        "Content": base64.b64encode(content).decode(),
        "ContentType": content_type,
        "ContentLength": len(content),
        "ContentID": "",
    }


def delivery_webhook(*, message_id: str, recipient: str, metadata: dict | None = None) -> dict:
    return {
        "RecordType": "Delivery",
        "ServerID": 23,
        "MessageStream": "outbound",
        "MessageID": message_id,
        "Recipient": recipient,
        "Tag": "",
        "DeliveredAt": _now(),
        "Details": "Test delivery webhook details",
        "Metadata": metadata or {},
    }


def bounce_webhook(
    *,
    message_id: str,
    recipient: str,
    metadata: dict | None = None,
    bounce_type: str = "HardBounce",
    description: str = "The server was unable to deliver your message (ex: unknown user, mailbox not found).",
    details: str = "smtp;550 5.1.1 The email account that you tried to reach does not exist.",
) -> dict:
    return {
        "RecordType": "Bounce",
        "ID": 4323372036854775807,
        "Type": bounce_type,
        "TypeCode": 1,
        "Name": "Hard bounce",
        "Tag": "",
        "MessageID": message_id,
        "Metadata": metadata or {},
        "ServerID": 23,
        "MessageStream": "outbound",
        "Description": description,
        "Details": details,
        "Email": recipient,
        "From": "sender@example.com",
        "BouncedAt": _now(),
        "DumpAvailable": True,
        "Inactive": True,
        "CanActivate": True,
        "Subject": "Test subject",
        "Content": "",
    }


def open_webhook(*, message_id: str, recipient: str, metadata: dict | None = None) -> dict:
    return {
        "RecordType": "Open",
        "MessageStream": "outbound",
        "Metadata": metadata or {},
        "FirstOpen": True,
        "Client": {"Name": "Chrome 35.0.1916.153", "Company": "Google", "Family": "Chrome"},
        "OS": {"Name": "OS X 10.7 Lion", "Company": "Apple Computer, Inc.", "Family": "OS X 10"},
        "Platform": "WebMail",
        "UserAgent": "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_7_5) AppleWebKit/537.36",
        "ReadSeconds": 5,
        "Geo": {},
        "MessageID": message_id,
        "ReceivedAt": _now(),
        "Tag": "",
        "Recipient": recipient,
    }
