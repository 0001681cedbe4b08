from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from accounts import services
from accounts.demo import demo_data_seed
from accounts.magic_links import magic_link_url
from accounts.models import ApiToken, IndustryProfile, Organization, SubscriptionStatus, User
from accounts.onboarding import onboarding_complete
from accounts.roles import Role
from accounts.tenancy import system_scope

DEMO_ORGANIZATION_SLUG = "brightside-plumbing"
DEMO_OWNER_EMAIL = "owner@brightside.example"
DEMO_TEAMMATE_EMAIL = "sam@brightside.example"
DEMO_STAFF_EMAIL = "admin@bizbox.example"
DEMO_STAFF_PASSWORD = "demo-admin-password"
DEMO_TOKEN_NAME = "Demo token"


class Command(BaseCommand):
    help = "Create (or refresh) the demo business, its team and its data. Safe to run twice."

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="Allow running with DEBUG off.")

    def handle(self, *args, force: bool, **options):
        if not settings.DEBUG and not force:
            raise CommandError("seed_demo adds a demo login with a known password: run it with DEBUG=1, or --force.")
        with system_scope(), transaction.atomic():
            services.industry_profiles_load()
            organization, owner = self._organization()
            teammate = self._user(DEMO_TEAMMATE_EMAIL, "Sam", "Lee")
            services.membership_create(organization=organization, user=teammate, role=Role.STAFF, actor=owner)
            self._staff_user()
            demo_data_seed(organization=organization, owner=owner)  # contacts and the like, from later apps
            key = self._fresh_token(organization, owner)
        self._print_where_to_log_in(organization, owner, key)

    def _user(self, email: str, first_name: str, last_name: str) -> User:
        user, _ = User.objects.get_or_create(email=email, defaults={"first_name": first_name, "last_name": last_name})
        return user

    def _organization(self) -> tuple[Organization, User]:
        owner = self._user(DEMO_OWNER_EMAIL, "Dana", "Rivera")
        organization = Organization.objects.filter(slug=DEMO_ORGANIZATION_SLUG).first()
        if organization is None:
            organization = services.organization_create(
                name="Brightside Plumbing",
                slug=DEMO_ORGANIZATION_SLUG,
                owner=owner,
                timezone="America/Chicago",
                currency="USD",
                country="US",
                phone="(312) 555-0147",
                email="hello@brightside.example",
                address_line1="1450 W Fulton St",
                city="Chicago",
                region="IL",
                postal_code="60607",
                subscription_status=SubscriptionStatus.ACTIVE,
            )
            services.organization_industry_set(
                organization=organization, profile=IndustryProfile.objects.get(key="plumber"), actor=owner
            )
        # The owner accepts the plumber's pre-filled onboarding as a new customer would, so
        # later apps set the business up from it (services, opening hours) on the same signal.
        onboarding_complete(organization=organization, actor=owner)
        return organization, owner

    def _staff_user(self) -> None:
        if not User.objects.filter(email=DEMO_STAFF_EMAIL).exists():
            User.objects.create_superuser(DEMO_STAFF_EMAIL, DEMO_STAFF_PASSWORD, first_name="Bizbox", last_name="Staff")

    def _fresh_token(self, organization: Organization, owner: User) -> str:
        for token in ApiToken.objects.filter(
            organization=organization, user=owner, name=DEMO_TOKEN_NAME, revoked_at=None
        ):
            services.api_token_revoke(token=token, actor=owner)
        _, key = services.api_token_create(organization=organization, user=owner, name=DEMO_TOKEN_NAME)
        return key

    def _print_where_to_log_in(self, organization: Organization, owner: User, key: str) -> None:
        site = settings.SITE_URL
        self.stdout.write(
            f"\nDemo business: {organization.name} ({organization.slug})\n"
            f"  Owner: {DEMO_OWNER_EMAIL}, sign in with this one-time link (valid {settings.SESAME_MAX_AGE // 60} minutes;\n"
            f"  ask for a new one at {site}/login/):\n"
            f"  {magic_link_url(owner)}\n"
            f"  Staff admin: {site}/admin/  (email {DEMO_STAFF_EMAIL}, password {DEMO_STAFF_PASSWORD})\n"
            f"  API docs: {site}/api/docs/  (Authorize with the owner's token below)\n"
            f"  Owner's API token: {key}\n"
        )
