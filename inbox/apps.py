import importlib

from django.apps import AppConfig

# Each module registers its provider (inbox.providers.base describes the interface).
PROVIDER_MODULES: list[str] = [
    "inbox.providers.twilio",
    "inbox.providers.meta",
    "inbox.providers.email",
    "inbox.providers.mailbox",
]


class InboxConfig(AppConfig):
    name = "inbox"
    verbose_name = "Inbox"

    def ready(self) -> None:
        for module in PROVIDER_MODULES:
            importlib.import_module(module)

        from accounts.demo import register_demo_seeder
        from crm.hooks import register_merge_handler, register_timeline_source
        from inbox import selectors, services
        from inbox.demo import demo_inbox_seed

        register_demo_seeder(demo_inbox_seed)  # seed_demo gives the demo business its channels and conversations

        # Messages show on the contact's timeline and follow the contact through a merge.
        register_timeline_source(selectors.contact_messages_timeline)
        register_merge_handler(services.contact_inbox_merge)

        from anymail.signals import inbound, tracking

        from inbox import email_inbound

        # Email arrives, and reports on what we sent, through anymail's own webhooks.
        inbound.connect(email_inbound.inbound_received, dispatch_uid="inbox.email_inbound")
        tracking.connect(email_inbound.tracking_received, dispatch_uid="inbox.email_tracking")

        from accounts.signals import onboarding_completed
        from inbox.onboarding import onboarding_completed_receiver

        # Finishing onboarding gives the business its inbound email address.
        onboarding_completed.connect(onboarding_completed_receiver, dispatch_uid="inbox.onboarding")
