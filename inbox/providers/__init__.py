"""The provider of each kind of integration (inbox.providers.base describes the interface)."""

from inbox.providers.base import Provider

_registry: dict[str, Provider] = {}


def register(provider: Provider) -> Provider:
    _registry[provider.kind] = provider
    return provider


def provider_for(kind: str) -> Provider:
    """The provider of ``kind``; a kind without one is a programming error."""
    try:
        return _registry[kind]
    except KeyError:
        raise LookupError(f"No provider is registered for integration kind {kind!r}") from None
