"""ASGI entry point: HTTP through Django, websockets through Channels with origin checks."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
# Pooled database connections: see DATABASE_POOL in config/settings.py for why the ASGI server needs them.
os.environ.setdefault("DATABASE_POOL", "1")
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter  # noqa: E402 - Django must be set up first

from crisis.public import PublicFastPath  # noqa: E402
from crisis.routing import websocket_application  # noqa: E402 - origin and auth checks live there

# The public page's answers already rendered for the current stamp go out from the event loop; the
# rest of HTTP is Django's (crisis/public.py says why).
application = ProtocolTypeRouter({"http": PublicFastPath(django_asgi_app), "websocket": websocket_application})
