"""What `make run` does, on the embedded default: SQLite, eager tasks, console email, the demo."""

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(url: str, **headers) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers=headers)
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, response.read()


def test_the_product_runs_on_a_fresh_sqlite_database(tmp_path):
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "REDIS_URL", "CELERY_TASK_ALWAYS_EAGER", "EMAIL_BACKEND"}
    }
    env.update({"DEBUG": "1", "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"})
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "--noinput"], env=env, check=True, capture_output=True, timeout=300)
    seeded = subprocess.run([*manage, "seed_demo"], env=env, check=True, capture_output=True, text=True, timeout=120)
    token = seeded.stdout.strip().splitlines()[-1].split()[-1]

    port = _free_port()
    server = subprocess.Popen(
        [*manage, "runserver", "--noreload", f"127.0.0.1:{port}"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                status, body = _get(f"{base}/healthz?format=json")
                break
            except OSError:
                assert time.monotonic() < deadline, "the server did not start"
                time.sleep(0.3)
        assert status == 200
        assert set(json.loads(body).values()) == {"OK"}
        status, body = _get(f"{base}/api/v1/organization/", Authorization=f"Bearer {token}")
        assert json.loads(body)["name"] == "Brightside Plumbing"
        assert _get(f"{base}/api/docs/")[0] == 200
        assert _get(f"{base}/admin/login/")[0] == 200
    finally:
        server.terminate()
        server.wait(timeout=10)
