"""Integration credentials, encrypted at rest with FIELD_ENCRYPTION_KEY.

Any string makes a key: it is hashed to the 32 bytes Fernet wants, so an operator
can paste a long random value without knowing Fernet's format. The API never
returns credentials; only the provider modules read them.
"""

import base64
import hashlib
import json
from functools import cache

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings


@cache
def _fernet(key: str) -> Fernet:
    return Fernet(base64.urlsafe_b64encode(hashlib.sha256(key.encode()).digest()))


def encrypt(values: dict) -> str:
    if not values:
        return ""
    return _fernet(settings.FIELD_ENCRYPTION_KEY).encrypt(json.dumps(values).encode()).decode()


def decrypt(token: str) -> dict:
    """The stored credentials; empty when there are none. A token the key cannot open
    (the key was changed) reads as none, so the integration's check reports it."""
    if not token:
        return {}
    try:
        return json.loads(_fernet(settings.FIELD_ENCRYPTION_KEY).decrypt(token.encode()))
    except InvalidToken:
        return {}
