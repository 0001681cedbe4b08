"""A fake SMTP server on 127.0.0.1 (aiosmtpd) that records what it is sent.

It asks for a login (without TLS: this is a test) and accepts the users added to it;
a test can make it refuse a recipient for good (550) or for now (451).
"""

import threading
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from config.tests.processes import free_port


@dataclass(frozen=True)
class ReceivedMail:
    login: str
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage


class FakeSMTP:
    def __init__(self):
        self.users: dict[str, str] = {}
        self.received: list[ReceivedMail] = []
        self.refused: set[str] = set()
        self.deferred: set[str] = set()
        self.lock = threading.Lock()
        self.port = free_port()
        self.controller = Controller(
            _Handler(self),
            hostname="127.0.0.1",
            port=self.port,
            authenticator=self._authenticate,
            # Login without TLS is this test server's choice; MAIL before login is refused below.
            auth_require_tls=False,
        )

    def start(self) -> "FakeSMTP":
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()

    def add_user(self, username: str, password: str) -> None:
        self.users[username] = password

    def _authenticate(self, server, session, envelope, mechanism: str, auth_data) -> AuthResult:
        if not isinstance(auth_data, LoginPassword):
            return AuthResult(success=False, handled=False)
        login, password = auth_data.login.decode(), auth_data.password.decode()
        if self.users.get(login) != password:
            return AuthResult(success=False, handled=False)  # aiosmtpd answers 535
        return AuthResult(success=True, auth_data=login)


class _Handler:
    def __init__(self, fake: FakeSMTP):
        self.fake = fake

    async def handle_MAIL(self, server, session, envelope, address: str, mail_options) -> str:
        if not session.authenticated:
            return "530 5.7.0 Authentication required"
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address: str, rcpt_options) -> str:
        if address.lower() in self.fake.refused:
            return f"550 5.1.1 <{address}>: Recipient address rejected: User unknown"
        if address.lower() in self.fake.deferred:
            return f"451 4.7.1 <{address}>: Try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope) -> str:
        message = BytesParser(policy=policy.default).parsebytes(envelope.original_content or envelope.content)
        mail = ReceivedMail(
            login=str(session.auth_data or ""),
            mail_from=envelope.mail_from,
            rcpt_tos=list(envelope.rcpt_tos),
            message=message,
        )
        with self.fake.lock:
            self.fake.received.append(mail)
        return "250 2.0.0 Ok: queued"
