from django.core.management.base import BaseCommand, CommandError

from accounts import selectors, services
from accounts.models import Organization, User
from accounts.tenancy import system_scope


class Command(BaseCommand):
    help = "Create an API token for a member of an organization; the token is printed alone on the last line."

    def add_arguments(self, parser):
        parser.add_argument("--email", required=True, help="The member's email address.")
        parser.add_argument("--organization", required=True, help="The organization's slug.")
        parser.add_argument("--name", default="Command line", help="What the token is for.")

    def handle(self, *args, email: str, organization: str, name: str, **options):
        with system_scope():
            user = User.objects.filter(email__iexact=email.strip()).first()
            if user is None:
                raise CommandError(f"No user with the email {email}.")
            org = Organization.objects.filter(slug=organization).first()
            if org is None:
                raise CommandError(f"No organization with the slug {organization}.")
            if selectors.membership_of_user_in(user, org) is None:
                raise CommandError(f"{email} is not a member of {organization}.")
            token, key = services.api_token_create(organization=org, user=user, name=name)
        self.stderr.write(f"Token “{token.name}” ({token.prefix}…) for {user} in {org.slug}. It is shown only now:")
        self.stdout.write(key)
