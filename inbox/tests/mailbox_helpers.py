"""Shared set-up for the mailbox tests: emails as a contact's mail program writes them, and
a mailbox integration whose IMAP side is the private Dovecot and SMTP side the fake server."""

import itertools
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate

from config.tests.fakes.dovecot import Dovecot
from config.tests.fakes.smtp import FakeSMTP
from inbox.models import IntegrationConfig, IntegrationKind
from inbox.tests.factories import IntegrationConfigFactory

PASSWORD = "correct horse battery staple"
_numbers = itertools.count(1)


@dataclass
class Mailbox:
    """The business's mailbox: its integration, and the account the servers know it by."""

    config: IntegrationConfig
    address: str
    dovecot: Dovecot

    def deliver(self, raw: bytes) -> None:
        self.dovecot.append(self.address, PASSWORD, raw)

    def unseen_uids(self) -> list[int]:
        client = self.dovecot.client(self.address, PASSWORD)
        try:
            client.select_folder("INBOX", readonly=True)
            return client.search(["UNSEEN"])
        finally:
            client.logout()


def mailbox_credentials(dovecot: Dovecot, smtp: FakeSMTP, username: str, password: str = PASSWORD) -> dict:
    return {
        "imap_host": "127.0.0.1",
        "imap_port": dovecot.port,
        "imap_ssl": False,
        "smtp_host": "127.0.0.1",
        "smtp_port": smtp.port,
        "smtp_starttls": False,
        "username": username,
        "password": password,
    }


def mailbox_create(organization, dovecot: Dovecot, smtp: FakeSMTP) -> Mailbox:
    """A new mailbox account on both servers (Dovecot lives for the whole session: each test
    has an address of its own) and its integration."""
    address = f"office{next(_numbers)}@alpha-plumbing.example"
    dovecot.add_user(address, PASSWORD)
    smtp.add_user(address, PASSWORD)
    config = IntegrationConfigFactory(
        organization=organization,
        kind=IntegrationKind.MAILBOX,
        name="Office mailbox",
        address=address,
        credentials=mailbox_credentials(dovecot, smtp, address),
    )
    return Mailbox(config=config, address=address, dovecot=dovecot)


def email_bytes(
    *,
    to: str,
    sender: str = "Dana Lee <dana@client.example>",
    subject: str = "Leaking tap",
    text: str | None = "The kitchen tap drips all night.",
    html: str | None = None,
    message_id: str | None = "<first@client.example>",
    in_reply_to: str = "",
    references: str = "",
    attachments: tuple[tuple[str, str, bytes], ...] = (),
) -> bytes:
    """An email as a mail program sends it; attachments are (filename, content type, content)."""
    email = EmailMessage()
    email["From"], email["To"], email["Subject"] = sender, to, subject
    email["Date"] = formatdate()
    if message_id:
        email["Message-ID"] = message_id
    if in_reply_to:
        email["In-Reply-To"] = in_reply_to
    if references:
        email["References"] = references
    if text is not None:
        email.set_content(text)
    if html is not None:
        if text is None:
            email.set_content(html, subtype="html")
        else:
            email.add_alternative(html, subtype="html")
    for filename, content_type, content in attachments:
        maintype, subtype = content_type.split("/")
        email.add_attachment(content, maintype=maintype, subtype=subtype, filename=filename)
    return email.as_bytes()
