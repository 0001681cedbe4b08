"""What the benchmark scripts share: the product started as production runs it, load from wrk,
timed requests from a single client, and percentiles."""

import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
BENCH_DATABASE = "bizbox_bench"
DATABASE_URL = os.environ.get("BENCH_DATABASE_URL", f"postgres://bizbox@127.0.0.1:5432/{BENCH_DATABASE}")
ADMIN_DATABASE_URL = os.environ.get("BENCH_ADMIN_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/bizbox_bench")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/3")
PORT = int(os.environ.get("BENCH_PORT", "8765"))
BASE_URL = f"http://127.0.0.1:{PORT}"
WRK_REPORT = Path(__file__).resolve().parent / "wrk_report.lua"


def on_database(url: str, database: str) -> str:
    """The same server and role, another database."""
    return urlparse(url)._replace(path=f"/{database}").geturl()


def admin_url(database_url: str) -> str:
    """The database superuser's address of the same database (COPY and VACUUM need it)."""
    return on_database(ADMIN_DATABASE_URL, database_name(database_url))


def database_name(url: str) -> str:
    return urlparse(url).path.lstrip("/")


def tokens_file(kind: str, database_url: str = DATABASE_URL) -> Path:
    """Where a generator leaves the tokens and ids of the data it built (``kind`` is ``contacts``,
    ``scheduling`` or ``inbox``): one file per database, so that data sets of two databases never mix."""
    return results_file(f"{kind}_tokens.json", database_name(database_url))


def results_file(name: str, database: str) -> Path:
    """``bench/results/<name>`` for the benchmark database of the per-issue scripts, with the
    database's name before the extension for any other (``inbox_tokens.bizbox_bench_small.json``),
    so that runs on two databases at once never read each other's files."""
    stem, dot, extension = name.partition(".")
    return RESULTS / (name if database == BENCH_DATABASE else f"{stem}.{database}{dot}{extension}")


def production_environment(
    database_url: str = DATABASE_URL, redis_url: str = REDIS_URL, **extra: str
) -> dict[str, str]:
    """DEBUG off, PostgreSQL and Redis: the settings production runs with, on loopback."""
    return {
        **os.environ,
        "DEBUG": "0",
        "SECRET_KEY": os.environ.get("BENCH_SECRET_KEY", "bench-" + "x" * 50),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "FIELD_ENCRYPTION_KEY": "bench-field-encryption-key-0123456789abcdef",
        "SECURE_SSL_REDIRECT": "0",
        "SITE_URL": BASE_URL,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "LOG_LEVEL": "WARNING",
        # Uploads (an import's file) stay under bench/results, never in the project's media/.
        "MEDIA_ROOT": str(RESULTS / "media"),
        **extra,
    }


def setup_django(env: dict[str, str]) -> None:
    """Use the product's models from this process, against the benchmark database."""
    os.environ.update(env)
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def prepare_database(env: dict[str, str]) -> None:
    """The role and the database of ``env``'s DATABASE_URL, created if missing, then migrated."""
    run([sys.executable, "bin/pg_app_role.py"], {**env, "APP_DATABASE_URL": env["DATABASE_URL"]})
    run([sys.executable, "manage.py", "migrate", "--noinput"], env)


def run(command: list[str], env: dict) -> None:
    subprocess.run(command, cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)


def start(command: list[str], env: dict, log_name: str) -> subprocess.Popen:
    RESULTS.mkdir(parents=True, exist_ok=True)
    log = (RESULTS / log_name).open("w")
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)


def start_worker(env: dict, log_name: str = "worker.log") -> subprocess.Popen:
    """One Celery worker process of concurrency 1, as production runs it. ``--purge`` drops tasks
    left in the queue by earlier work (the load mix's jobs enqueue some with no worker running),
    so that the worker only runs what the scenario sends it; then ``wait_for_worker``."""
    command = [sys.executable, "-m", "celery", "-A", "config", "worker", "-c", "1", "--purge", "--loglevel", "WARNING"]
    return start(command, env, log_name)


def wait_for_worker(worker: subprocess.Popen, timeout: float = 60) -> None:
    """Until the worker answers a ping: it has purged the queue and consumes. A task sent before
    that is purged with the leftovers (a fixed sleep lost the import's start on a slow machine).
    Django must be set up on the same Redis (``setup_django``)."""
    from config.celery import app

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if worker.poll() is not None:
            raise RuntimeError(f"the Celery worker exited ({worker.returncode}); see its log in {RESULTS}")
        if app.control.ping(timeout=0.5):
            return
    raise RuntimeError(f"the Celery worker did not answer within {timeout:.0f} s")


