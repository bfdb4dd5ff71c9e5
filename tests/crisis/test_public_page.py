"""The public information page (issue 19): without signing in, the current published `public` and
`media` statements with their earlier versions — and never another audience's, an exercise's, a
withdrawn one, or anything else; the same as JSON and as an Atom feed that is valid Atom; cached
with ETags and rate-limited per address."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import datetime
from functools import partial

import pytest
from asgiref.sync import async_to_sync
from django.test import Client, override_settings

from crisis import public
from crisis.voice import services
from tests.crisis.voice_helpers import incident_with_playbook, make_spokesperson, published

pytestmark = pytest.mark.django_db
ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture(autouse=True)
def fresh():
    public.cache.forget()
    yield
    public.cache.forget()


def anonymous() -> Client:
    return Client(HTTP_ACCEPT_LANGUAGE="en")


def get(path: str, client: Client | None = None):
    public.cache.forget()  # the page re-reads its stamp at most once a second; tests need it now
    return (client or anonymous()).get(path)


def test_only_current_public_and_media_statements_of_real_incidents_are_shown(commander, pr):
    incident = incident_with_playbook(commander, title="3号楼脚手架局部坍塌")
    for audience in ("public", "media", "customers", "regulator", "staff", "internal"):
        published(incident, pr, commander, audience=audience, title=f"to-{audience}", body=f"body-{audience}")
    drill = incident_with_playbook(commander, title="演练事件", exercise=True)
    published(drill, pr, commander, audience="public", title="drill-statement")
    quiet = incident_with_playbook(commander, title="secret-incident", restricted=True)
    make_spokesperson(quiet, commander, pr)
    services.create_statement(quiet.pk, by=pr, audience="public", title="draft-only", body="not yet")

    page = get("/public/").content.decode()
    assert "to-public" in page and "to-media" in page and "3号楼脚手架局部坍塌" in page
    for hidden in ("to-customers", "to-regulator", "to-staff", "to-internal", "drill-statement", "演练事件",
                   "secret-incident", "draft-only"):  # fmt: skip
        assert hidden not in page, hidden
    statements = get("/public/statements.json").json()["statements"]
    assert sorted(s["title"] for s in statements) == ["to-media", "to-public"]
    assert set(statements[0]) == {
        "id", "incident_title", "audience", "title", "body", "published_at", "language", "supersedes"
    }  # fmt: skip


def test_a_new_version_shows_with_its_history_and_a_withdrawn_one_disappears(commander, pr):
    incident = incident_with_playbook(commander)
    first = published(incident, pr, commander, title="Holding statement", body="We know of it.")
    second = published(incident, pr, commander, title="Update 1", body="Two people hurt.")
    page = get("/public/").content.decode()
    assert page.index("Update 1") < page.index("Holding statement")  # the old one kept, below
    assert "1 earlier version" in page
    (shown,) = get("/public/statements.json").json()["statements"]
    assert (shown["title"], shown["supersedes"]) == ("Update 1", first.pk)
    services.withdraw_statement(second.pk, by=commander, reason="wrong figure")
    page = get("/public/").content.decode()
    assert "Update 1" not in page and "Holding statement" not in page and 'id="no-statements"' in page
    assert get("/public/statements.json").json() == {"statements": []}


def test_the_statements_language_and_escaped_text(commander, pr):
    incident = incident_with_playbook(commander)
    published(incident, pr, commander, title="<script>alert(1)</script>", body="a & b", language="en")
    response = get("/public/")
    page = response.content.decode()
    assert "<script>alert(1)" not in page and "&lt;script&gt;" in page
    assert 'lang="en"' in page
    assert "script-src" not in response["Content-Security-Policy"]  # default-src 'none': no script at all
    assert response["Content-Security-Policy"].startswith("default-src 'none'")


def test_the_feed_is_valid_atom(commander, pr):
    incident = incident_with_playbook(commander)
    statement = published(incident, pr, commander, title="通报", body="正文")
    response = get("/public/feed.atom")
    assert response["Content-Type"].startswith("application/atom+xml")
    feed = ET.fromstring(response.content)
    assert feed.tag == f"{ATOM}feed"
    # RFC 4287 §4.1.1: a feed has exactly one id, title and updated, and an author (or every entry has one).
    for name in ("id", "title", "updated"):
        assert len(feed.findall(f"{ATOM}{name}")) == 1, name
    assert feed.find(f"{ATOM}author/{ATOM}name") is not None
    assert feed.find(f"{ATOM}link[@rel='self']") is not None
    (entry,) = feed.findall(f"{ATOM}entry")
    for name in ("id", "title", "updated"):  # §4.1.2
        assert len(entry.findall(f"{ATOM}{name}")) == 1, name
    assert entry.find(f"{ATOM}title").text == "通报"
    assert entry.find(f"{ATOM}id").text.endswith(f"#statement-{statement.pk}")
    datetime.fromisoformat(entry.find(f"{ATOM}updated").text)  # an RFC 3339 date-time
    assert entry.find(f"{ATOM}summary") is not None or entry.find(f"{ATOM}content") is not None
    empty_feed = ET.fromstring(get("/public/feed.atom").content)  # still valid when nothing is current
    assert empty_feed.find(f"{ATOM}updated") is not None


def test_answers_carry_an_etag_that_changes_with_a_publish(commander, pr):
    incident = incident_with_playbook(commander)
    published(incident, pr, commander, title="First")
    client = anonymous()
    first = get("/public/", client)
    assert first.status_code == 200 and first["ETag"] and first["Last-Modified"]
    again = client.get("/public/", HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304 and again.content == b""
    published(incident, pr, commander, title="Second")
    changed = get("/public/", client)
    assert changed["ETag"] != first["ETag"] and "Second" in changed.content.decode()
    assert client.get("/public/", HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 200


def _forget_counts() -> None:
    from django.conf import settings

    redis = public._redis_client()
    for key in redis.scan_iter(f"{settings.CHANNEL_LAYER_PREFIX}:public-rate:203.0.113.*"):
        redis.delete(key)


@override_settings(CRISIS_PUBLIC_RATE="3/m")
def test_one_address_is_slowed_down_with_a_clear_answer():
    _forget_counts()
    client = Client(REMOTE_ADDR="203.0.113.9")
    answers = [client.get("/public/statements.json").status_code for _ in range(4)]
    assert answers == [200, 200, 200, 429]
    refused = client.get("/public/")
    assert refused["Retry-After"] == "60" and "Too many requests" in refused.content.decode()
    assert Client(REMOTE_ADDR="203.0.113.10").get("/public/").status_code == 200  # another address
    _forget_counts()


def test_nothing_else_is_public(client):
    for path in ("/", "/statistics/", "/incidents/1/", "/me/actions/"):
        assert client.get(path).status_code == 302, path  # to the sign-in page
    assert client.post("/public/").status_code == 405


def test_a_restricted_incident_appears_once_it_speaks_in_public(commander, pr):
    secret = incident_with_playbook(commander, title="secret-incident", restricted=True)
    make_spokesperson(secret, commander, pr)
    published(secret, pr, commander, audience="customers", title="to customers")
    assert "secret-incident" not in get("/public/").content.decode()
    published(secret, pr, commander, audience="public", title="public word")
    assert "secret-incident" in get("/public/").content.decode()


# --- The event-loop path in front of Django ---------------------------------------------------------------


def _asgi_get(app, path: str, headers: list[tuple[bytes, bytes]] | None = None) -> tuple[int, dict, bytes]:
    from asgiref.testing import ApplicationCommunicator

    async def go():
        scope = {
            "type": "http", "method": "GET", "path": path, "raw_path": path.encode(), "query_string": b"",
            "headers": [(b"host", b"127.0.0.1"), *(headers or [])], "client": ("198.51.100.7", 4321),
            "server": ("127.0.0.1", 80), "scheme": "http", "http_version": "1.1", "asgi": {"version": "3.0"},
        }  # fmt: skip
        talk = ApplicationCommunicator(app, scope)
        await talk.send_input({"type": "http.request", "body": b""})
        start = await talk.receive_output(10)
        body = b""
        while True:
            part = await talk.receive_output(10)
            body += part.get("body", b"")
            if not part.get("more_body"):
                break
        return start["status"], {k.decode().lower(): v.decode() for k, v in start["headers"]}, body

    return async_to_sync(go)()


@pytest.mark.django_db(transaction=True)
def test_the_event_loop_path_serves_what_django_rendered_and_nothing_stale(commander, pr, settings):
    from django.core.asgi import get_asgi_application

    settings.CRISIS_PUBLIC_RATE = "100000/m"
    django_app = get_asgi_application()
    calls = []

    async def counting(scope, receive, send):
        calls.append(scope["path"])
        await django_app(scope, receive, send)

    app = public.PublicFastPath(counting)
    incident = incident_with_playbook(commander)
    published(incident, pr, commander, title="First word")
    status, headers, body = _asgi_get(app, "/public/")
    assert status == 200 and "First word" in body.decode() and calls == ["/public/"]  # Django rendered it
    again_status, again_headers, again_body = _asgi_get(app, "/public/")
    assert (again_status, again_body) == (200, body) and calls == ["/public/"]  # from the event loop
    for name in ("etag", "last-modified", "content-security-policy", "cache-control", "content-type"):
        assert again_headers[name] == headers[name], name
    not_modified = _asgi_get(app, "/public/", [(b"if-none-match", headers["etag"].encode())])
    assert not_modified[0] == 304 and not_modified[2] == b"" and calls == ["/public/"]
    chinese = _asgi_get(app, "/public/", [(b"accept-language", b"zh-CN,zh;q=0.9")])
    assert chinese[0] == 200 and "情况通报" in chinese[2].decode()
    assert calls == ["/public/", "/public/"]  # another language: rendered once, by Django
    assert _asgi_get(app, "/public/", [(b"accept-language", b"zh-CN,zh;q=0.9")])[2] == chinese[2]
    assert len(calls) == 2
    published(incident, pr, commander, title="Second word")
    # A second later the stamp is due: the crowd still gets the answer it has (for at most
    # STALE_SECONDS) while the stamp is re-read beside it, so nobody waits and the database sees one query.
    public.cache.read_at -= public.STAMP_SECONDS
    stale = _asgi_get(app, "/public/")
    assert "First word" in stale[2].decode() and len(calls) == 2
    public._refresh()  # what the event-loop path starts on a thread: the new stamp is noticed
    # Its answer is not rendered yet: the previous one still serves (at most STALE_SECONDS) while
    # one thread renders the new one.
    assert "First word" in _asgi_get(app, "/public/")[2].decode() and len(calls) == 2
    public._render_missing("html-en", partial(public._render_html, "en"))  # that thread's work
    fresh = _asgi_get(app, "/public/")
    assert "Second word" in fresh[2].decode() and fresh[1]["etag"] != headers["etag"]
    assert len(calls) == 2  # rendered beside the crowd, never by each request
    public.cache.read_at -= public.STALE_SECONDS  # nobody re-read it in time: Django answers
    assert "Second word" in _asgi_get(app, "/public/")[2].decode() and len(calls) == 3


@pytest.mark.django_db(transaction=True)
def test_the_event_loop_path_keeps_the_rate_limit(commander, pr, settings):
    from django.core.asgi import get_asgi_application

    settings.CRISIS_PUBLIC_RATE = "100000/m"
    app = public.PublicFastPath(get_asgi_application())
    incident = incident_with_playbook(commander)
    published(incident, pr, commander, title="Word")
    redis = public._redis_client()
    for key in redis.scan_iter(f"{settings.CHANNEL_LAYER_PREFIX}:public-rate:198.51.100.7:*"):
        redis.delete(key)
    assert _asgi_get(app, "/public/statements.json")[0] == 200
    settings.CRISIS_PUBLIC_RATE = "2/m"
    assert _asgi_get(app, "/public/statements.json")[0] == 200
    status, headers, body = _asgi_get(app, "/public/statements.json")
    assert status == 429 and headers["retry-after"] == "60" and b"Too many requests" in body
    for key in redis.scan_iter(f"{settings.CHANNEL_LAYER_PREFIX}:public-rate:198.51.100.7:*"):
        redis.delete(key)
