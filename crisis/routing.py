from channels.routing import URLRouter
from django.urls import re_path

from .consumers import BoardConsumer, IncidentConsumer, PersonalConsumer, UnknownConsumer
from .ws_auth import WebsocketAuth

websocket_urlpatterns = [
    # Any id is routed, so that a bad one is refused with a close code rather than an error.
    re_path(r"^ws/incidents/(?P<pk>[^/]+)/$", IncidentConsumer.as_asgi()),
    re_path(r"^ws/board/$", BoardConsumer.as_asgi()),
    re_path(r"^ws/me/$", PersonalConsumer.as_asgi()),
    re_path(r"", UnknownConsumer.as_asgi()),
]

websocket_application = WebsocketAuth(URLRouter(websocket_urlpatterns))
