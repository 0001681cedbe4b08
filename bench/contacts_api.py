"""Contacts under load: the list at 1M contacts against 10k and against hand-written baselines,
and search latency at 1M, with the plans PostgreSQL chose.

Needs the data of bench/contacts_generate.py and wrk (`apt-get install wrk`).
Starts gunicorn (2 workers, DEBUG off) with the baseline views of bench/views.py.

    .venv/bin/python bench/contacts_api.py --seconds 10 --rounds 3 --searches 200 --samples 10
"""

import argparse
import json
import sys
import time
from pathlib import Path
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common


def search_terms(organization_id: int, position: int = 12345) -> dict[str, str]:
    """A name, a partial phone and a one-letter typo, taken from a real row of the big organization."""
    from accounts.tenancy import organization_scope
    from crm.models import Contact

    with organization_scope(organization_id):
        sample = Contact.objects.filter(organization_id=organization_id).order_by("id")[position : position + 1].get()
    return search_terms_for(sample.first_name, sample.last_name, sample.phone)


def sample_positions(count: int, contacts: int) -> list[int]:
    """Rows spread over the organization, so that the terms cover common and rare names alike
    (a search's cost follows how common its words' trigrams are)."""
    return [12345 + index * (contacts - 12345) // count for index in range(count)]


def search_terms_for(first_name: str, last_name: str, phone: str) -> dict[str, str]:
    """What someone types to find this contact: the name, the last seven digits of the phone
    as written on a card, and the name with one letter of the last name changed."""
    middle = len(last_name) // 2
    typo = last_name[:middle] + ("e" if last_name[middle] != "e" else "a") + last_name[middle + 1 :]
    return {
        "name": f"{first_name} {last_name}",
        "partial phone": phone[-7:-4] + "-" + phone[-4:],
        "typo": f"{first_name} {typo}",
    }


def explain(organization_id: int, term: str) -> str:
    from accounts.tenancy import organization_scope
    from crm import selectors

    with organization_scope(organization_id):
        organization = _organization(organization_id)
        contacts = selectors.contacts_search(
            selectors.contacts_live(organization=organization), term, organization=organization
        )[:100]
        return contacts.explain(analyze=True)


def _organization(organization_id: int):
    from accounts.models import Organization

    return Organization.objects.get(pk=organization_id)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds of the list's three runs")
    parser.add_argument("--searches", type=int, default=200, help="searches of each kind, over all the samples")
    parser.add_argument("--samples", type=int, default=10, help="contacts whose name and phone are searched for")
    parser.add_argument("--out", default=str(common.RESULTS / "contacts_api.json"))
    args = parser.parse_args()

    tokens = json.loads(common.tokens_file("contacts").read_text())
    big, small = tokens["big-plumbing"], tokens["small-salon"]
    env = common.production_environment(BENCH_BASELINES="1")
    common.setup_django(env)
    web = common.start_web(env)
    try:
        common.wait_for_http(common.BASE_URL + "/bench/constant/")
        common.timed_gets("/api/v1/contacts/", big["token"], 20)  # warm the workers and the cache
        result = {
            "date": time.strftime("%Y-%m-%d"),
            "machine": common.machine(),
            "command": (
                f"bench/contacts_api.py --seconds {args.seconds} --rounds {args.rounds}"
                f" --searches {args.searches} --samples {args.samples}"
            ),
            "contacts": {"big": big["contacts"], "small": small["contacts"]},
            "throughput": {
                "constant JSON view": common.wrk("/bench/constant/", big["token"], args.seconds, close=True)
            },
            "search": {},
            "plans": {},
        }
        # Alternating rounds, as the machine's speed drifts: each ratio compares neighbours.
        rounds = []
        for round_number in range(1, args.rounds + 1):
            runs = {
                name: common.wrk(path, token, args.seconds, close=True)
                for name, path, token in (
                    ("values() view, 1M", "/bench/contacts-values/", big["token"]),
                    ("API list, 1M", "/api/v1/contacts/", big["token"]),
                    ("API list, 10k", "/api/v1/contacts/", small["token"]),
                )
            }
            result["throughput"].update({f"{name} #{round_number}": row for name, row in runs.items()})
            rate = {name: row["requests_per_second"] for name, row in runs.items()}
            rounds.append(
                {
                    "1M / 10k": round(rate["API list, 1M"] / rate["API list, 10k"], 2),
                    "API / values() view": round(rate["API list, 1M"] / rate["values() view, 1M"], 2),
                }
            )
        result["ratios"] = {name: [entry[name] for entry in rounds] for name in rounds[0]}
        per_term = max(1, args.searches // args.samples)
        for position in sample_positions(args.samples, big["contacts"]):
            for kind, term in search_terms(big["organization_id"], position).items():
                row = result["search"].setdefault(kind, {"terms": [], "durations": []})
                durations = common.timed_gets(f"/api/v1/contacts/?search={quote(term)}", big["token"], per_term)
                row["terms"].append({"term": term, **common.summary(durations)})
                row["durations"] += durations
                if position == 12345:
                    result["plans"][kind] = explain(big["organization_id"], term)
        for row in result["search"].values():
            row.update(common.summary(row.pop("durations")))
            row["slowest term"] = max(row["terms"], key=lambda entry: entry["p95_ms"])
    finally:
        common.stop(web)
    Path(args.out).write_text(json.dumps(result, indent=2))
    print_table(result)
    return 0


def print_table(result: dict) -> None:
    print("| list scenario | requests/s | p50 | p99 | non-2xx |\n|---|---|---|---|---|")
    for name, row in result["throughput"].items():
        latency = row["latency_ms"]
        print(
            f"| {name} | {row['requests_per_second']:.0f} | {latency['50']} ms | {latency['99']} ms | {row['non_2xx']} |"
        )
    print("\n| ratio, per round | values |\n|---|---|")
    for name, values in result["ratios"].items():
        print(f"| {name} | {', '.join(str(value) for value in values)} |")
    print("\n| search at 1M, all samples | median | p95 | p99 | slowest term (its p95) |\n|---|---|---|---|---|")
    for kind, row in result["search"].items():
        slowest = row["slowest term"]
        print(
            f"| {kind} | {row['median_ms']} ms | {row['p95_ms']} ms | {row['p99_ms']} ms"
            f" | {slowest['term']} ({slowest['p95_ms']} ms) |"
        )
    for kind, plan in result["plans"].items():
        print(f"\nPlan for {kind}:\n{plan}")


if __name__ == "__main__":
    sys.exit(main())
