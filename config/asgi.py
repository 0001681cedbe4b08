import os

from channels.routing import ProtocolTypeRouter
from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django_application = get_asgi_application()

# Websocket routes join here as the inbox adds them.
application = ProtocolTypeRouter({"http": django_application})
