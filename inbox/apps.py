import importlib

from django.apps import AppConfig

# Each module registers its provider (inbox.providers.base describes the interface).
PROVIDER_MODULES: list[str] = []


class InboxConfig(AppConfig):
    name = "inbox"
    verbose_name = "Inbox"

    def ready(self) -> None:
        for module in PROVIDER_MODULES:
            importlib.import_module(module)

        from crm.hooks import register_merge_handler, register_timeline_source
        from inbox import selectors, services

        # Messages show on the contact's timeline and follow the contact through a merge.
        register_timeline_source(selectors.contact_messages_timeline)
        register_merge_handler(services.contact_inbox_merge)
