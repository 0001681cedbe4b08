"""Magic links: the one way a business owner or teammate signs in by email.

A link carries a django-sesame token that is short-lived and one-time: it is
spent when the confirm page's button (a POST) signs the user in, never by
opening the link, because mail scanners open links too.
"""

from django.conf import settings
from django.urls import reverse
from sesame.utils import get_query_string

from accounts.models import User


def magic_link_url(user: User) -> str:
    """The absolute sign-in link for ``user``, as an email carries it."""
    return f"{settings.SITE_URL}{reverse('magic-link-confirm')}{get_query_string(user)}"
