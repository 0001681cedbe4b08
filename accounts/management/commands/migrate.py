from django.core.management.commands.migrate import Command as DjangoMigrateCommand

from accounts.tenancy import system_scope


class Command(DjangoMigrateCommand):
    """Django's migrate, run with the row-level security bypass: migrations are system work."""

    def handle(self, *args, **options):
        with system_scope():
            return super().handle(*args, **options)
