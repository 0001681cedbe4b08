"""Reading a calendar from its iCalendar address (a Google, Apple or Outlook "secret address").

The address is typed by a customer and fetched by our servers, so it may only lead to
the public internet: an address inside our network (the cloud's metadata service, a
database, localhost) is refused, at every redirect. Answers are capped in time and size.
"""

import ipaddress
import socket
import time
from urllib.parse import urljoin, urlsplit

import requests
from django.conf import settings

MAX_BYTES = 5 * 1024 * 1024
CONNECT_TIMEOUT = 5
READ_TIMEOUT = 10
# A server dripping bytes slowly would otherwise hold a worker for as long as it likes.
MAX_SECONDS = 30
MAX_REDIRECTS = 3
USER_AGENT = "Bizbox calendar sync"


class CalendarFetchError(Exception):
    """The calendar could not be read. ``permanent`` says whether trying again soon could help."""

    def __init__(self, message: str, *, permanent: bool):
        super().__init__(message)
        self.permanent = permanent


def fetch(url: str) -> bytes:
    """The body at ``url``, following a few redirects; raises CalendarFetchError with a clear message."""
    for _ in range(MAX_REDIRECTS + 1):
        _refuse_private_address(url)
        response = _get(url)
        if not response.is_redirect:
            return _body(response)
        url = urljoin(url, response.headers["Location"])
        response.close()
    raise CalendarFetchError("The calendar address redirects too many times.", permanent=True)


def _get(url: str) -> requests.Response:
    try:
        return requests.get(
            url,
            stream=True,
            allow_redirects=False,
            timeout=(CONNECT_TIMEOUT, READ_TIMEOUT),
            headers={"User-Agent": USER_AGENT, "Accept": "text/calendar, */*;q=0.5"},
        )
    except requests.Timeout as error:
        raise CalendarFetchError(
            f"The calendar address did not answer within {READ_TIMEOUT} seconds.", permanent=False
        ) from error
    except requests.exceptions.SSLError as error:
        raise CalendarFetchError(
            "The calendar address's secure connection failed (its certificate is not valid).", permanent=True
        ) from error
    except requests.ConnectionError as error:
        raise CalendarFetchError("The calendar address could not be reached.", permanent=False) from error
    except requests.RequestException as error:
        raise CalendarFetchError("The calendar address is not one we can read.", permanent=True) from error


def _body(response: requests.Response) -> bytes:
    with response:
        _check_status(response.status_code)
        chunks, size, deadline = [], 0, time.monotonic() + MAX_SECONDS
        try:
            for chunk in response.iter_content(64 * 1024):
                size += len(chunk)
                if size > MAX_BYTES:
                    raise CalendarFetchError(
                        f"The calendar is larger than {MAX_BYTES // 1024 // 1024} MB.", permanent=True
                    )
                if time.monotonic() > deadline:
                    raise CalendarFetchError(
                        f"The calendar took over {MAX_SECONDS} seconds to download.", permanent=False
                    )
                chunks.append(chunk)
        except requests.RequestException as error:
            raise CalendarFetchError("The calendar address stopped answering midway.", permanent=False) from error
        return b"".join(chunks)


def _check_status(status: int) -> None:
    if status == 200:
        return
    if status in (401, 403):
        raise CalendarFetchError(
            f"The calendar address refused us ({status}): it may have been reset; copy the new secret address.",
            permanent=True,
        )
    if status in (404, 410):
        raise CalendarFetchError(
            f"The calendar address was not found ({status}): check it is still shared.", permanent=True
        )
    transient = status == 429 or status >= 500
    raise CalendarFetchError(f"The calendar address answered with an error ({status}).", permanent=not transient)


def _refuse_private_address(url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise CalendarFetchError("The calendar address must start with https://.", permanent=True)
    if settings.CALENDAR_FETCH_PRIVATE_ADDRESSES:
        return  # tests and local development read from servers on this machine
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
        found = socket.getaddrinfo(parts.hostname, port, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError, ValueError) as error:
        raise CalendarFetchError(f"The host “{parts.hostname}” was not found.", permanent=True) from error
    for *_, sockaddr in found:
        address = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
        if not address.is_global:
            raise CalendarFetchError("The calendar address points inside a private network.", permanent=True)
