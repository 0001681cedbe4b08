"""Contacts at platform scale: one organization of 1,000,000 contacts among others.

Creates (or refreshes) in the benchmark database:

- "Big Plumbing Co" with ``--big`` contacts (1,000,000 by default),
- "Small Salon" with ``--small`` contacts (10,000), the small-table reference,
- ``--others`` organizations (20) of ``--each`` contacts (50,000),

each with an owner and an API token (written to bench/results/contacts_tokens.json).
Rows go in with PostgreSQL COPY as the database superuser (COPY is refused on
tables under row-level security for everyone else), with the two trigram
indexes dropped during the load and rebuilt after, then ANALYZE.

The defaults are the large scale of bench/run.py, which calls ``generate`` with
smaller sizes for its small scale.

    .venv/bin/python bench/contacts_generate.py            # the large scale
    .venv/bin/python bench/contacts_generate.py --big 20000 --small 2000 --others 2 --each 2000   # small
"""

import argparse
import json
import random
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common

COLUMNS = (
    "organization_id",
    "first_name",
    "last_name",
    "company",
    "email",
    "phone",
    "emails",
    "phones",
    "address_line1",
    "address_line2",
    "city",
    "region",
    "postal_code",
    "country",
    "source",
    "consent",
    "custom_fields",
    "search_text",
    "phone_digits",
    "created_at",
    "updated_at",
    "last_activity_at",
)
AREA_CODES = ("212", "312", "415", "512", "617", "702", "713", "808", "917", "305", "206", "303", "404", "503", "602")
CITIES = (("Chicago", "IL"), ("Austin", "TX"), ("Denver", "CO"), ("Seattle", "WA"), ("Boston", "MA"), ("Miami", "FL"))
TRIGRAM_INDEXES = {
    "contact_phone_trgm": "CREATE INDEX contact_phone_trgm ON crm_contact USING gin (phone_digits gin_trgm_ops)",
}


def names() -> tuple[list[str], list[str], list[str]]:
    from faker import Faker

    fake = Faker("en_US")
    fake.seed_instance(7)
    first = sorted({fake.first_name() for _ in range(3000)})
    last = sorted({fake.last_name() for _ in range(6000)})
    companies = sorted({fake.company() for _ in range(3000)})
    return first, last, companies


def contact_rows(organization_id: int, count: int, seed: int, vocab) -> iter:
    first_names, last_names, companies = vocab
    rng = random.Random(seed)
    now = datetime.now(UTC)
    for index in range(count):
        first, last = rng.choice(first_names), rng.choice(last_names)
        company = rng.choice(companies) if rng.random() < 0.25 else ""
        email = f"{first}.{last}.{organization_id}.{index}@example.com".lower().replace("'", "")
        national = f"{rng.choice(AREA_CODES)}{rng.randint(200, 999)}{rng.randint(0, 9999):04d}"
        phone = f"+1{national}"
        city, region = rng.choice(CITIES)
        created = now - timedelta(seconds=rng.randint(0, 3 * 365 * 86400))
        active = (
            created + timedelta(seconds=rng.randint(0, int((now - created).total_seconds())))
            if rng.random() < 0.7
            else None
        )
        yield (
            organization_id, first, last, company, email, phone,
            json.dumps([{"value": email, "label": ""}]), json.dumps([{"value": phone, "label": "mobile"}]),
            f"{rng.randint(1, 9999)} {rng.choice(last_names)} St", "", city, region, f"{rng.randint(10000, 99999)}", "US",
            "import", "{}", "{}",
            " ".join(w for w in (first.lower(), last.lower(), company.lower(), email) if w),
            f"1{national}",
            created, created, active,
        )  # fmt: skip


@dataclass(frozen=True)
class Sizes:
    big: int = 1_000_000
    small: int = 10_000
    others: int = 20
    each: int = 50_000


def organizations(sizes: Sizes) -> list[tuple[str, str, int]]:
    plan = [("Big Plumbing Co", "big-plumbing", sizes.big), ("Small Salon", "small-salon", sizes.small)]
    plan += [(f"Business {n}", f"business-{n}", sizes.each) for n in range(1, sizes.others + 1)]
    return plan


def ensure_organization(name: str, slug: str) -> tuple[int, str]:
    from accounts import services
    from accounts.models import ApiToken, Organization, User

    owner, _ = User.objects.get_or_create(email=f"owner@{slug}.example")
    organization = Organization.objects.filter(slug=slug).first()
    if organization is None:
        organization = services.organization_create(name=name, slug=slug, owner=owner, timezone="America/Chicago")
    ApiToken.objects.filter(organization=organization, name="Benchmark").delete()
    _, key = services.api_token_create(organization=organization, user=owner, name="Benchmark")
    return organization.id, key


def load(admin_url: str, batches: list[tuple[int, int]], vocab) -> float:
    import psycopg

    started = time.monotonic()
    with psycopg.connect(admin_url, autocommit=True) as connection:
        for index_name in TRIGRAM_INDEXES:
            connection.execute(f"DROP INDEX IF EXISTS {index_name}")
        for organization_id, count in batches:
            connection.execute("DELETE FROM crm_contact WHERE organization_id = %s", [organization_id])
            with (
                connection.cursor() as cursor,
                cursor.copy(f"COPY crm_contact ({', '.join(COLUMNS)}) FROM STDIN") as copy,
            ):
                for row in contact_rows(organization_id, count, organization_id, vocab):
                    copy.write_row(row)
            print(
                f"  organization {organization_id}: {count:,} contacts ({time.monotonic() - started:.0f} s)", flush=True
            )
        for sql in TRIGRAM_INDEXES.values():
            connection.execute(sql)
        connection.execute("ANALYZE crm_contact")
    return time.monotonic() - started


def generate(database_url: str, sizes: Sizes) -> dict[str, dict]:
    """Build the organizations and their contacts in the database Django is set up on (the one of
    ``database_url``); returns each organization's id, token and count by slug, also written to
    ``common.tokens_file("contacts", database_url)``."""
    from accounts.tenancy import system_scope

    tokens, batches = {}, []
    with system_scope():
        for name, slug, count in organizations(sizes):
            organization_id, key = ensure_organization(name, slug)
            tokens[slug] = {"organization_id": organization_id, "token": key, "contacts": count}
            batches.append((organization_id, count))
    seconds = load(common.admin_url(database_url), batches, names())
    total = sum(count for _, count in batches)
    path = common.tokens_file("contacts", database_url)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(tokens, indent=2))
    print(f"{total:,} contacts in {seconds:.0f} s ({total / seconds:,.0f} rows/s, indexes included)", flush=True)
    return tokens


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    defaults = Sizes()
    parser.add_argument("--big", type=int, default=defaults.big)
    parser.add_argument("--small", type=int, default=defaults.small)
    parser.add_argument("--others", type=int, default=defaults.others)
    parser.add_argument("--each", type=int, default=defaults.each)
    args = parser.parse_args()

    env = common.production_environment()
    common.prepare_database(env)
    common.setup_django(env)
    generate(common.DATABASE_URL, Sizes(big=args.big, small=args.small, others=args.others, each=args.each))
    return 0


if __name__ == "__main__":
    sys.exit(main())
