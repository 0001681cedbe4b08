"""The business's own mailbox: read over IMAP (IMAPClient), written over SMTP (smtplib).

Nothing pushes mail to us: ``inbox.mailbox_sync`` polls the INBOX through ``fetch_new``
and records what it returns. Credentials are ``imap_host``, ``imap_port``, ``imap_ssl``,
``smtp_host``, ``smtp_port``, ``smtp_starttls``, ``username`` and ``password``; the
integration's ``address`` is the mailbox's own address, which every reply is sent from.

The INBOX is only ever examined read-only and bodies are fetched with ``BODY.PEEK``, so
the team's own mail program still sees new mail as unread.
"""

import logging
import smtplib
import ssl
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import date
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import formataddr, formatdate, make_msgid

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError, LoginError

from inbox.email_inbound import html_to_text
from inbox.models import IntegrationConfig, IntegrationKind
from inbox.providers import register
from inbox.providers.base import InboundAttachment, InboundMessage, OutgoingMessage, Provider, ProviderError, SendResult

logger = logging.getLogger(__name__)

TIMEOUT_SECONDS = 30
# Bodies are fetched a few at a time so a mailbox full of large attachments stays within memory.
FETCH_CHUNK = 10
SMTP_IMPLICIT_TLS_PORT = 465


@dataclass(frozen=True)
class FetchedMail:
    uid: int
    inbound: InboundMessage | None  # None: the message could not be read at all


@dataclass(frozen=True)
class MailboxBatch:
    """New INBOX mail, oldest first. ``seen_up_to`` is the UID to remember once the
    messages are stored: the next poll reads only above it."""

    uidvalidity: int
    seen_up_to: int
    mails: list[FetchedMail]


def _setting(config: IntegrationConfig, key: str) -> str:
    value = config.credentials.get(key)
    if value in (None, ""):
        raise ProviderError(f"The mailbox has no “{key}” setting.", code="not_configured", permanent=True)
    return str(value)


def _flag(config: IntegrationConfig, key: str, default: bool) -> bool:
    value = config.credentials.get(key, default)
    return value.strip().lower() in ("1", "true", "yes", "on") if isinstance(value, str) else bool(value)


def _port(config: IntegrationConfig, key: str, default: int) -> int:
    try:
        return int(config.credentials.get(key) or default)
    except (TypeError, ValueError):
        raise ProviderError(
            f"The mailbox's “{key}” is not a port number.", code="not_configured", permanent=True
        ) from None


# IMAP ---------------------------------------------------------------------------------------


def _imap_connect(config: IntegrationConfig) -> IMAPClient:
    use_ssl = _flag(config, "imap_ssl", True)
    host, port = _setting(config, "imap_host"), _port(config, "imap_port", 993 if use_ssl else 143)
    try:
        return IMAPClient(host, port=port, ssl=use_ssl, timeout=TIMEOUT_SECONDS)
    except (OSError, IMAPClientError) as error:
        raise ProviderError(f"IMAP: could not connect to {host}:{port} ({error}).", code="imap_unreachable") from error


@contextmanager
def _imap(config: IntegrationConfig) -> Iterator[IMAPClient]:
    """A logged-in IMAP session; any failure becomes a ``ProviderError`` that says it was IMAP."""
    username, password = _setting(config, "username"), _setting(config, "password")
    client = _imap_connect(config)
    try:
        try:
            client.login(username, password)
        except LoginError as error:
            # Wrong credentials stay wrong: not worth retrying, and repeated tries may lock the account.
            raise ProviderError(
                f"IMAP: the server refused the login of {username} ({_text(error)}).",
                code="imap_login_failed",
                permanent=True,
            ) from error
        yield client
    except (OSError, IMAPClientError) as error:
        raise ProviderError(f"IMAP: {_text(error)}", code="imap_error") from error
    finally:
        _imap_close(client)


def _imap_close(client: IMAPClient) -> None:
    with suppress(OSError, IMAPClientError):  # the session is over either way
        client.logout()


def _text(error: Exception) -> str:
    text = str(error)
    return text.removeprefix("b'").removeprefix('b"').rstrip("'\"") or type(error).__name__


def _new_uids(client: IMAPClient, *, after_uid: int, since: date | None, limit: int) -> tuple[list[int], bool]:
    """UIDs above ``after_uid`` (and received since ``since``), oldest first, at most ``limit``;
    and whether more were left for the next poll."""
    criteria: list = ["UID", f"{after_uid + 1}:*"]
    if since is not None:
        criteria += ["SINCE", since]
    # "n:*" always matches the newest message, even below n: filter again.
    uids = sorted(uid for uid in client.search(criteria) if uid > after_uid)
    return uids[:limit], len(uids) > limit


