"""A fake calendar host on 127.0.0.1: serves .ics files at addresses, as Google's secret addresses do."""

from config.tests.fakes.http import FakeServer, Request


class FakeCalendarHost(FakeServer):
    """``publish(path, ics)`` puts a calendar at ``url_of(path)``; anything else is a 404."""

    def __init__(self):
        super().__init__()
        self.files: dict[str, bytes] = {}

    def publish(self, path: str, ics: str | bytes) -> str:
        with self.lock:
            self.files[path] = ics.encode() if isinstance(ics, str) else ics
        return self.url_of(path)

    def url_of(self, path: str) -> str:
        return f"{self.url}{path}"

    def handle(self, request: Request) -> tuple[int, object]:
        if request.method != "GET":
            return 405, b"Method not allowed"
        with self.lock:
            body = self.files.get(request.path)
        return (200, body) if body is not None else (404, b"Not found")

    def failure_body(self, status: int) -> object:
        return b"Service unavailable"
