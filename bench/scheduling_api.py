"""Scheduling under load: free slots over 30 days at two history sizes, and the calendar's
week against a hand-written baseline.

Needs the data of bench/scheduling_generate.py (generated the same day: the bookings
of the measured window start on the day it ran) and wrk (`apt-get install wrk`).
Starts gunicorn (2 workers, DEBUG off, the project's gunicorn.conf.py) with the
baseline views of bench/views.py, then:

- **slots**: ``GET /api/v1/availability/slots/?service=&from=<now>&to=<now+30d>`` for
  all 10 staff, from a single client, at 20,000 and at 200,000 bookings (the same
  window in both: only the history differs), in alternating blocks of 50 requests so
  that the machine's load weighs on both alike; median, p95, p99;
- **queries and plan**: the same request once more in this process through Django's
  test client, its SQL captured, and EXPLAIN (ANALYZE, BUFFERS) of the bookings query
  exactly as the slot finder sent it, under the organization's row-level security;
- **calendar**: wrk (2 threads, 8 connections, ``Connection: close``: see ``common.wrk``)
  on ``GET /api/v1/calendar/`` for next week against ``/bench/scheduling-calendar-values/``
  (the same query with ``.values()`` and JsonResponse), alternating ``--rounds`` times on
  the same server, with the CPU gunicorn's workers spent per request; then the API
  at 200,000 bookings and a constant JSON view (the machine's ceiling);
- **CPU per request**: the slot and calendar requests once more in this process, timing
  the CPU each takes (which other people's load hardly moves), for a second, steadier
  comparison of the calendar with its baseline.

Other people's tests share the 2-core development machine: before each block pair of
slot requests and each wrk run the script waits (up to ``--quiet-wait`` seconds) for
the CPUs to be mostly idle, and records how busy they were.

    .venv/bin/python bench/scheduling_api.py --requests 300 --seconds 10 --rounds 4
"""

import argparse
import json
import os
import statistics
import sys
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from datetime import time as clock
from pathlib import Path
from urllib.parse import quote
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common

SMALL, LARGE = "lakeview-salon", "lakeview-salon-history"
BLOCK = 50


def slots_path(dataset: dict, now: datetime) -> str:
    start = now.astimezone(ZoneInfo(dataset["time_zone"])).replace(second=0, microsecond=0)
    end = start + timedelta(days=30)
    return (
        f"/api/v1/availability/slots/?service={dataset['service_id']}"
        f"&from={quote(start.isoformat())}&to={quote(end.isoformat())}"
    )


def next_week(dataset: dict, now: datetime) -> str:
    """The query string of next Monday 00:00 to the Monday after, in the business's time zone."""
    tz = ZoneInfo(dataset["time_zone"])
    today = now.astimezone(tz).date()
    monday = today + timedelta(days=7 - today.weekday())
    start = datetime.combine(monday, clock(0), tz)
    end = datetime.combine(monday + timedelta(days=7), clock(0), tz)
    return f"from={quote(start.isoformat())}&to={quote(end.isoformat())}"


def get_json(path: str, token: str) -> dict:
    request = urllib.request.Request(common.BASE_URL + path, headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)


