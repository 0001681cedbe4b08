from django.apps import AppConfig


class CrmConfig(AppConfig):
    name = "crm"
    verbose_name = "Contacts"

    def ready(self) -> None:
        from accounts.demo import register_demo_seeder
        from crm.demo import demo_contacts_seed

        register_demo_seeder(demo_contacts_seed)  # seed_demo plants the demo business's contacts
