"""A fake Twilio REST API on 127.0.0.1, answered in the shapes the official client parses.

It knows accounts (SID and auth token, checked by basic auth as Twilio does), their
incoming phone numbers, the messages created through it, and media files that it
serves only to the account's credentials. Tests steer it: ``fail_next_creates``
makes the next message creates answer 500, ``refuse_number`` makes creates to a
number answer 400 with Twilio's error 21211.
"""

import base64
import re
import uuid
from datetime import UTC, datetime
from email.utils import format_datetime

from config.tests.fakes.http import FakeServer, Request

API = "/2010-04-01"
ACCOUNT_SID = "AC" + "1" * 32
AUTH_TOKEN = "fake-twilio-auth-token"

_ACCOUNT = re.compile(rf"^{API}/Accounts/(?P<sid>AC\w+)\.json$")
_NUMBERS = re.compile(rf"^{API}/Accounts/(?P<sid>AC\w+)/IncomingPhoneNumbers\.json$")
_MESSAGES = re.compile(rf"^{API}/Accounts/(?P<sid>AC\w+)/Messages\.json$")
_MEDIA = re.compile(rf"^{API}/Accounts/(?P<sid>AC\w+)/Messages/(?P<message>\w+)/Media/(?P<media>\w+)$")


def _error(status: int, code: int, message: str) -> tuple[int, dict]:
    body = {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }
    return status, body


def _now() -> str:
    return format_datetime(datetime.now(UTC), usegmt=True)


class FakeTwilio(FakeServer):
    def __init__(self):
        super().__init__()
        self.accounts: dict[str, str] = {ACCOUNT_SID: AUTH_TOKEN}
        self.numbers: dict[str, list[str]] = {ACCOUNT_SID: []}
        self.sent: list[dict[str, str]] = []
        self.media: dict[str, bytes] = {}
        self.refused_numbers: set[str] = set()
        self._failing_creates = 0

    # Steering ---------------------------------------------------------------------------------

    def add_account(self, sid: str, token: str) -> None:
        self.accounts[sid] = token
        self.numbers.setdefault(sid, [])

    def rotate_token(self, sid: str) -> None:
        """A new auth token for the account, as when its owner rotates it: the old one stops working."""
        self.accounts[sid] = f"rotated-{self._sid()}"

    def add_number(self, number: str, *, account_sid: str = ACCOUNT_SID) -> None:
        self.numbers.setdefault(account_sid, []).append(number)

    def fail_next_creates(self, count: int) -> None:
        """The next ``count`` message creates answer 500, as an outage at Twilio would."""
        with self.lock:
            self._failing_creates += count

    def refuse_number(self, number: str) -> None:
        self.refused_numbers.add(number)

    def add_media(self, content: bytes, *, account_sid: str = ACCOUNT_SID) -> str:
        """Keep a file the way Twilio keeps an inbound message's media; returns its URL."""
        path = f"{API}/Accounts/{account_sid}/Messages/MM{self._sid()}/Media/ME{self._sid()}"
        self.media[path] = content
        return self.url + path

    def _sid(self) -> str:
        return uuid.uuid4().hex

    # Answers ----------------------------------------------------------------------------------

    def failure_body(self, status: int) -> object:
        return _error(status, 20500, "An internal server error has occurred")[1]

    def _authenticated(self, request: Request, sid: str) -> bool:
        header = next((v for k, v in request.headers.items() if k.lower() == "authorization"), "")
        if not header.startswith("Basic "):
            return False
        given_sid, _, token = base64.b64decode(header[6:]).decode().partition(":")
        return given_sid == sid and sid in self.accounts and self.accounts[sid] == token

    def handle(self, request: Request) -> tuple[int, object]:
        for pattern, method, answer in (
            (_ACCOUNT, "GET", self._account),
            (_NUMBERS, "GET", self._numbers),
            (_MESSAGES, "POST", self._create),
            (_MEDIA, "GET", self._media),
        ):
            match = pattern.match(request.path)
            if match and request.method == method:
                if not self._authenticated(request, match["sid"]):
                    return 401, {
                        "code": 20003,
                        "detail": "Your AccountSid or AuthToken was incorrect.",
                        "message": "Authenticate",
                        "more_info": "https://www.twilio.com/docs/errors/20003",
                        "status": 401,
                    }
                return answer(request, match["sid"])
        return _error(404, 20404, f"The requested resource {request.path} was not found")

    def _account(self, request: Request, sid: str) -> tuple[int, object]:
        return 200, {
            "auth_token": self.accounts[sid],
            "date_created": _now(),
            "date_updated": _now(),
            "friendly_name": "Fake account",
            "owner_account_sid": sid,
            "sid": sid,
            "status": "active",
            "subresource_uris": {"messages": f"{API}/Accounts/{sid}/Messages.json"},
            "type": "Full",
            "uri": f"{API}/Accounts/{sid}.json",
        }

    def _numbers(self, request: Request, sid: str) -> tuple[int, object]:
        wanted = dict(request.query).get("PhoneNumber")
        numbers = [n for n in self.numbers.get(sid, []) if wanted is None or n == wanted]
        uri = f"{API}/Accounts/{sid}/IncomingPhoneNumbers.json"
        return 200, {
            "end": max(len(numbers) - 1, 0),
            "first_page_uri": f"{uri}?PageSize=50&Page=0",
            "incoming_phone_numbers": [
                {
                    "account_sid": sid,
                    "friendly_name": number,
                    "phone_number": number,
                    "sid": f"PN{self._sid()}",
                    "status": "in-use",
                    "capabilities": {"sms": True, "mms": True, "voice": True, "fax": False},
                    "uri": f"{API}/Accounts/{sid}/IncomingPhoneNumbers/PN0.json",
                }
                for number in numbers
            ],
            "next_page_uri": None,
            "page": 0,
            "page_size": 50,
            "previous_page_uri": None,
            "start": 0,
            "uri": f"{uri}?PageSize=50&Page=0",
        }

    def _create(self, request: Request, sid: str) -> tuple[int, object]:
        form = dict(request.form())
        with self.lock:
            failing, self._failing_creates = self._failing_creates > 0, max(self._failing_creates - 1, 0)
        if failing:
            return _error(500, 20500, "An internal server error has occurred")
        to = form.get("To", "")
        if to.removeprefix("whatsapp:") in self.refused_numbers:
            return _error(400, 21211, f"Invalid 'To' Phone Number: {to}")
        message_sid = f"SM{self._sid()}"
        with self.lock:
            self.sent.append({**form, "Sid": message_sid, "AccountSid": sid})
        return 201, {
            "account_sid": sid,
            "api_version": "2010-04-01",
            "body": form.get("Body", ""),
            "date_created": _now(),
            "date_sent": None,
            "date_updated": _now(),
            "direction": "outbound-api",
            "error_code": None,
            "error_message": None,
            "from": form.get("From", ""),
            "messaging_service_sid": None,
            "num_media": "0",
            "num_segments": "1",
            "price": None,
            "price_unit": "USD",
            "sid": message_sid,
            "status": "queued",
            "subresource_uris": {"media": f"{API}/Accounts/{sid}/Messages/{message_sid}/Media.json"},
            "to": to,
            "uri": f"{API}/Accounts/{sid}/Messages/{message_sid}.json",
        }

    def _media(self, request: Request, sid: str) -> tuple[int, object]:
        content = self.media.get(request.path)
        if content is None:
            return _error(404, 20404, f"The requested resource {request.path} was not found")
        return 200, content
