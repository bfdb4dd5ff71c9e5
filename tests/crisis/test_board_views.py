"""The board in one click (issue 17, item 4): mine, no commander, deadline missed, severity I–II,
and three orders; unknown values are ignored, never an error."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from incidents import services
from incidents.models import Deadline
from tests import factories

pytestmark = pytest.mark.django_db


def titles(client, query: str) -> list[str]:
    page = client.get("/" + query).content.decode()
    table = page.split('id="board-table"')[1]
    return re.findall(r'<a href="/incidents/\d+/">([^<]+)</a>', table)


@pytest.fixture
def board(commander, commander2, responder):
    led = factories.declare(commander, commander=commander, title="Mine and led", severity=3)
    theirs = factories.declare(commander2, commander=commander2, title="Theirs", severity=1)
    unled = factories.declare(responder, title="Nobody leads", severity=4)
    deadline = services.add_deadline(
        theirs.pk, by=commander2, audience="public", title="Statement", due_at=timezone.now() + timedelta(minutes=5)
    )
    Deadline.objects.filter(pk=deadline.pk).update(state="breached")
    services.add_deadline(
        led.pk, by=commander, audience="regulator", title="Report", due_at=timezone.now() + timedelta(minutes=10)
    )
    return led, theirs, unled


def test_one_click_views(client, commander, board):
    client.force_login(commander)
    assert set(titles(client, "")) == {"Mine and led", "Theirs", "Nobody leads"}
    assert titles(client, "?view=mine") == ["Mine and led"]
    assert titles(client, "?view=unled") == ["Nobody leads"]
    assert titles(client, "?view=breached") == ["Theirs"]
    assert titles(client, "?view=severe") == ["Theirs"]
    assert set(titles(client, "?view=nonsense&sort=nonsense")) == {"Mine and led", "Theirs", "Nobody leads"}


def test_orders(client, commander, board):
    client.force_login(commander)
    assert titles(client, "?sort=severity") == ["Theirs", "Mine and led", "Nobody leads"]
    assert titles(client, "?sort=newest") == ["Nobody leads", "Theirs", "Mine and led"]
    # The only one with a pending deadline first; then the others by severity.
    assert titles(client, "?sort=due") == ["Mine and led", "Theirs", "Nobody leads"]


def test_the_table_the_board_reloads_keeps_the_view(client, commander, board):
    client.force_login(commander)
    table = client.get("/board/table/?view=unled").content.decode()
    assert "Nobody leads" in table and "Theirs" not in table
    page = client.get("/?view=unled").content.decode()
    assert 'name="view" value="unled"' in page and 'aria-current="true" data-view="unled"' in page
