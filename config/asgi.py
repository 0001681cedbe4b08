"""The ASGI entry point (daphne): Django for HTTP, the live inbox for websockets."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
# Set Django up before importing anything that loads models.
django_application = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator, WebsocketDenier  # noqa: E402
from django.urls import path, re_path  # noqa: E402

from inbox.consumers import InboxConsumer  # noqa: E402

websocket_routes = [
    path("ws/inbox/", InboxConsumer.as_asgi()),
    # Any other path is refused at the handshake rather than failing in the router.
    re_path(r"", WebsocketDenier.as_asgi()),
]

# The Origin check stops another site's page from opening a socket with our visitor's
# session cookie; AuthMiddlewareStack reads that cookie.
application = ProtocolTypeRouter(
    {
        "http": django_application,
        "websocket": AllowedHostsOriginValidator(AuthMiddlewareStack(URLRouter(websocket_routes))),
    }
)
