"""Contacts under load: the list at 1M contacts against 10k and against hand-written baselines,
and search latency at 1M, with the plans PostgreSQL chose.

Needs the data of bench/contacts_generate.py and wrk (`apt-get install wrk`).
Starts gunicorn (2 workers, DEBUG off) with the baseline views of bench/views.py.

    .venv/bin/python bench/contacts_api.py --seconds 15
"""

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common


def search_terms(organization_id: int) -> dict[str, str]:
    """A name, a partial phone and a one-letter typo, taken from a real row of the big organization."""
    from accounts.tenancy import organization_scope
    from crm.models import Contact

    with organization_scope(organization_id):
        sample = Contact.objects.filter(organization_id=organization_id).order_by("id")[12345:12346].get()
    return search_terms_for(sample.first_name, sample.last_name, sample.phone)


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
        contacts = selectors.contacts_search(
            selectors.contacts_live(organization=_organization(organization_id)), term
        )[:100]
        return contacts.explain(analyze=True)


def _organization(organization_id: int):
    from accounts.models import Organization

    return Organization.objects.get(pk=organization_id)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--searches", type=int, default=200)
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
            "command": f"bench/contacts_api.py --seconds {args.seconds} --searches {args.searches}",
            "contacts": {"big": big["contacts"], "small": small["contacts"]},
            "throughput": {
                "constant JSON view": common.wrk("/bench/constant/", big["token"], args.seconds),
                "values() view, 1M": common.wrk("/bench/contacts-values/", big["token"], args.seconds),
                "API list, 1M": common.wrk("/api/v1/contacts/", big["token"], args.seconds),
                "API list, 10k": common.wrk("/api/v1/contacts/", small["token"], args.seconds),
            },
            "search": {},
            "plans": {},
        }
        for kind, term in search_terms(big["organization_id"]).items():
            path = f"/api/v1/contacts/?search={term.replace(' ', '%20')}"
            result["search"][kind] = {
                "term": term,
                **common.summary(common.timed_gets(path, big["token"], args.searches)),
            }
            result["plans"][kind] = explain(big["organization_id"], term)
    finally:
        common.stop(web)
    throughput = result["throughput"]
    api_big = throughput["API list, 1M"]["requests_per_second"]
    result["ratios"] = {
        "1M / 10k": round(api_big / throughput["API list, 10k"]["requests_per_second"], 2),
        "API / values() view": round(api_big / throughput["values() view, 1M"]["requests_per_second"], 2),
        "API / constant view": round(api_big / throughput["constant JSON view"]["requests_per_second"], 2),
    }
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
    print("\n| ratio | value |\n|---|---|")
    for name, value in result["ratios"].items():
        print(f"| {name} | {value} |")
    print("\n| search at 1M | term | median | p95 | p99 |\n|---|---|---|---|---|")
    for kind, row in result["search"].items():
        print(f"| {kind} | {row['term']} | {row['median_ms']} ms | {row['p95_ms']} ms | {row['p99_ms']} ms |")
    for kind, plan in result["plans"].items():
        print(f"\nPlan for {kind}:\n{plan}")


if __name__ == "__main__":
    sys.exit(main())
