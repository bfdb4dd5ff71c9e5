"""The public information page (情况通报): the one voice, outside. No sign-in. It shows the current
published statement for the `public` and `media` audiences of every incident that has one, with
the versions it replaced, in each statement's own language; an Atom feed and a JSON endpoint carry
the same, for the company's website and partners to embed or poll.

Nothing else is ever on it: no other audience, nothing of an exercise, nothing withdrawn, no
incident without such a statement (so a restricted incident's name appears only once the company
has said something about it in public). A withdrawn statement disappears with the next request.

Cheap under a crowd: every answer carries an ETag and Last-Modified derived from one stamp of the
public statements (the count and the latest change), which each server process reads at most
once a second; the rendered bodies are kept per stamp, so a crowd costs one query a second per
process, and a publish shows within about a second. Clients that send If-None-Match get a 304.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any

from asgiref.sync import sync_to_async
from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connections
from django.db.models import Count, Max, Q
from django.http import HttpRequest, HttpResponse, HttpResponseNotModified
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.feedgenerator import Atom1Feed
from django.utils.http import http_date, quote_etag
from django.utils.translation import get_language, get_language_from_request
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.http import require_GET

from crisis.voice.models import Statement, StatementState
from playbooks.models import Audience

log = logging.getLogger(__name__)
PUBLIC_AUDIENCES = (Audience.PUBLIC, Audience.MEDIA)
HTML, JSON, ATOM = "text/html; charset=utf-8", "application/json", "application/atom+xml; charset=utf-8"
STAMP_SECONDS = 1.0
STALE_SECONDS = 2.0  # the longest an answer is served while its stamp is being re-read
# Nothing runs, nothing is fetched but our own stylesheet; any site may frame the page.
CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors *"
)


def _shown() -> Q:
    return Q(audience__in=PUBLIC_AUDIENCES, incident__exercise=False)


@dataclass(frozen=True)
class Stamp:
    tag: str
    changed: datetime | None


def _read_stamp() -> Stamp:
    """One query: how many public statements there are in each state that matters, and when the
    latest of them changed (published, superseded or withdrawn)."""
    found = Statement.objects.filter(_shown()).aggregate(
        current=Count("pk", filter=Q(state=StatementState.PUBLISHED)),
        history=Count("pk", filter=Q(state=StatementState.SUPERSEDED)),
        withdrawn=Count("pk", filter=Q(state=StatementState.WITHDRAWN)),
        published=Max("published_at"),
        superseded=Max("superseded_at"),
        withdrawn_last=Max("withdrawn_at"),
    )
    moments = [found[name] for name in ("published", "superseded", "withdrawn_last") if found[name] is not None]
    changed = max(moments) if moments else None
    raw = f"{found['current']}:{found['history']}:{found['withdrawn']}:{changed.isoformat() if changed else ''}"
    return Stamp(hashlib.sha1(raw.encode(), usedforsecurity=False).hexdigest()[:20], changed)


class _Cache:
    """Per process: the stamp (re-read at most once a second) and the bodies rendered for it."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.stamp: Stamp | None = None
        self.read_at = 0.0
        self.changed_at = 0.0  # when this process noticed the current stamp
        self.refreshing = False
        self.bodies: dict[tuple[str, str], bytes] = {}
        self.previous: dict[str, tuple[Stamp, bytes]] = {}  # each key's last answer, of any stamp
        self.key_locks: dict[str, threading.Lock] = {}
        self.jobs: set[str] = set()  # background work under way (the event-loop path's)

    def _usable(self, now: float) -> bool:
        """The stamp may be used as it is: fresh, or a little older while someone re-reads it (so
        a crowd does not all query at the moment it ages)."""
        if self.stamp is None:
            return False
        age = now - self.read_at
        return age < STAMP_SECONDS or (self.refreshing and age < STALE_SECONDS)

    def current(self) -> Stamp:
        with self.lock:
            if self._usable(time.monotonic()):
                return self.stamp
            self.refreshing = True
        try:
            stamp = _read_stamp()
        finally:
            with self.lock:
                self.refreshing = False
        with self.lock:
            now = time.monotonic()
            if self.stamp is None or stamp.tag != self.stamp.tag:
                self.bodies, self.changed_at = {}, now
            self.stamp, self.read_at = stamp, now
        return stamp

    def body(self, stamp: Stamp, key: str, render: Callable[[], bytes]) -> bytes:
        """The answer for `key` under `stamp`, rendered once however many ask at the same moment."""
        with self.lock:
            found = self.bodies.get((stamp.tag, key))
            key_lock = self.key_locks.setdefault(key, threading.Lock())
        if found is not None:
            return found
        with key_lock:
            with self.lock:
                found = self.bodies.get((stamp.tag, key))
            if found is None:
                found = render()
                with self.lock:
                    if self.stamp is not None and self.stamp.tag == stamp.tag:
                        self.bodies[(stamp.tag, key)] = found
                        self.previous[key] = (stamp, found)
        return found

    def ready(self, key: str) -> tuple[Stamp, bytes, bool, bool] | None:
        """For the event-loop path: (stamp, body, the stamp is due to be re-read, the current
        stamp's body is still to be rendered). While it is, the previous answer serves for at most
        STALE_SECONDS. None (nothing usable) sends the request to Django."""
        with self.lock:
            now = time.monotonic()
            if self.stamp is None or now - self.read_at >= STALE_SECONDS:
                return None
            due = now - self.read_at >= STAMP_SECONDS and not self.refreshing
            body = self.bodies.get((self.stamp.tag, key))
            if body is not None:
                return self.stamp, body, due, False
            previous = self.previous.get(key)
            if previous is not None and now - self.changed_at < STALE_SECONDS:
                return previous[0], previous[1], due, True
            return None

    def start(self, name: str, work: Callable[[], None]) -> None:
        """Run `work` on a thread unless work of that name is under way (from the event loop)."""
        with self.lock:
            if name in self.jobs:
                return
            self.jobs.add(name)

        async def run() -> None:
            try:
                await sync_to_async(work, thread_sensitive=False)()
            finally:
                with self.lock:
                    self.jobs.discard(name)

        asyncio.get_running_loop().create_task(run())

    def forget(self) -> None:
        with self.lock:
            self.stamp, self.bodies, self.previous = None, {}, {}