def _raw_messages(client: IMAPClient, uids: list[int]) -> Iterator[tuple[int, bytes | None]]:
    for start in range(0, len(uids), FETCH_CHUNK):
        chunk = uids[start : start + FETCH_CHUNK]
        fetched = client.fetch(chunk, ["BODY.PEEK[]"])
        for uid in chunk:
            yield uid, fetched.get(uid, {}).get(b"BODY[]")


# Parsing ------------------------------------------------------------------------------------


def _header(email: EmailMessage, name: str) -> str:
    return " ".join(str(email.get(name, "") or "").split())


def _part_text(part: EmailMessage) -> str:
    try:
        return part.get_content()
    except (LookupError, UnicodeError, AssertionError):
        # An unknown or lying charset: keep what can be read rather than lose the message.
        payload = part.get_payload(decode=True) or b""
        return payload.decode("utf-8", errors="replace")


def _body(email: EmailMessage) -> str:
    plain = email.get_body(preferencelist=("plain",))
    if plain is not None and (text := _part_text(plain).strip()):
        return text
    html = email.get_body(preferencelist=("html",))
    return html_to_text(_part_text(html)) if html is not None else ""


def _attachments(email: EmailMessage) -> tuple[InboundAttachment, ...]:
    attachments = []
    for part in email.iter_attachments():
        # A forwarded email (message/rfc822) has no decodable payload of its own: keep it whole.
        content = part.as_bytes() if part.get_content_maintype() == "message" else part.get_payload(decode=True)
        attachments.append(
            InboundAttachment(
                filename=part.get_filename() or "", content_type=part.get_content_type(), content=content or b""
            )
        )
    return tuple(attachments)


def _sender(email: EmailMessage) -> tuple[str, str]:
    """(address, display name) of the first From address; empty when there is none."""
    header = email.get("From")
    addresses = getattr(header, "addresses", ()) if header is not None else ()
    for address in addresses:
        if address.addr_spec and "@" in address.addr_spec:
            return address.addr_spec.lower(), address.display_name or ""
    return "", ""


def _sent_at(email: EmailMessage):
    header = email.get("Date")
    return getattr(header, "datetime", None) if header is not None else None


def parse_mail(raw: bytes, *, uid: int, uidvalidity: int, to_address: str) -> InboundMessage:
    """One email as the inbox records it. Its provider id is its Message-ID, so the same mail
    read twice is stored once; one without a Message-ID is named by where it sits."""
    email = BytesParser(policy=policy.default).parsebytes(raw)
    from_address, sender_name = _sender(email)
    message_id = _header(email, "Message-ID")
    return InboundMessage(
        provider_message_id=message_id or f"uid:{uidvalidity}:{uid}",
        from_address=from_address,
        to_address=to_address,
        body=_body(email),
        subject=_header(email, "Subject"),
        sender_name=sender_name,
        sent_at=_sent_at(email),
        email_message_id=message_id,
        in_reply_to=_header(email, "In-Reply-To"),
        references=_header(email, "References"),
        attachments=_attachments(email),
    )


def _parsed(raw: bytes | None, *, uid: int, uidvalidity: int, to_address: str) -> InboundMessage | None:
    if raw is None:
        return None
    try:
        return parse_mail(raw, uid=uid, uidvalidity=uidvalidity, to_address=to_address)
    except Exception:
        # One malformed email must not stop the mailbox: it is logged and passed over.
        logger.exception("Mailbox %s: message UID %s could not be parsed; skipped", to_address, uid)
        return None


# SMTP ---------------------------------------------------------------------------------------


def _outgoing_email(config: IntegrationConfig, message: OutgoingMessage) -> EmailMessage:
    email = EmailMessage(policy=policy.SMTP)
    email["From"] = formataddr((config.organization.name, config.address))
    email["To"] = message.to_address
    email["Subject"] = message.subject
    email["Date"] = formatdate(localtime=True)
    email["Message-ID"] = message.email_message_id or make_msgid(domain=config.address.rpartition("@")[2])
    if message.in_reply_to:
        email["In-Reply-To"] = message.in_reply_to
    if message.references:
        email["References"] = message.references
    email.set_content(message.body)
    return email


def _smtp_connect(config: IntegrationConfig) -> smtplib.SMTP:
    host, port = _setting(config, "smtp_host"), _port(config, "smtp_port", 587)
    try:
        if port == SMTP_IMPLICIT_TLS_PORT:
            return smtplib.SMTP_SSL(host, port, timeout=TIMEOUT_SECONDS, context=ssl.create_default_context())
        smtp = smtplib.SMTP(host, port, timeout=TIMEOUT_SECONDS)
        if _flag(config, "smtp_starttls", True):
            smtp.starttls(context=ssl.create_default_context())
        return smtp
    except smtplib.SMTPNotSupportedError as error:
        raise ProviderError(f"SMTP: {host} does not offer STARTTLS.", code="smtp_no_tls", permanent=True) from error
    except (OSError, smtplib.SMTPException) as error:
        raise ProviderError(f"SMTP: could not connect to {host}:{port} ({error}).", code="smtp_unreachable") from error