def port_is_free(port: int = PORT) -> bool:
    """Whether nothing listens on ``port`` yet: a server someone else left there would answer
    the benchmark's requests instead of ours."""
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) != 0


def start_web(env: dict, workers: int = 2, log_name: str = "web.log") -> subprocess.Popen:
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "config.wsgi",
        "-w",
        str(workers),
        "-b",
        f"127.0.0.1:{PORT}",
        "--access-logfile",
        "-",
    ]
    return start(command, {**env, "DATABASE_POOL_MAX": "4"}, log_name)


def stop(*processes: subprocess.Popen) -> None:
    for process in processes:
        process.terminate()
    for process in processes:
        process.wait(timeout=30)


def wait_for_http(url: str, seconds: float = 60, server: subprocess.Popen | None = None) -> None:
    """Wait for ``url`` to answer; with ``server``, give up at once if that process has ended."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server is not None and server.poll() is not None:
            raise RuntimeError(f"the server ended (exit code {server.returncode}) before {url} answered")
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"{url} did not answer")


def wrk(path: str, token: str, seconds: int, connections: int = 8, close: bool = False) -> dict:
    """Throughput and latency of one URL under wrk (2 threads), with the token as a bearer.

    ``close`` sends ``Connection: close``, so that each request is accepted by whichever
    worker is free: kept-alive connections stay with the gunicorn worker that accepted
    them, and a run whose connections mostly landed on one worker is served by one core.
    Latency percentiles (50, 90, 95, 99, max) are in milliseconds, read from wrk's own
    histogram by bench/wrk_report.lua; ``non_2xx`` counts answers that were not 2xx or 3xx,
    ``socket_errors`` connections that failed or timed out."""
    headers = ["-H", f"Authorization: Bearer {token}", *(["-H", "Connection: close"] if close else [])]
    output = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "-s", str(WRK_REPORT), *headers, BASE_URL + path],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    return wrk_report(output)


def wrk_report(output: str) -> dict:
    """The figures of a wrk run from what bench/wrk_report.lua printed."""
    report = json.loads(output[output.rindex("WRK_REPORT ") + len("WRK_REPORT ") :])
    errors = report["errors"]
    return {
        "requests_per_second": round(report["requests"] / (report["duration_us"] / 1e6), 1),
        "requests": report["requests"],
        "latency_ms": {share: round(micros / 1000, 1) for share, micros in report["latency_us"].items()},
        "non_2xx": errors["status"],
        "socket_errors": errors["connect"] + errors["read"] + errors["write"] + errors["timeout"],
    }


def cpu_seconds(process: subprocess.Popen) -> float:
    """CPU seconds (user and system) used so far by a process and its children, e.g. gunicorn
    and its workers: what a run cost the server, whatever else the machine was doing."""
    ticks = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # the process ended meanwhile
        pid, parent = int(stat.parent.name), int(fields[1])
        if process.pid in (pid, parent):
            ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def timed_gets(path: str, token: str, times: int) -> list[float]:
    """Seconds of each of ``times`` GETs in a row on one kept-alive connection; each must be a 200."""
    connection = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
    durations = []
    for _ in range(times):
        started = time.perf_counter()
        connection.request("GET", path, headers={"Authorization": f"Bearer {token}"})
        response = connection.getresponse()
        body = response.read()
        durations.append(time.perf_counter() - started)
        assert response.status == 200, body[:300]
    connection.close()
    return durations


def cpu_busy_share(seconds: float = 2.0) -> float:
    """The share of the machine's CPU time spent busy over the next ``seconds`` (from /proc/stat)."""

    def sample() -> tuple[int, int]:
        ticks = [int(value) for value in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        return ticks[3] + ticks[4], sum(ticks)  # idle and iowait, everything

    idle_before, total_before = sample()
    time.sleep(seconds)
    idle_after, total_after = sample()
    return round(1 - (idle_after - idle_before) / max(1, total_after - total_before), 2)


def wait_for_quiet(seconds: float, busy_at_most: float = 0.15) -> float:
    """Wait up to ``seconds`` for the CPUs to be mostly idle (other people's test runs share the
    development machine); returns the busy share last seen, to be reported with the figures."""
    deadline = time.monotonic() + seconds
    while True:
        busy = cpu_busy_share()
        if busy <= busy_at_most or time.monotonic() >= deadline:
            return busy


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def summary(values: list[float]) -> dict[str, float]:
    return {
        "median_ms": round(statistics.median(values) * 1000, 1),
        "p95_ms": round(percentile(values, 0.95) * 1000, 1),
        "p99_ms": round(percentile(values, 0.99) * 1000, 1),
        "max_ms": round(max(values) * 1000, 1),
    }


def machine() -> dict:
    return {
        "cores": os.cpu_count(),
        "memory_gib": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30),
    }