cache = _Cache()


def current_statements() -> list[dict[str, Any]]:
    """Each incident's current public and media statements, newest first, each with the versions it
    replaced (newest first)."""
    current = list(
        Statement.objects.filter(_shown(), state=StatementState.PUBLISHED)
        .select_related("incident")
        .order_by("-published_at", "-pk")
    )
    older = Statement.objects.filter(
        _shown(), state=StatementState.SUPERSEDED, incident__in={s.incident_id for s in current}
    )
    by_successor: dict[int, Statement] = {s.superseded_by_id: s for s in older.order_by("published_at")}
    shown = []
    for statement in current:
        history, seen, previous = [], set(), by_successor.get(statement.pk)
        while previous is not None and previous.pk not in seen:  # the chain of versions it replaced
            seen.add(previous.pk)
            history.append(previous)
            previous = by_successor.get(previous.pk)
        shown.append({"statement": statement, "history": history})
    return shown


def _as_json(item: dict[str, Any]) -> dict[str, Any]:
    statement, history = item["statement"], item["history"]
    return {
        "id": statement.pk,
        "incident_title": statement.incident.title,
        "audience": statement.audience,
        "title": statement.title,
        "body": statement.body,
        "published_at": statement.published_at,
        "language": statement.language,
        "supersedes": history[0].pk if history else None,
    }


