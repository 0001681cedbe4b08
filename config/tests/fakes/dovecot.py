"""A private Dovecot IMAP server on 127.0.0.1 that the tests start and stop (``make dovecot`` installs it).

Everything it has lives in a temporary folder: its configuration, a passwd-file per user
(plain passwords, login allowed without TLS: this is a test), their maildirs, its sockets
and its log. It runs in the foreground as a child of the tests. Run as an ordinary user, all
of Dovecot runs as that user; run as root (CI), Dovecot wants its own unprivileged users for
its login and internal processes, which the Debian package created, and mail is kept as
``nobody``, since Dovecot refuses to touch mail as root.
"""

import getpass
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from imapclient import IMAPClient

from config.tests.processes import free_port, stop_process

CONFIG = """\
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
default_internal_user = {internal_user}
default_login_user = {login_user}
first_valid_uid = 1
mail_location = maildir:{root}/mail/%u
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/users/%u
}}
userdb {{
  driver = static
  args = uid={mail_uid} gid={mail_gid} home={root}/mail/%u
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
"""


class Dovecot:
    def __init__(self):
        # Not pytest's tmp_path: its folders are private to us, and as root Dovecot's own
        # unprivileged processes must reach the sockets and the maildirs below this one.
        self.root = Path(tempfile.mkdtemp(prefix="bizbox-dovecot-"))
        self.root.chmod(0o755)
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def log(self) -> str:
        paths = [self.root / "stderr.log", self.root / "dovecot.log"]
        return "\n".join(path.read_text(errors="replace") for path in paths if path.exists())

    def start(self) -> "Dovecot":
        binary = shutil.which("dovecot") or ("/usr/sbin/dovecot" if os.path.exists("/usr/sbin/dovecot") else None)
        if binary is None:
            raise RuntimeError("Dovecot is not installed: `make dovecot` installs Debian's dovecot-imapd.")
        self._write_config()
        with (self.root / "stderr.log").open("wb") as stderr:
            self.process = subprocess.Popen(
                [binary, "-F", "-c", str(self.root / "dovecot.conf")], stdout=subprocess.DEVNULL, stderr=stderr
            )
        self._wait_until_serving()
        return self

    def stop(self) -> None:
        if self.process is not None:
            stop_process(self.process, timeout=20)
        shutil.rmtree(self.root, ignore_errors=True)

    def add_user(self, username: str, password: str) -> None:
        # A passwd-file per user: Dovecot notices a changed file only a second later, a new one at once.
        (self.root / "users" / username).write_text(f"{username}:{{PLAIN}}{password}\n")

    def client(self, username: str, password: str) -> IMAPClient:
        client = IMAPClient("127.0.0.1", port=self.port, ssl=False, timeout=10)
        client.login(username, password)
        return client

    def append(self, username: str, password: str, raw: bytes, *, folder: str = "INBOX") -> None:
        """Put an email in a user's folder, as the user's mail server would on delivery."""
        client = self.client(username, password)
        try:
            client.append(folder, raw)
        finally:
            client.logout()

    def _write_config(self) -> None:
        for folder in ("run", "state", "mail", "users"):
            (self.root / folder).mkdir()
        if os.geteuid() == 0:
            internal_user, login_user, mail_user = "dovecot", "dovenull", pwd.getpwnam("nobody")
            os.chown(self.root / "mail", mail_user.pw_uid, mail_user.pw_gid)
        else:
            internal_user = login_user = getpass.getuser()
            mail_user = pwd.getpwuid(os.geteuid())
        text = CONFIG.format(
            root=self.root,
            port=self.port,
            internal_user=internal_user,
            login_user=login_user,
            mail_uid=mail_user.pw_uid,
            mail_gid=mail_user.pw_gid,
        )
        (self.root / "dovecot.conf").write_text(text)

    def _wait_until_serving(self) -> None:
        deadline = time.monotonic() + 30
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"Dovecot exited at start:\n{self.log}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=2) as sock:
                    if sock.recv(100).startswith(b"* OK"):
                        return
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"Dovecot did not start:\n{self.log}")
            time.sleep(0.1)
