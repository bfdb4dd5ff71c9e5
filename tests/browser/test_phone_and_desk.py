"""Every console page fits a phone and a desk (issue 17): at 390×844 and 1440×900, in both
languages, nothing is wider than the screen; on the phone every control is a target of at least
44 × 44 px (links inside running text are exempt, as WCAG 2.5.5 says); axe-core, run in the same
browser, finds no serious or critical accessibility violation; and a Chinese page shows none of the
console's own words in English. The same holds for the playbook editor."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.utils import timezone

from crisis.reviews import services as reviews
from crisis.voice import services as voice
from incidents import services
from playbooks.defaults import load_default_playbooks
from playbooks.exchange import import_text
from playbooks.models import PlaybookVersion
from playbooks.services import clone_to_draft
from tests import factories
from tests.browser.conftest import CHROMIUM
from tests.browser.test_warroom_browser import SAMPLE, shoot, sign_in
from tests.test_admin_language import english_on

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed (make test installs it)"
    ),
]

SMALL_TARGETS = """() => {
  const small = [];
  for (const e of document.querySelectorAll('a,button,input,select,textarea,summary')) {
    const style = getComputedStyle(e);
    if (style.visibility === 'hidden' || style.display === 'none' || e.type === 'hidden') continue;
    const box = e.matches('input[type=checkbox],input[type=radio]') && e.closest('label') ? e.closest('label') : e;
    const r = box.getBoundingClientRect();
    if (!r.width || !r.height) continue;
    const inText = e.tagName === 'A' && !e.classList.contains('button') && !e.closest('nav,.topnav,.actions,.tray-head')
      && e.parentElement && e.parentElement.closest('p,li,td,span,div.small,h1,h2,h3,dd,.eyebrow');
    if (inText) continue;
    const size = `${Math.round(r.width)}x${Math.round(r.height)}`;
    if (r.height < 44 || r.width < 44) small.push(`${e.tagName} ${e.id || e.className} ${size}`);
  }
  return small;
}"""


@pytest.fixture
def pages():
    import_text(SAMPLE, publish=True)
    commander = factories.commander_user(username="zhangwei", first_name="张伟")
    pr = factories.pr_user(username="wangfang", first_name="王芳")
    incident = factories.declare(
        commander,
        commander=commander,
        title="3号楼脚手架局部坍塌",
        summary="两名工人受伤。",
        location="阳光花园",
        severity=2,
    )
    services.transition_incident(incident.pk, by=commander, name="activate")
    statement = voice.create_statement(
        incident.pk, by=pr, audience="public", title="关于3号楼事故的情况说明", body="两名工人受伤，已送医。"
    )
    closed = factories.declare(
        commander,
        commander=commander,
        title="售楼处业主聚集",
        summary="约三十名业主聚集。",
        location="阳光花园",
        severity=3,
    )
    for name, note in (("activate", ""), ("resolve", "业主已离开"), ("close", "已协商一致")):
        services.transition_incident(closed.pk, by=commander, name=name, note=note, open_items="finish")
    reviews.edit_review(
        closed.pk, by=commander, happened="业主聚集两小时后离开。", change="提前公布交付时间表。", rating=3
    )
    reviews.give_feedback(closed.pk, by=commander, rating=3, text="口径发布偏晚。")
    reviews.add_action(
        closed.pk, by=commander, title="公布交付时间表", owner_id=pr.pk, due_at=timezone.now() + timedelta(days=7)
    )
    return commander, [
        "/me/actions/",
        f"/incidents/{closed.pk}/review/",
        "/",
        f"/incidents/{incident.pk}/",
        f"/incidents/{incident.pk}/statements/{statement.pk}/",
        f"/incidents/{incident.pk}/voice/",
        "/complaints/new/",
        "/me/notifications/",
        f"/incidents/{incident.pk}/transition/close/",
        "/search/?q=%E8%84%9A%E6%89%8B%E6%9E%B6",  # 脚手架
        "/public/",
        f"/incidents/{incident.pk}/authority-reports/",
        f"/incidents/{incident.pk}/media/",
    ]


AXE = Axe()


def problems_on(page, path: str, *, phone: bool, chinese: bool) -> list:
    """Everything this module's rules find wrong with the page now open."""
    found = []
    width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    if width[0] > width[1]:
        found.append(("wider than the screen", width))
    if phone:
        small = page.evaluate(SMALL_TARGETS)
        if small:
            found.append(("targets under 44 px", small))
    violations = [
        (v["id"], v["impact"], [node["html"][:120] for node in v["nodes"][:3]])
        for v in AXE.run(page).response["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    if violations:
        found.append(("axe-core", violations))
    if chinese:
        english = sorted(set(english_on(page.content())) - ALLOWED_ON_CHINESE_PAGES)
        if english:
            found.append(("English on a Chinese page", english))
    return [(path, *problem) for problem in found]


# Data the fixtures typed in Latin letters (the people's user names), which a page shows as typed.
ALLOWED_ON_CHINESE_PAGES = {"zhangwei", "wangfang", "guanli"}
VIEWPORTS = ({"width": 390, "height": 844}, {"width": 1440, "height": 900})


@pytest.mark.parametrize("locale", ["zh-CN", "en"])
def test_nothing_is_wider_than_the_screen_and_every_control_fits_a_thumb(browser, asgi_servers, pages, locale):
    a, _ = asgi_servers
    commander, paths = pages
    found = []
    for viewport in VIEWPORTS:
        page = sign_in(browser, a, commander, locale=locale, viewport=viewport)
        for path in paths:
            page.goto(f"{a.url}{path}")
            found += problems_on(page, path, phone=viewport["width"] == 390, chinese=locale == "zh-CN")
            if path.endswith("/review/") and viewport["width"] == 1440:
                shoot(page, f"review-{'zh' if locale == 'zh-CN' else 'en'}")
        page.context.close()
    assert found == []


@pytest.mark.parametrize("locale", ["zh-CN", "en"])
def test_the_playbook_editor_fits_a_phone_and_a_desk(browser, asgi_servers, locale):
    a, _ = asgi_servers
    load_default_playbooks()
    admin = factories.admin_user(username="guanli", first_name="管理员")
    draft = clone_to_draft(PlaybookVersion.objects.get(playbook__slug="site-safety"), by=admin)
    paths = [
        f"/admin/playbooks/playbookversion/{draft.pk}/change/",
        f"/admin/playbooks/playbookversion/{draft.pk}/publish/",
        "/admin/playbooks/playbook/import/",
    ]
    found = []
    for viewport in VIEWPORTS:
        page = sign_in(browser, a, admin, locale=locale, viewport=viewport)
        for path in paths:
            page.goto(f"{a.url}{path}")
            found += problems_on(page, path, phone=viewport["width"] == 390, chinese=locale == "zh-CN")
        page.context.close()
    assert found == []


def test_on_a_phone_the_war_room_reads_in_the_order_of_the_first_hour(browser, asgi_servers, pages):
    a, _ = asgi_servers
    commander, paths = pages
    page = sign_in(browser, a, commander, locale="zh-CN", viewport={"width": 390, "height": 844})
    page.goto(f"{a.url}{paths[3]}")
    tops = page.evaluate(
        """() => ['#panel-header', '#panel-deadlines', '#panel-checklist', '#panel-voice', '.timeline-card']
            .map(s => document.querySelector(s).getBoundingClientRect().top)"""
    )
    assert tops == sorted(tops), tops


def test_a_commanders_first_hour_on_a_phone(browser, asgi_servers):
    """Issue 17: take command in one tap, see the next step, tick it, approve and publish a holding
    statement with its confirmation, resolve and close with a summary — and the clocks stop."""
    from playwright.sync_api import expect

    from incidents.models import Incident, Status

    a, _ = asgi_servers
    import_text(SAMPLE, publish=True)
    commander = factories.commander_user(username="zhangwei", first_name="张伟")
    pr = factories.pr_user(username="wangfang", first_name="王芳")
    incident = factories.declare(factories.responder_user(), title="3号楼脚手架局部坍塌", severity=2)
    statement = voice.create_statement(
        incident.pk, by=pr, audience="public", title="关于3号楼事故的情况说明", body="两名工人受伤，已送医。"
    )
    voice.submit_statement(statement.pk, by=pr)

    phone = sign_in(browser, a, commander, locale="zh-CN", viewport={"width": 390, "height": 844})
    phone.goto(f"{a.url}/incidents/{incident.pk}/")
    phone.click("#take-command")
    expect(phone.locator("#commander")).to_contain_text("张伟")
    next_step = phone.locator("#next-step .next-title")
    expect(next_step).to_be_visible()
    first = next_step.inner_text()
    progress = phone.locator("#first-hour-progress").inner_text()
    phone.locator("#panel-checklist li.task", has_text=first).first.locator("button.tick").click()
    expect(phone.locator("#first-hour-progress")).not_to_have_text(progress, timeout=3000)

    phone.goto(f"{a.url}/incidents/{incident.pk}/statements/{statement.pk}/")
    phone.click('[data-action="approve"]')
    phone.click("details.confirm-publish > summary")
    expect(phone.locator("details.confirm-publish")).to_contain_text("唯一口径")
    phone.click('[data-action="publish"]')
    phone.goto(f"{a.url}/incidents/{incident.pk}/")
    phone.click('[data-transition="activate"]')
    phone.click('[data-transition="resolve"]')
    phone.fill("#id_note", "现场已安全，伤者情况稳定。")
    phone.click("#confirm-transition")
    phone.click('[data-transition="close"]')
    phone.fill("#id_note", "两名工人受伤已出院；已按时向住建和应急管理部门报告；下周一复盘。")
    phone.check('input[name="open_items"][value="finish"]')
    phone.click("#confirm-transition")
    expect(phone.locator("#incident-status")).to_contain_text("已关闭")
    assert Incident.objects.get(pk=incident.pk).status == Status.CLOSED
    deadlines = phone.locator("#panel-deadlines")
    expect(deadlines.locator("[data-countdown]")).to_have_count(0)
    expect(phone.locator("#panel-checklist [data-countdown]")).to_have_count(0)
    width = phone.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], width


def test_a_chosen_moment_is_written_out_in_the_pages_language(browser, asgi_servers):
    """An English browser draws its date picker as mm/dd/yyyy even on a Chinese page; the page
    writes the chosen moment out in its own language beside it."""
    from playwright.sync_api import expect

    from tests.incidents.complaint_helpers import handler_user, log

    a, _ = asgi_servers
    handler = handler_user(username="zhangwei", first_name="张伟")
    complaint = log(handler)
    page = sign_in(browser, a, handler, locale="en-US")
    page.context.add_cookies([{"name": "django_language", "value": "zh-hans", "url": a.url}])
    page.goto(f"{a.url}/complaints/{complaint.pk}/")
    page.click("details.reply-new > summary")
    field = page.locator("details.reply-new input[type=datetime-local]")
    field.fill("2026-07-12T14:30")
    echo = page.locator(f"output[for='{field.get_attribute('id')}']")
    expect(echo).to_contain_text("2026年7月12日")
    expect(echo).to_contain_text("14:30")


@pytest.mark.parametrize("locale", ["zh-CN", "en"])
def test_the_statistics_page_fits_a_phone_and_a_desk(browser, asgi_servers, pages, locale):
    a, _ = asgi_servers
    executive = factories.exec_user(username="guanli", first_name="陈总")
    found = []
    for viewport in VIEWPORTS:
        page = sign_in(browser, a, executive, locale=locale, viewport=viewport)
        page.goto(f"{a.url}/statistics/")
        found += problems_on(page, "/statistics/", phone=viewport["width"] == 390, chinese=locale == "zh-CN")
        if viewport["width"] == 1440:
            shoot(page, f"statistics-{'zh' if locale == 'zh-CN' else 'en'}")
        page.goto(f"{a.url}/statistics/reports/")
        found += problems_on(page, "/statistics/reports/", phone=viewport["width"] == 390, chinese=locale == "zh-CN")
        page.context.close()
    assert found == []


@pytest.mark.parametrize("locale", ["zh-CN", "en"])
def test_the_public_page_fits_a_phone_and_a_desk_for_someone_not_signed_in(browser, asgi_servers, locale):
    from crisis import public
    from tests.crisis.voice_helpers import incident_with_playbook, published

    a, _ = asgi_servers
    commander, pr = factories.commander_user(username="zhangwei"), factories.pr_user(username="wangfang")
    incident = incident_with_playbook(commander, title="3号楼脚手架局部坍塌")
    published(
        incident, pr, commander, title="关于3号楼脚手架局部坍塌的情况说明", body="今日10时许，3号楼外脚手架局部坍塌。"
    )
    published(
        incident,
        pr,
        commander,
        title="关于3号楼脚手架局部坍塌的情况通报（续）",
        body="两名受伤工人已送医，无生命危险。",
    )
    public.cache.forget()
    found = []
    for viewport in VIEWPORTS:
        context = browser.new_context(locale=locale, viewport=viewport)
        page = context.new_page()
        page.goto(f"{a.url}/public/")
        assert "情况通报（续）" in page.content()  # not sent to sign in
        found += problems_on(page, "/public/", phone=viewport["width"] == 390, chinese=locale == "zh-CN")
        if locale == "zh-CN":
            shoot(page, "public-phone" if viewport["width"] == 390 else "public-zh")
        context.close()
    assert found == []
