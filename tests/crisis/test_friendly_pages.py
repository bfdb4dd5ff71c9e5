"""The small things of issue 17: a favicon, and the console's own error pages also under
`make run` (DEBUG), while developers can still ask for Django's debug pages."""

from __future__ import annotations

import pytest
from django.test import override_settings

pytestmark = pytest.mark.django_db


def test_the_favicon_is_served_to_anyone(client):
    answer = client.get("/favicon.ico")
    assert answer.status_code == 301 and answer["Location"].endswith("crisis/favicon.svg")
    assert 'rel="icon"' in client.get("/accounts/login/").content.decode()


@override_settings(DEBUG=True)
def test_an_unknown_incident_shows_the_consoles_not_found_page_under_make_run(client, commander):
    client.force_login(commander)
    answer = client.get("/incidents/99999999/")
    assert answer.status_code == 404
    page = answer.content.decode()
    assert "Back to the board" in page and "Django" not in page and "URLconf" not in page


@override_settings(DEBUG=True, CRISIS_DEBUG_PAGES=True)
def test_developers_can_still_ask_for_djangos_debug_pages(client, commander):
    client.force_login(commander)
    assert "Django" in client.get("/incidents/99999999/").content.decode()


@override_settings(DEBUG=True)
def test_a_failing_page_says_so_kindly_and_logs_the_error(client, commander, monkeypatch, caplog):
    from incidents.oncall import roster

    def broken(*args, **kwargs):
        raise RuntimeError("the roster is on fire")

    monkeypatch.setattr(roster, "on_duty", broken)
    client.force_login(commander)
    client.raise_request_exception = False
    answer = client.get("/")
    assert answer.status_code == 500
    page = answer.content.decode()
    assert "Something went wrong" in page and "the roster is on fire" not in page
    assert "the roster is on fire" in caplog.text


def test_the_api_keeps_its_json_not_found(client, commander):
    client.force_login(commander)
    with override_settings(DEBUG=True):
        answer = client.get("/api/incidents/99999999/")
    assert answer.status_code == 404 and answer["Content-Type"].startswith("application/json")
