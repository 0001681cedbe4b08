"""Demo data of later apps, planted by ``seed_demo`` without accounts importing them.

accounts comes first and imports no later app. An app with demo data registers a
seeder from its ``AppConfig.ready()``: ``seeder(organization, owner)``, called
inside seed_demo's transaction and system scope, in registration order, and safe
to run twice (a second run adds nothing).
"""

from collections.abc import Callable

from accounts.models import Organization, User

DemoSeeder = Callable[[Organization, User], None]

DEMO_SEEDERS: list[DemoSeeder] = []


def register_demo_seeder(seeder: DemoSeeder) -> DemoSeeder:
    if seeder not in DEMO_SEEDERS:
        DEMO_SEEDERS.append(seeder)
    return seeder


def demo_data_seed(*, organization: Organization, owner: User) -> None:
    for seeder in DEMO_SEEDERS:
        seeder(organization, owner)