def _window_key(address: str) -> tuple[str, int]:
    """The Redis counter of `address` for the current window of the configured rate ("300/m")."""
    _count, _slash, unit = settings.CRISIS_PUBLIC_RATE.partition("/")
    seconds = {"s": 1, "m": 60, "h": 3600}.get(unit[:1], 60)
    window = int(time.time() // seconds)
    return f"{settings.CHANNEL_LAYER_PREFIX}:public-rate:{address}:{seconds}:{window}", seconds


def _allowed_count() -> int:
    return int(settings.CRISIS_PUBLIC_RATE.partition("/")[0])


_redis = None


def _redis_client():
    global _redis
    if _redis is None:
        import redis

        _redis = redis.Redis.from_url(settings.REDIS_URL)
    return _redis


def _limiter_failed(exc: Exception) -> bool:
    """Without Redis the limit cannot be counted: the page is still served (the public word matters
    more than the limit), and the failure is logged."""
    log.warning("The public page's rate limit could not be counted: %r", exc)
    return False


def _over_limit(address: str) -> bool:
    import redis

    key, seconds = _window_key(address)
    pipe = _redis_client().pipeline()
    pipe.incr(key)
    pipe.expire(key, seconds + 1)
    try:
        return pipe.execute()[0] > _allowed_count()
    except redis.exceptions.RedisError as exc:
        return _limiter_failed(exc)


_async_redis: dict[int, Any] = {}  # per event loop


async def _over_limit_async(address: str) -> bool:
    """The same count as `_over_limit`, from the event loop (redis-py's asyncio client)."""
    import redis.asyncio

    loop = id(asyncio.get_running_loop())
    if loop not in _async_redis:
        # A bounded pool that waits for a free connection rather than failing under a crowd.
        pool = redis.asyncio.BlockingConnectionPool.from_url(settings.REDIS_URL, max_connections=50, timeout=5)
        _async_redis[loop] = redis.asyncio.Redis(connection_pool=pool)
    key, seconds = _window_key(address)
    try:
        async with _async_redis[loop].pipeline(transaction=False) as pipe:
            pipe.incr(key)
            pipe.expire(key, seconds + 1)
            counted, _expiry = await pipe.execute()
    except redis.exceptions.RedisError as exc:
        return _limiter_failed(exc)
    return counted > _allowed_count()


def _refusal_body() -> bytes:
    return _("Too many requests from your address; try again in a minute.").encode()


def _limited(request: HttpRequest) -> HttpResponse | None:
    """Each address may ask CRISIS_PUBLIC_RATE times per window (e.g. "300/m"); beyond that a 429
    that says when to come back. Counted in Redis, so across every server process and both ways in
    (this view and the event-loop path below share the counter)."""
    if _over_limit(request.META.get("REMOTE_ADDR", "")):
        response = HttpResponse(_refusal_body(), status=429, content_type="text/plain; charset=utf-8")
        response["Retry-After"] = "60"
        return response
    return None


def _headers(stamp: Stamp, key: str, content_type: str) -> dict[str, str]:
    headers = {
        "Content-Type": content_type,
        "ETag": quote_etag(f"{stamp.tag}-{key}"),
        # Shared caches may keep it briefly; everyone revalidates with the ETag after that.
        "Cache-Control": f"public, max-age={settings.CRISIS_PUBLIC_MAX_AGE}",
        "Content-Security-Policy": CSP,
        "Access-Control-Allow-Origin": "*",  # partners' pages may read the JSON and the feed
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
    }
    if stamp.changed is not None:
        headers["Last-Modified"] = http_date(stamp.changed.timestamp())
    return headers


def _not_modified(stamp: Stamp, key: str, if_none_match: str) -> bool:
    etag = quote_etag(f"{stamp.tag}-{key}")
    return etag in [tag.strip() for tag in if_none_match.split(",")]


def _answer(request: HttpRequest, key: str, content_type: str, render: Callable[[], bytes]) -> HttpResponse:
    refused = _limited(request)
    if refused is not None:
        return refused
    stamp = cache.current()
    if _not_modified(stamp, key, request.headers.get("If-None-Match", "")):
        response = HttpResponseNotModified()
    else:
        response = HttpResponse(cache.body(stamp, key, render))
    for name, value in _headers(stamp, key, content_type).items():
        if not (response.status_code == 304 and name == "Content-Type"):
            response[name] = value
    return response


def _render_html(language: str) -> bytes:
    with translation.override(language):
        context = {"items": current_statements(), "audiences": dict(Audience.choices)}
        return render_to_string("crisis/public.html", context).encode()


def _render_json(language: str) -> bytes:
    statements = [_as_json(item) for item in current_statements()]
    return json.dumps({"statements": statements}, cls=DjangoJSONEncoder, ensure_ascii=False).encode()


def _render_atom(language: str) -> bytes:
    with translation.override(language):
        base = settings.CRISIS_BASE_URL.rstrip("/") + "/public/"
        feed = Atom1Feed(
            title=_("Public information"),
            link=base,
            description=_("The company's current statements on its incidents."),
            language=language,
            feed_url=base + "feed.atom",
            feed_guid=base,
            author_name=_("Press office"),
        )
        for item in current_statements():
            statement = item["statement"]
            feed.add_item(
                title=statement.title,
                link=f"{base}#statement-{statement.pk}",
                description=statement.body,
                unique_id=f"{base}#statement-{statement.pk}",
                pubdate=statement.published_at,
                updateddate=statement.published_at,
                author_name=_("Press office"),
                categories=[statement.get_audience_display(), statement.incident.title],
            )
        return feed.writeString("utf-8").encode()


# path → (cache key prefix, content type, renderer, whether the answer depends on the reader's language)
ROUTES = {
    "/public/": ("html", HTML, _render_html, True),
    "/public/statements.json": ("json", JSON, _render_json, False),
    "/public/feed.atom": ("atom", ATOM, _render_atom, True),
}


def _key(path: str, language: str) -> str:
    prefix, _type, _render, by_language = ROUTES[path]
    return f"{prefix}-{language}" if by_language else prefix


def _view(request: HttpRequest) -> HttpResponse:
    _prefix, content_type, render, _by_language = ROUTES[request.path_info]
    language = get_language() or settings.LANGUAGE_CODE
    return _answer(request, _key(request.path_info, language), content_type, partial(render, language))


public_page = login_not_required(require_GET(xframe_options_exempt(_view)))
public_json = login_not_required(require_GET(_view))
public_feed = login_not_required(require_GET(_view))


# --- The event-loop path ----------------------------------------------------------------------------


class _LanguageProbe:
    """What Django's language negotiation reads of a request, from ASGI headers."""

    path_info = "/public/"

    def __init__(self, headers: dict[bytes, bytes]) -> None:
        self.META = {"HTTP_ACCEPT_LANGUAGE": headers.get(b"accept-language", b"").decode("latin-1")}
        self.COOKIES: dict[str, str] = {}
        cookie = headers.get(b"cookie", b"").decode("latin-1")
        for part in cookie.split(";"):
            name, _eq, value = part.strip().partition("=")
            if name == settings.LANGUAGE_COOKIE_NAME:
                self.COOKIES[name] = value


def _refresh() -> None:
    try:
        cache.current()
    finally:
        connections.close_all()  # a pool thread's connection: back to the pool, not kept


def _render_missing(key: str, render: Callable[[], bytes]) -> None:
    try:
        cache.body(cache.current(), key, render)
    finally:
        connections.close_all()


class PublicFastPath:
    """ASGI middleware in front of Django for GET /public/, its JSON and its feed: an answer the
    Django view already rendered for the current stamp (less than a second old) is sent from the
    event loop — no thread hop, no middleware stack — with the same headers and the same rate limit;
    anything else (a stale stamp, a body not rendered yet, another method, any other path) goes to
    Django, whose view renders it and fills the cache. A crowd therefore costs Django a few
    requests a second per process, and a publish still shows within about a second."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        route = ROUTES.get(scope.get("path", "")) if scope["type"] == "http" else None
        if route is None or scope["method"] != "GET" or scope.get("query_string"):
            return await self.app(scope, receive, send)
        _prefix, content_type, render, by_language = route
        headers = dict(scope.get("headers") or [])
        language = get_language_from_request(_LanguageProbe(headers)) if by_language else settings.LANGUAGE_CODE
        key = _key(scope["path"], language)
        found = cache.ready(key)
        if found is None:
            return await self.app(scope, receive, send)
        stamp, body, due, missing = found
        if due or missing:
            # Re-read the stamp, or render the new stamp's answer, once, on a thread; the crowd
            # meanwhile gets the answer it has (at most STALE_SECONDS old).
            if due:
                cache.start("stamp", _refresh)
            if missing:
                cache.start(key, partial(_render_missing, key, partial(render, language)))
        address = (scope.get("client") or ("", 0))[0]
        if await _over_limit_async(address):
            status, body, out = 429, _refusal_body(), {"Content-Type": "text/plain; charset=utf-8", "Retry-After": "60"}
        elif _not_modified(stamp, key, headers.get(b"if-none-match", b"").decode("latin-1")):
            status, body, out = (
                304,
                b"",
                {k: v for k, v in _headers(stamp, key, content_type).items() if k != "Content-Type"},
            )
        else:
            status, out = 200, _headers(stamp, key, content_type)
        out["Vary"] = "Accept-Language, Cookie"
        if settings.SECURE_HSTS_SECONDS and scope.get("scheme") == "https":
            out["Strict-Transport-Security"] = f"max-age={settings.SECURE_HSTS_SECONDS}"
        out["Content-Length"] = str(len(body))
        raw = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in out.items()]
        await send({"type": "http.response.start", "status": status, "headers": raw})
        await send({"type": "http.response.body", "body": body})
