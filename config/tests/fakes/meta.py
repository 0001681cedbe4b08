"""A fake Meta Graph API on 127.0.0.1: Pages with their tokens, people's profiles, the Send API, media.

It answers the calls ``inbox.providers.meta`` makes, in Graph's shapes: ``GET /{version}/me``,
``POST /{version}/me/messages``, ``GET /{version}/{user-id}?fields=...`` and files under
``/media/``. Errors look like Graph's (``{"error": {"code": ..., "type": ...}}``). ``sign``
builds the ``X-Hub-Signature-256`` header Meta puts on its webhooks.
"""

import hashlib
import hmac
import itertools
from dataclasses import dataclass

from config.tests.fakes.http import FakeServer, Request

APP_SECRET = "fake-meta-app-secret"
VERIFY_TOKEN = "fake-meta-verify-token"
_mids = itertools.count(1)


def sign(body: bytes, secret: str = APP_SECRET) -> str:
    """The ``X-Hub-Signature-256`` value Meta sends with ``body``."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


@dataclass
class Page:
    page_id: str
    token: str
    instagram_id: str = ""


def graph_error(code: int, message: str, *, subcode: int | None = None, kind: str = "OAuthException") -> dict:
    error = {"message": message, "type": kind, "code": code, "fbtrace_id": "AbCdEfFakeTrace"}
    if subcode is not None:
        error["error_subcode"] = subcode
    return {"error": error}


INVALID_TOKEN = graph_error(190, "Invalid OAuth access token - Cannot parse access token")


class FakeGraph(FakeServer):
    def __init__(self):
        super().__init__()
        self.pages: dict[str, Page] = {}  # by token
        self.profiles: dict[str, dict] = {}  # user id -> profile fields
        self.media: dict[str, bytes] = {}
        self.sent: list[dict] = []  # the Send API calls that succeeded
        self._errors: list[tuple[int, dict]] = []

    def add_page(self, page_id: str, token: str, *, instagram_id: str = "") -> Page:
        page = Page(page_id, token, instagram_id)
        self.pages[token] = page
        return page

    def add_media(self, name: str, content: bytes) -> str:
        self.media[name] = content
        return f"{self.url}/media/{name}"

    def error_next(self, status: int, body: dict) -> None:
        """Answer the next Send API call with a Graph error, e.g. an OAuth error or a rate limit."""
        with self.lock:
            self._errors.append((status, body))

    def failure_body(self, status: int) -> object:
        return graph_error(
            2, "An unexpected error has occurred. Please retry your request later.", kind="FacebookApiException"
        )

    def send_calls(self) -> list[Request]:
        return [request for request in self.requests if request.method == "POST" and request.path.endswith("/messages")]

    def handle(self, request: Request) -> tuple[int, object]:
        if request.path.startswith("/media/"):
            content = self.media.get(request.path.removeprefix("/media/"))
            return (200, content) if content is not None else (404, graph_error(100, "Not found"))
        parts = request.path.strip("/").split("/")
        page = self.pages.get(self._token(request))
        if page is None:
            return 400, INVALID_TOKEN
        if request.method == "POST" and parts[1:] == ["me", "messages"]:
            return self._send(page, request)
        if request.method == "GET" and parts[1:] == ["me"]:
            return 200, self._me(page)
        if request.method == "GET" and len(parts) == 2 and parts[1] in self.profiles:
            fields = dict(request.query).get("fields", "").split(",")
            profile = self.profiles[parts[1]]
            return 200, {"id": parts[1], **{key: profile[key] for key in fields if key in profile}}
        return 400, graph_error(100, "Unsupported get request.", subcode=33, kind="GraphMethodException")

    def _token(self, request: Request) -> str:
        bearer = request.headers.get("Authorization", "")
        return (
            bearer.removeprefix("Bearer ")
            if bearer.startswith("Bearer ")
            else dict(request.query).get("access_token", "")
        )

    def _me(self, page: Page) -> dict:
        me = {"id": page.page_id, "name": f"Page {page.page_id}"}
        if page.instagram_id:
            me["instagram_business_account"] = {"id": page.instagram_id}
        return me

    def _send(self, page: Page, request: Request) -> tuple[int, object]:
        with self.lock:
            error = self._errors.pop(0) if self._errors else None
        if error is not None:
            return error
        call = request.json()
        recipient = call.get("recipient", {}).get("id", "")
        if recipient not in self.profiles:
            return 400, graph_error(100, "No matching user found", subcode=2018001)
        mid = f"m_fake{next(_mids):012d}"
        with self.lock:
            self.sent.append({**call, "page_id": page.page_id, "token": page.token, "message_id": mid})
        return 200, {"recipient_id": recipient, "message_id": mid}