def slot_latencies(web, paths: dict[str, str], datasets: dict, args) -> tuple[dict, dict, list]:
    """Seconds per request for each path, in alternating blocks, each pair of blocks started
    once the machine is quiet (or ``args.quiet_wait`` has passed); the workers' CPU seconds
    for each path; and the busy share seen before each pair."""
    durations: dict[str, list[float]] = {slug: [] for slug in paths}
    cpu = dict.fromkeys(paths, 0.0)
    busy = []
    for _ in range(max(1, args.requests // BLOCK)):
        busy.append(common.wait_for_quiet(args.quiet_wait))
        for slug, path in paths.items():
            cpu_before = common.cpu_seconds(web)
            durations[slug] += common.timed_gets(path, datasets[slug]["token"], BLOCK)
            cpu[slug] += common.cpu_seconds(web) - cpu_before
    return durations, cpu, busy


def captured_queries(path: str, token: str) -> list[str]:
    """The SQL one request runs, served in this process by the same code as gunicorn's."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        response = Client().get(path, headers={"Authorization": f"Bearer {token}", "Host": "127.0.0.1"})
    assert response.status_code == 200, response.content[:300]
    return [query["sql"] for query in queries]


def cpu_per_request(paths: dict[str, tuple[str, str]], times: int = 100) -> dict[str, dict]:
    """The median CPU time and wall time of requests served in this process, the paths taken
    in turn: CPU time hardly moves with other people's load, so it compares views steadily."""
    from django.test import Client

    client = Client()
    cpu: dict[str, list[float]] = {name: [] for name in paths}
    wall: dict[str, list[float]] = {name: [] for name in paths}
    for _ in range(times + 10):
        for name, (path, token) in paths.items():
            started_cpu, started_wall = time.process_time(), time.perf_counter()
            response = client.get(path, headers={"Authorization": f"Bearer {token}", "Host": "127.0.0.1"})
            cpu[name].append(time.process_time() - started_cpu)
            wall[name].append(time.perf_counter() - started_wall)
            assert response.status_code == 200, response.content[:300]
    return {
        name: {
            "cpu_median_ms": round(statistics.median(cpu[name][10:]) * 1000, 1),
            "wall_median_ms": round(statistics.median(wall[name][10:]) * 1000, 1),
        }
        for name in paths
    }


def explain(sql: str, organization_id: int) -> str:
    from django.db import connection

    from accounts.tenancy import organization_scope

    with organization_scope(organization_id), connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
        return "\n".join(line for (line,) in cursor.fetchall())


def query_reading(queries: list[str], table: str, marker: str) -> str:
    return next(sql for sql in queries if f'FROM "{table}"' in sql and marker in sql)


def loaded(web, path: str, token: str, seconds: int, quiet_wait: float) -> dict:
    """wrk on a quiet machine if it gets quiet, with what each request cost gunicorn's workers
    in CPU: a figure that other people's load moves much less than the request rate."""
    busy = common.wait_for_quiet(quiet_wait)
    cpu_before = common.cpu_seconds(web)
    row = common.wrk(path, token, seconds, close=True)
    cpu = common.cpu_seconds(web) - cpu_before
    return {
        **row,
        "server_cpu_ms_per_request": round(cpu * 1000 / row["requests"], 2),
        "server_cores_busy": round(cpu / seconds, 2),
        "cpu_busy_before": busy,
        "load_average_1m_after": round(os.getloadavg()[0], 2),
    }


def calendar_rounds(web, query: str, token: str, args) -> dict[str, list[dict]]:
    """wrk on the baseline then the API, ``args.rounds`` times."""
    runs: dict[str, list[dict]] = {"values() view": [], "API": []}
    for _ in range(args.rounds):
        for name, path in (("values() view", "/bench/scheduling-calendar-values/"), ("API", "/api/v1/calendar/")):
            runs[name].append(loaded(web, f"{path}?{query}", token, args.seconds, args.quiet_wait))
    return runs


def mean_of(runs: list[dict], key: str = "requests_per_second") -> float:
    return statistics.mean(run[key] for run in runs)


def measure_slots(web, datasets: dict, now: datetime, args) -> dict:
    paths = {slug: slots_path(datasets[slug], now) for slug in (SMALL, LARGE)}
    answers = {slug: get_json(path, datasets[slug]["token"]) for slug, path in paths.items()}
    for slug, path in paths.items():
        common.timed_gets(path, datasets[slug]["token"], 20)  # warm both workers
    latencies, cpu, busy = slot_latencies(web, paths, datasets, args)
    starts = {slug: [slot["start"] for slot in answer["slots"]] for slug, answer in answers.items()}
    return {
        "slots": {
            slug: {
                "bookings": datasets[slug]["bookings"],
                "path": paths[slug],
                "slots_returned": len(starts[slug]),
                "requests": len(latencies[slug]),
                **common.summary(latencies[slug]),
                "server_cpu_ms_per_request": round(cpu[slug] * 1000 / len(latencies[slug]), 2),
            }
            for slug in paths
        },
        "same_slots_at_both_sizes": starts[SMALL] == starts[LARGE],
        "slots_cpu_busy_before_blocks": busy,
        "slots_load_average_1m_after": round(os.getloadavg()[0], 2),
    }


def queries_and_plans(datasets: dict, now: datetime) -> dict:
    queries, plans = {}, {}
    for slug in (SMALL, LARGE):
        queries[f"slots, {slug}"] = captured_queries(slots_path(datasets[slug], now), datasets[slug]["token"])
        bookings_sql = query_reading(queries[f"slots, {slug}"], "scheduling_booking", '"blocked_from" >=')
        plans[f"availability_load bookings, {slug}"] = explain(bookings_sql, datasets[slug]["organization_id"])
    small = datasets[SMALL]
    queries["calendar week"] = captured_queries(f"/api/v1/calendar/?{next_week(small, now)}", small["token"])
    calendar_sql = query_reading(queries["calendar week"], "scheduling_booking", '"starts_at" >=')
    plans["calendar_rows"] = explain(calendar_sql, small["organization_id"])
    return {"queries": queries, "plans": plans}


def measure_calendar(web, datasets: dict, now: datetime, args) -> dict:
    small, large = datasets[SMALL], datasets[LARGE]
    week = next_week(small, now)
    path = f"/api/v1/calendar/?{week}"
    common.timed_gets(path, small["token"], 20)
    common.timed_gets(f"/bench/scheduling-calendar-values/?{week}", small["token"], 20)
    calendar = {
        "path": path,
        "bookings_in_week": len(get_json(path, small["token"])["results"]),
        "runs": calendar_rounds(web, week, small["token"], args),
        f"API, {large['bookings']:,} bookings": loaded(web, path, large["token"], args.seconds, args.quiet_wait),
        "constant JSON view": loaded(web, "/bench/constant/", small["token"], args.seconds, args.quiet_wait),
    }
    runs = calendar["runs"]
    calendar["ratio_api_to_values"] = round(mean_of(runs["API"]) / mean_of(runs["values() view"]), 2)
    calendar["ratio_per_round"] = [
        round(api["requests_per_second"] / values["requests_per_second"], 2)
        for api, values in zip(runs["API"], runs["values() view"], strict=True)
    ]
    calendar["ratio_median_of_rounds"] = round(statistics.median(calendar["ratio_per_round"]), 2)
    # Requests a second the same CPU buys: the baseline's CPU per request over the API's.
    calendar["ratio_by_server_cpu"] = round(
        mean_of(runs["values() view"], "server_cpu_ms_per_request") / mean_of(runs["API"], "server_cpu_ms_per_request"),
        2,
    )
    return calendar


def cpu_comparison(datasets: dict, now: datetime) -> dict:
    """Server CPU per request in this process: slots at both sizes, the calendar and its baseline."""
    small = datasets[SMALL]
    week = next_week(small, now)
    cpu = cpu_per_request(
        {
            **{f"slots, {slug}": (slots_path(datasets[slug], now), datasets[slug]["token"]) for slug in (SMALL, LARGE)},
            "calendar API": (f"/api/v1/calendar/?{week}", small["token"]),
            "calendar values() view": (f"/bench/scheduling-calendar-values/?{week}", small["token"]),
        }
    )
    cpu["calendar API / values() view"] = round(
        cpu["calendar values() view"]["cpu_median_ms"] / cpu["calendar API"]["cpu_median_ms"], 2
    )
    return cpu


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=300, help="slot requests per size")
    parser.add_argument("--seconds", type=int, default=10, help="length of each wrk run")
    parser.add_argument("--rounds", type=int, default=4, help="calendar runs of each view, alternating")
    parser.add_argument(
        "--quiet-wait", type=float, default=120, help="seconds to wait for idle CPUs before each measurement"
    )
    parser.add_argument("--out", default=str(common.RESULTS / "scheduling_api.json"))
    args = parser.parse_args()

    datasets = json.loads(common.tokens_file("scheduling").read_text())
    env = common.production_environment(BENCH_BASELINES="1")
    common.setup_django(env)
    web = common.start_web(env)
    now = datetime.now(UTC)
    result = {
        "date": time.strftime("%Y-%m-%d"),
        "machine": common.machine(),
        "command": (
            f"bench/scheduling_api.py --requests {args.requests} --seconds {args.seconds} --rounds {args.rounds}"
            f" --quiet-wait {args.quiet_wait:g}"
        ),
    }
    try:
        common.wait_for_http(common.BASE_URL + "/bench/constant/")
        result.update(measure_slots(web, datasets, now, args))
        result.update(queries_and_plans(datasets, now))
        result["calendar"] = measure_calendar(web, datasets, now, args)
        result["cpu_per_request"] = cpu_comparison(datasets, now)
    finally:
        common.stop(web)
    Path(args.out).write_text(json.dumps(result, indent=2))
    print_tables(result)
    return 0


def print_tables(result: dict) -> None:
    print("| slots, 30 days, 10 staff | bookings | slots | median | p95 | p99 | max | server CPU/request |")
    print("|---|---|---|---|---|---|---|---|")
    for slug, row in result["slots"].items():
        print(
            f"| {slug} | {row['bookings']:,} | {row['slots_returned']} | {row['median_ms']} ms | {row['p95_ms']} ms "
            f"| {row['p99_ms']} ms | {row['max_ms']} ms | {row['server_cpu_ms_per_request']} ms |"
        )
    print(
        f"\nsame slots at both sizes: {result['same_slots_at_both_sizes']}; CPU busy before each block pair: "
        f"{result['slots_cpu_busy_before_blocks']}; load after: {result['slots_load_average_1m_after']}"
    )
    for name, queries in result["queries"].items():
        print(f"{name}: {len(queries)} SQL statements")
    calendar = result["calendar"]
    print(f"\ncalendar {calendar['path']}: {calendar['bookings_in_week']} bookings")
    print(
        "| calendar week | requests/s | p50 | p99 | non-2xx | server CPU/request | server cores busy "
        "| CPU busy before | load after |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    rows = [(f"{name} #{n}", run) for name, runs in calendar["runs"].items() for n, run in enumerate(runs, 1)]
    rows += [(name, row) for name, row in calendar.items() if name.startswith("API, ") or name.startswith("constant")]
    for name, row in rows:
        latency = row["latency_ms"]
        print(
            f"| {name} | {row['requests_per_second']:.0f} | {latency['50']} ms | {latency['99']} ms "
            f"| {row['non_2xx']} | {row['server_cpu_ms_per_request']} ms | {row['server_cores_busy']} "
            f"| {row['cpu_busy_before']} "
            f"| {row['load_average_1m_after']} |"
        )
    print(
        f"\nAPI / values() view: {calendar['ratio_api_to_values']} (mean rates), "
        f"{calendar['ratio_median_of_rounds']} (median of rounds {calendar['ratio_per_round']}), "
        f"{calendar['ratio_by_server_cpu']} (by server CPU per request)"
    )
    print("\n| served in-process | CPU median | wall median |\n|---|---|---|")
    for name, row in result["cpu_per_request"].items():
        if isinstance(row, dict):
            print(f"| {name} | {row['cpu_median_ms']} ms | {row['wall_median_ms']} ms |")
    print(f"calendar API / values() view by CPU: {result['cpu_per_request']['calendar API / values() view']}")
    for name, plan in result["plans"].items():
        print(f"\nPlan of {name}:\n{plan}")


if __name__ == "__main__":
    sys.exit(main())
