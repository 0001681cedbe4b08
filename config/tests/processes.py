"""Processes of the product, and a Redis of their own, that tests start and stop on loopback."""

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from celery import Celery


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def database_url() -> str:
    """The test database as a URL, for a process of the product started by a test."""
    from django.db import connection

    db = connection.settings_dict
    credentials = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{credentials}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def stop_process(process: subprocess.Popen, *, timeout: float = 20) -> None:
    """Stop ``process`` cleanly (SIGTERM); one that does not exit in time is killed."""
    if process.poll() is None:
        process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


class RedisServer:
    """A redis-server of a test's own, on a free loopback port, keeping its data in ``directory``.

    ``stop()`` then ``start()`` is a restart on the same port and data, as an
    operator's restart would be. The persistence is production's: the append-only
    file, without which a restart forgets every queued task.
    """

    def __init__(self, directory: Path):
        self.directory = directory
        self.port = free_port()
        self.log_path = directory / "redis.log"
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> "RedisServer":
        binary = shutil.which("redis-server") or "/usr/bin/redis-server"
        self.process = subprocess.Popen(
            [binary, "--bind", "127.0.0.1", "--port", str(self.port), "--dir", str(self.directory),
             "--appendonly", "yes", "--save", "", "--logfile", str(self.log_path)],
            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
        )  # fmt: skip
        deadline = time.monotonic() + 10
        while not self._answers():
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"redis-server did not start:\n{self._log()}")
            time.sleep(0.05)
        return self

    def stop(self) -> None:
        """A clean shutdown (SIGTERM): Redis writes what it has and exits."""
        if self.process is not None:
            stop_process(self.process, timeout=10)

    def _answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def _log(self) -> str:
        return self.log_path.read_text() if self.log_path.exists() else ""


@contextmanager
def redis_server(directory: Path) -> Iterator[RedisServer]:
    server = RedisServer(directory).start()
    try:
        yield server
    finally:
        server.stop()


@contextmanager
def celery_client(broker_url: str | None = None) -> Iterator[Celery]:
    """The product's Celery app, or one on another broker, to send tasks and ping workers there.

    The product's app keeps its broker connections in pools made on first use,
    so it cannot be pointed elsewhere for one test; a second app can.
    """
    from config.celery import app

    if broker_url is None:
        yield app
        return
    client = Celery("bizbox-tests", broker=broker_url, set_as_current=False)
    try:
        yield client
    finally:
        client.close()


@contextmanager
def celery_worker(
    *,
    queue: str,
    log_path: Path,
    env: dict[str, str] | None = None,
    broker_url: str | None = None,
    pool: str = "solo",
) -> Iterator[subprocess.Popen]:
    """A real Celery worker process taking ``queue``'s tasks, on this test's database; stopped on leaving.

    ``broker_url`` puts it on another Redis than the suite's (its cache too).
    The solo pool runs tasks in the worker process itself, and is quickest to
    start; ``pool="prefork"`` is production's, one child process running the
    tasks. The worker leads a process group of its own: ``os.killpg`` on its
    pid takes it and its children down at once, as a machine's crash would.
    """
    name = f"{queue}@localhost"
    process_env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "CELERY_TASK_DEFAULT_QUEUE": queue,  # tasks the worker enqueues stay with it
        "DEBUG": "1",
        **({"REDIS_URL": broker_url} if broker_url else {}),
        **(env or {}),
    }
    with log_path.open("w") as log:
        worker = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", "worker", f"--pool={pool}", "--concurrency=1",
             "--queues", queue, "--hostname", name, "--without-gossip", "--without-mingle",
             "--include", "config.tests.worker_tasks", "--loglevel", "INFO"],
            env=process_env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        try:
            with celery_client(broker_url) as client:
                _wait_for_worker(client, name, worker, log_path)
            yield worker
        finally:
            stop_process(worker)


def _wait_for_worker(client: Celery, name: str, worker: subprocess.Popen, log_path: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if worker.poll() is not None:
            raise RuntimeError(f"The Celery worker exited:\n{log_path.read_text()}")
        if client.control.ping(destination=[name], timeout=0.5):
            return
    raise RuntimeError(f"The Celery worker did not answer in time:\n{log_path.read_text()}")
