"""The playbook editor in a real browser (issue 17): browsers send every line break as "\\r\\n";
saving an unchanged draft must change nothing, the contents list leads to each part, and
publishing shows exactly what changed and asks before it happens."""

from __future__ import annotations

from pathlib import Path

import pytest

from playbooks.defaults import load_default_playbooks
from playbooks.diff import diff_versions
from playbooks.exchange import export_version
from playbooks.models import PlaybookVersion, VersionState
from playbooks.services import clone_to_draft
from tests import factories
from tests.browser.conftest import CHROMIUM
from tests.browser.test_warroom_browser import shoot, sign_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed (make test installs it)"
    ),
]


def changed_lines(before, after) -> list:
    return [line for line in diff_versions(before, after) if line.kind in ("added", "removed")]


def test_saving_in_the_editor_changes_nothing_and_publishing_shows_what_changed(browser, asgi_servers):
    from playwright.sync_api import expect

    a, _ = asgi_servers
    load_default_playbooks()
    admin = factories.admin_user(username="guanli", first_name="管理员")
    published = PlaybookVersion.objects.get(playbook__slug="site-safety")
    draft = clone_to_draft(published, by=admin)
    assert any("\n" in step.instructions_zh for step in draft.steps.all())  # multi-line texts go through the form

    page = sign_in(browser, a, admin, locale="zh-CN")
    page.goto(f"{a.url}/admin/playbooks/playbookversion/{draft.pk}/change/")
    page.click('input[name="_continue"]')
    expect(page.locator(".messagelist .success")).to_be_visible()
    assert changed_lines(published, draft) == []
    assert "\r" not in export_version(draft)

    # The contents list leads to a step, which comes into view.
    target = page.locator(".pb-toc .pb-items a[href='#steps-5']")
    target.click()
    assert page.url.endswith("#steps-5")
    expect(page.locator("#steps-5")).to_be_in_viewport()
    shoot(page, "playbook-editor-zh")

    page.click("#publish-link")
    expect(page.locator("#pb-no-change")).to_be_visible()

    # One edit, typed with line breaks, shows as exactly that edit.
    page.goto(f"{a.url}/admin/playbooks/playbookversion/{draft.pk}/change/")
    page.locator("#steps-0 details > summary").click()
    field = page.locator("#id_steps-0-instructions_en")
    field.fill("")
    field.type("First line")
    field.press("Enter")
    field.type("Second line")
    page.click('input[name="_continue"]')
    expect(page.locator(".messagelist .success")).to_be_visible()
    step = draft.steps.order_by("order", "pk").first()
    assert step.instructions_en == "First line\nSecond line"

    page.click("#publish-link")
    expect(page.locator("pre.pb-diff .pb-diff-added")).to_have_count(2)  # "First line", "Second line"
    assert page.locator("pre.pb-diff .pb-diff-removed").count() >= 1
    draft.refresh_from_db()
    assert draft.state == VersionState.DRAFT  # the page asked; nothing happened yet
    page.click("#confirm-publish")
    expect(page.locator(".messagelist .success")).to_be_visible()
    draft.refresh_from_db()
    published.refresh_from_db()
    assert draft.state == VersionState.PUBLISHED and published.state == VersionState.RETIRED
