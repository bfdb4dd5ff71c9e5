"""The war room and the board in headless Chromium (Debian's package), against real uvicorn
servers: two people in one room, live updates within two seconds, and a dropped connection
that resumes and shows what it missed. Screenshots go to test-artifacts/ (and to
docs/screenshots/ for the README with UPDATE_SCREENSHOTS=1)."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

from incidents import services
from playbooks.exchange import import_text
from tests import factories
from tests.browser.conftest import CHROMIUM

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
SAMPLE = (ROOT / "playbooks" / "defaults" / "site-safety.yaml").read_text(encoding="utf-8")
PASSWORD = "pw-for-tests-1"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed (make test installs it)"
    ),
]


def sign_in(browser, server, user, *, locale="en", viewport=None, timezone_id=None):
    context = browser.new_context(
        locale=locale, viewport=viewport or {"width": 1440, "height": 900}, timezone_id=timezone_id
    )
    page = context.new_page()
    page.goto(f"{server.url}/accounts/login/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", PASSWORD)
    page.click("#sign-in")
    page.wait_for_url(f"{server.url}/")
    return page


def shoot(page, name):
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=False)
    if os.environ.get("UPDATE_SCREENSHOTS") == "1":
        target = ROOT / "docs" / "screenshots"
        target.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, target / path.name)


@pytest.fixture
def scene():
    """A site accident on the default playbook, with a commander, a PR officer, some history."""
    import_text(SAMPLE, publish=True)
    commander = factories.commander_user(username="zhangwei", first_name="张伟")
    pr = factories.pr_user(username="wangfang", first_name="王芳")
    # Real names run long; the role picker lists this one and must still fit a phone.
    factories.UserFactory(username="duty-north-gate", first_name="欧阳明远 Ouyang Mingyuan (night duty, north gate)")
    incident = factories.declare(
        commander,
        commander=commander,
        title="3号楼脚手架局部坍塌",
        summary="两名工人受伤，已送医；现场已封锁。",
        location="阳光花园二期",
        severity=2,
    )
    services.transition_incident(incident.pk, by=commander, name="activate", note="启动应急预案。")
    services.assign_role(incident.pk, by=commander, user=pr, role="spokesperson")
    services.add_note(incident.pk, by=commander, text="120 已到场，两名伤者送往市一医院。")
    return incident, commander, pr


def test_two_people_in_one_room_see_each_others_actions_within_two_seconds(browser, asgi_servers, scene):
    from playwright.sync_api import expect

    a, b = asgi_servers
    incident, commander, pr = scene
    cmd = sign_in(browser, a, commander, locale="zh-CN")
    spokes = sign_in(browser, b, pr, locale="zh-CN")
    for page, server in ((cmd, a), (spokes, b)):
        page.goto(f"{server.url}/incidents/{incident.pk}/")
        expect(page.locator("#presence-list")).to_contain_text("张伟", timeout=5000)
    expect(spokes.locator("#presence-list")).to_contain_text("王芳", timeout=5000)

    cmd.fill("#note-form textarea", "住建局已电话报告，回执号 A-0042。")
    cmd.click("#note-form button[type=submit]")
    expect(spokes.locator("#timeline")).to_contain_text("回执号 A-0042", timeout=2000)
    expect(cmd.locator("#timeline")).to_contain_text("回执号 A-0042", timeout=2000)

    # The spokesperson ticks a checklist step; the commander's checklist follows.
    step = spokes.locator("#panel-checklist li.task.state-open", has_text="统一口径并通知员工").first
    step.locator("button.tick").click()
    expect(cmd.locator("#panel-checklist li.task.state-done", has_text="统一口径并通知员工")).to_be_visible(
        timeout=2000
    )
    expect(cmd.locator("#timeline")).to_contain_text("统一口径并通知员工", timeout=2000)
    shoot(cmd, "warroom-zh")

    phone = sign_in(browser, a, commander, locale="zh-CN", viewport={"width": 390, "height": 844})
    phone.goto(f"{a.url}/incidents/{incident.pk}/")
    expect(phone.locator("#timeline")).to_contain_text("回执号 A-0042")
    shoot(phone, "warroom-phone")
    # Nothing wider than the phone: no sideways scrolling on the war room or the board.
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    phone.goto(f"{a.url}/")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390


def test_a_dropped_connection_resumes_and_shows_what_it_missed(browser, asgi_servers, scene):
    from playwright.sync_api import expect

    _, b = asgi_servers
    incident, commander, pr = scene
    watcher = sign_in(browser, b, pr)
    watcher.goto(f"{b.url}/incidents/{incident.pk}/")
    expect(watcher.locator("#presence-list")).to_contain_text("王芳", timeout=5000)

    b.process.kill()  # the server the watcher is connected to dies
    expect(watcher.locator("#live-banner")).to_contain_text("Live connection lost", timeout=5000)
    for n in range(3):
        services.add_note(incident.pk, by=commander, text=f"Missed while offline {n}")
    b.process.start()
    for n in range(3):
        expect(watcher.locator("#timeline")).to_contain_text(f"Missed while offline {n}", timeout=20000)
    expect(watcher.locator("#live-banner")).to_contain_text("restored", timeout=5000)
    seqs = watcher.locator("#timeline li.entry").evaluate_all("items => items.map(i => Number(i.dataset.seq))")
    assert seqs == sorted(set(seqs)), seqs  # in order, nothing twice
    assert seqs[-1] - seqs[0] + 1 == len(seqs)  # nothing missing


def test_the_board_updates_live_and_shows_the_next_deadline(browser, asgi_servers, scene):
    from playwright.sync_api import expect

    a, _ = asgi_servers
    incident, commander, _ = scene
    page = sign_in(browser, a, commander)
    expect(page.locator("#board-table")).to_contain_text("3号楼脚手架局部坍塌")
    expect(page.locator(f'tr[data-incident="{incident.pk}"] .countdown')).to_contain_text("in ", timeout=3000)
    factories.declare(commander, title="Weibo storm over handover delays", kind="online_outrage", severity=3)
    expect(page.locator("#board-table")).to_contain_text("Weibo storm over handover delays", timeout=5000)
    shoot(page, "board-en")
    services.transition_incident(incident.pk, by=commander, name="contain")
    expect(page.locator(f'tr[data-incident="{incident.pk}"] .status')).to_contain_text("Contained", timeout=5000)


def test_a_page_reaches_the_commanders_open_board_and_one_click_stops_the_escalation(browser, asgi_servers):
    """Issue 16: another user declares; within two seconds, without a reload, the commander on
    duty sees the badge and the page in the tray; acknowledging it there stops the escalation."""
    from playwright.sync_api import expect

    from incidents.clock.models import Alarm
    from incidents.models import Page, PageState
    from incidents.paging import PAGE
    from tests.incidents.test_paging import on_duty

    a, _ = asgi_servers
    import_text(SAMPLE, publish=True)
    commander = factories.commander_user(username="zhangwei", first_name="张伟")
    responder = factories.responder_user(username="liuqiang", first_name="刘强")
    on_duty(commander)
    board = sign_in(browser, a, commander, timezone_id="America/New_York")  # a traveller's browser
    expect(board.locator("body")).to_have_attribute("data-attention", "ready")
    expect(board.locator("#notif-badge")).to_be_hidden()
    incident = factories.declare(responder, title="Worker injured at gate 3", severity=1)
    expect(board.locator("#notif-badge")).to_have_text("1", timeout=2000)
    board.click("#tray > summary")
    item = board.locator("#tray-list li", has_text="Worker injured at gate 3")
    expect(item).to_be_visible(timeout=2000)
    expect(item).to_have_class(re.compile("needs-ack"))
    # Written live by the page, in the console's time zone like everything the server renders.
    from django.utils import timezone

    from incidents.notify.models import Notification

    note = Notification.objects.get(recipient=commander, channel="in_app", topic_id=incident.pk)
    expect(item.locator("time")).to_have_text(timezone.localtime(note.created_at).strftime("%m-%d %H:%M"))
    expect(board.locator("#board-table")).to_contain_text("Worker injured at gate 3", timeout=5000)
    shoot(board, "page-tray-en")
    page = Page.objects.get(incident=incident)
    assert Alarm.objects.pending().owned_by(PAGE, page.pk).exists()
    item.locator("button.ack").click()
    expect(item.locator(".acked")).to_be_visible(timeout=3000)
    expect(item).not_to_have_class(re.compile("needs-ack"))
    page.refresh_from_db()
    assert page.state == PageState.ACKNOWLEDGED and page.acknowledged_by == commander
    assert not Alarm.objects.pending().owned_by(PAGE, page.pk).exists()

    phone = sign_in(browser, a, commander, locale="zh-CN", viewport={"width": 390, "height": 844})
    phone.click("#tray > summary")
    expect(phone.locator("#tray-list")).to_contain_text("Worker injured at gate 3")
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, width
    shoot(phone, "page-tray-phone")


def test_ctrl_enter_posts_a_note_and_the_timeline_filters_by_who_and_what(browser, asgi_servers, scene):
    """Issue 17: Ctrl+Enter posts the note; the timeline shows everything, people's entries,
    decisions or the system's; "?" lists the shortcuts."""
    from playwright.sync_api import expect

    a, _ = asgi_servers
    incident, commander, _ = scene
    page = sign_in(browser, a, commander)
    page.goto(f"{a.url}/incidents/{incident.pk}/")
    expect(page.locator("#presence-list")).to_contain_text("张伟", timeout=5000)
    page.keyboard.press("n")
    expect(page.locator("#note-form textarea")).to_be_focused()
    page.keyboard.type("Crane operator interviewed.")
    page.keyboard.press("Control+Enter")
    note = page.locator("#timeline li", has_text="Crane operator interviewed.")
    expect(note).to_be_visible(timeout=3000)
    page.click('#timeline-filter [data-filter="decisions"]')
    expect(note).to_be_hidden()
    expect(page.locator("#timeline li.decision").first).to_be_visible()
    page.click('#timeline-filter [data-filter="system"]')
    expect(page.locator("#timeline li.by-person").first).to_be_hidden()
    page.click('#timeline-filter [data-filter="people"]')
    expect(note).to_be_visible()
    # Pinned as a decision: it appears at the top, for everyone in the room, without a reload.
    note.hover()
    note.locator("button.pin").click()
    expect(page.locator("#panel-pins")).to_contain_text("Crane operator interviewed.", timeout=3000)
    page.locator("body").click(position={"x": 5, "y": 5})
    page.keyboard.press("?")
    expect(page.locator("#shortcuts")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.locator("#shortcuts")).to_be_hidden()
