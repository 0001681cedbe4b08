"""A fake email service on 127.0.0.1 speaking Postmark's send API, reached through anymail."""

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
        message = {**request.json(), "received_at": time.time()}
        if message["To"].lower() in self.rejected_addresses:
            return 422, {"ErrorCode": 300, "Message": f"Invalid 'To' address: '{message['To']}'."}
        with self.lock:
            self.sent.append(message)
        return 200, {
            "To": message["To"],
            "SubmittedAt": datetime.now(UTC).isoformat(),
            "MessageID": str(uuid.uuid4()),
            "ErrorCode": 0,
            "Message": "OK",
        }
