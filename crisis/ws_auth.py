"""Who is on the other end of a websocket, and may they connect from where they are?

- Another program sends `Authorization: Token …` on the handshake; browsers cannot set that
  header, so a token connection needs no Origin (if it sends one, it must be ours).
- A browser is signed in by its session cookie. Cookies travel with cross-site requests too, so
  a cookie connection must come from one of our own origins (ALLOWED_HOSTS): that stops another
  site from opening a war room in the name of a signed-in user.
A refused handshake is closed before it is accepted (the client sees HTTP 403).
"""

from __future__ import annotations

from urllib.parse import urlparse

from channels.auth import AuthMiddlewareStack
from channels.db import database_sync_to_async
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.http.request import validate_host


def origin_allowed(origin: bytes | None) -> bool:
    if not origin:
        return False
    parsed = urlparse(origin.decode("latin1"))
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        return False
    allowed = settings.ALLOWED_HOSTS or (["localhost", "127.0.0.1", "[::1]"] if settings.DEBUG else [])
    return validate_host(parsed.hostname, allowed)


@database_sync_to_async
def _token_user(key: str):
    from rest_framework.authtoken.models import Token

    token = Token.objects.select_related("user").filter(key=key).first()
    if token is None or not token.user.is_active:
        return AnonymousUser()
    return token.user


class WebsocketAuth:
    def __init__(self, app) -> None:
        self.app = app
        self.cookie_app = AuthMiddlewareStack(app)

    async def __call__(self, scope, receive, send):
        if scope["type"] != "websocket":
            return await self.app(scope, receive, send)
        headers = dict(scope.get("headers", []))
        origin = headers.get(b"origin")
        authorization = headers.get(b"authorization", b"").decode("latin1")
        if authorization.startswith("Token "):
            if origin is not None and not origin_allowed(origin):
                return await _refuse(receive, send)
            user = await _token_user(authorization[len("Token ") :].strip())
            return await self.app({**scope, "user": user, "auth": "token"}, receive, send)
        if not origin_allowed(origin):
            return await _refuse(receive, send)
        return await self.cookie_app({**scope, "auth": "session"}, receive, send)


async def _refuse(receive, send) -> None:
    message = await receive()
    if message["type"] == "websocket.connect":
        await send({"type": "websocket.close", "code": 4403})