@contextmanager
def _smtp(config: IntegrationConfig) -> Iterator[smtplib.SMTP]:
    """A logged-in SMTP session; refusals are permanent, 4xx and lost connections are not."""
    username, password = _setting(config, "username"), _setting(config, "password")
    smtp = _smtp_connect(config)
    try:
        smtp.login(username, password)
        yield smtp
    except smtplib.SMTPAuthenticationError as error:
        raise ProviderError(
            f"SMTP: the server refused the login of {username} ({_smtp_reply(error)}).",
            code="smtp_login_failed",
            permanent=True,
        ) from error
    except smtplib.SMTPNotSupportedError as error:
        raise ProviderError(
            f"SMTP: the server does not offer login ({error}).", code="smtp_no_auth", permanent=True
        ) from error
    except smtplib.SMTPRecipientsRefused as error:
        # smtplib raises this for a 451 "try later" as well as for a 550 "no such user".
        codes = [code for code, _ in error.recipients.values()]
        permanent = all(code >= 500 for code in codes)
        replies = "; ".join(f"{address}: {_smtp_reply(reply)}" for address, reply in error.recipients.items())
        raise ProviderError(
            f"SMTP: the recipient was refused ({replies}).",
            code="recipient_refused" if permanent else f"smtp_{min(codes)}",
            permanent=permanent,
        ) from error
    except smtplib.SMTPResponseException as error:
        raise ProviderError(
            f"SMTP: the server answered {_smtp_reply(error)}.",
            code=f"smtp_{error.smtp_code}",
            permanent=error.smtp_code >= 500,
        ) from error
    except (OSError, smtplib.SMTPException) as error:
        raise ProviderError(f"SMTP: {error or type(error).__name__}", code="smtp_error") from error
    finally:
        _smtp_close(smtp)


def _smtp_reply(reply) -> str:
    """``(550, b'5.1.1 No such user')`` or an ``SMTPResponseException`` as "550 5.1.1 No such user"."""
    code, text = (reply.smtp_code, reply.smtp_error) if isinstance(reply, smtplib.SMTPResponseException) else reply
    return f"{code} {text.decode(errors='replace') if isinstance(text, bytes) else text}"


def _smtp_close(smtp: smtplib.SMTP) -> None:
    try:
        smtp.quit()
    except (OSError, smtplib.SMTPException):
        smtp.close()


# The provider -------------------------------------------------------------------------------


class MailboxProvider(Provider):
    kind = IntegrationKind.MAILBOX

    def send(self, config: IntegrationConfig, message: OutgoingMessage) -> SendResult:
        email = _outgoing_email(config, message)
        with _smtp(config) as smtp:
            smtp.send_message(email, from_addr=config.address, to_addrs=[message.to_address])
        # Our Message-ID is the id: an answer's In-Reply-To names it, and a copy of it read back
        # from the mailbox finds it already stored.
        return SendResult(provider_message_id=str(email["Message-ID"]))

    def check_credentials(self, config: IntegrationConfig) -> None:
        with _imap(config) as client:
            try:
                client.select_folder("INBOX", readonly=True)
            except IMAPClientError as error:
                raise ProviderError(f"IMAP: the INBOX cannot be opened ({_text(error)}).", permanent=True) from error
        with _smtp(config):
            pass

    def fetch_new(
        self, config: IntegrationConfig, *, uidvalidity: int | None, after_uid: int, since: date, limit: int
    ) -> MailboxBatch:
        """INBOX mail above ``after_uid``. When the mailbox's UIDVALIDITY is not ``uidvalidity``
        (the first poll, or the server renumbered its messages) the old UIDs mean nothing: it reads
        again from the start, only mail received ``since``, and the Message-IDs keep that harmless."""
        with _imap(config) as client:
            selected = client.select_folder("INBOX", readonly=True)
            current = int(selected[b"UIDVALIDITY"])
            starting_over = current != uidvalidity
            after_uid = 0 if starting_over else after_uid
            uids, more = _new_uids(client, after_uid=after_uid, since=since if starting_over else None, limit=limit)
            mails = [
                FetchedMail(uid, _parsed(raw, uid=uid, uidvalidity=current, to_address=config.address))
                for uid, raw in _raw_messages(client, uids)
            ]
        # Everything below UIDNEXT was looked at, unless the limit cut the list short.
        looked_at = [*uids, int(selected.get(b"UIDNEXT", 1)) - 1 if not more else 0]
        return MailboxBatch(uidvalidity=current, seen_up_to=max([after_uid, *looked_at]), mails=mails)


register(MailboxProvider())
