"""A small threaded HTTP server on 127.0.0.1 that fake outside services build on."""

import json
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

Handler = Callable[["Request"], tuple[int, object]]


class Request:
    def __init__(self, method: str, path: str, query: list[tuple[str, str]], headers: dict, body: bytes):
        self.method, self.path, self.query, self.headers, self.body = method, path, query, headers, body

    def json(self):
        return json.loads(self.body or b"{}")

    def form(self) -> list[tuple[str, str]]:
        return parse_qsl(self.body.decode(), keep_blank_values=True)


class FakeServer(ABC):
    """Routes (method, path prefix) to handlers; records every request it answers."""

    def __init__(self):
        self.requests: list[Request] = []
        self.lock = threading.Lock()
        self._held_from: int | None = None
        self._released = threading.Event()
        self._fail: list[int] = []
        server = self

        class _Handler(BaseHTTPRequestHandler):
            def _serve(self):
                url = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                request = Request(
                    self.command,
                    url.path,
                    parse_qsl(url.query, keep_blank_values=True),
                    dict(self.headers),
                    self.rfile.read(length),
                )
                status, payload = server._dispatch(request)
                body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_DELETE = do_PUT = _serve

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def start(self) -> "FakeServer":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.release()
        self.httpd.shutdown()
        self.httpd.server_close()

    def hold(self, *, from_request: int) -> None:
        """Keep the answer to request number ``from_request`` and later ones until ``release()``:
        their senders wait in the middle of the call, where a test can stop something else."""
        self._held_from = from_request

    def release(self) -> None:
        self._released.set()

    def fail_next(self, count: int, status: int = 500) -> None:
        """Answer the next ``count`` requests with ``status``, as an outage would."""
        with self.lock:
            self._fail.extend([status] * count)

    def _dispatch(self, request: Request) -> tuple[int, object]:
        with self.lock:
            self.requests.append(request)
            number = len(self.requests)
            failure = self._fail.pop(0) if self._fail else None
        if self._held_from is not None and number >= self._held_from:
            self._released.wait(timeout=60)
        if failure is not None:
            return failure, self.failure_body(failure)
        return self.handle(request)

    def failure_body(self, status: int) -> object:
        return {"error": {"message": f"Fake outage ({status})"}}

    @abstractmethod
    def handle(self, request: Request) -> tuple[int, object]:
        """Answer one request with (status, JSON-able body)."""
