"""Playbook editing in the admin: validation messages, frozen published versions, the actions,
preview, diff, export and import."""

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from playbooks import services
from playbooks.exchange import export_version, import_text
from playbooks.models import Playbook, PlaybookVersion, Step, VersionState

SAMPLE = (Path(__file__).parent / "sample.yaml").read_text(encoding="utf-8")
pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(client, admin):
    client.force_login(admin)
    return client


@pytest.fixture
def published():
    return import_text(SAMPLE, publish=True)


def inline_post_data(version, **step_overrides):
    """The admin change form's POST for a draft with one step, as a browser would send it."""
    data = {"notes_zh": "", "notes_en": ""}
    for prefix in ("steps", "deadline_rules", "statement_templates", "qa_lines"):
        data[f"{prefix}-TOTAL_FORMS"] = "0"
        data[f"{prefix}-INITIAL_FORMS"] = "0"
        data[f"{prefix}-MIN_NUM_FORMS"] = "0"
        data[f"{prefix}-MAX_NUM_FORMS"] = "1000"
    step = {
        "order": "1",
        "phase": "first_hour",
        "owner_role": "commander",
        "due_offset_minutes": "10",
        "required": "on",
        "title_zh": "指定",
        "title_en": "Name",
        "instructions_zh": "",
        "instructions_en": "",
        "completes_when": "",
    }
    data["steps-TOTAL_FORMS"] = "1"
    data.update({f"steps-0-{k}": v for k, v in step.items()})
    data.update({f"steps-0-{k}": v for k, v in step_overrides.items()})
    return data


def test_admin_refuses_negative_offsets_and_unknown_roles_with_clear_messages(staff, published):
    draft = services.clone_to_draft(published)
    draft.steps.all().delete()
    url = f"/admin/playbooks/playbookversion/{draft.pk}/change/"
    for minutes in ("-15", "0"):  # at minute 0 a step would be overdue at the moment of declaration
        response = staff.post(url, inline_post_data(draft, due_offset_minutes=minutes))
        assert response.status_code == 200
        assert "at least one minute after the incident is declared" in response.content.decode()
    assert not draft.steps.exists()
    response = staff.post(url, inline_post_data(draft, owner_role="janitor"))
    assert "janitor" in response.content.decode()
    assert draft.steps.count() == 0
    ok = staff.post(url, inline_post_data(draft))
    assert ok.status_code == 302
    assert draft.steps.count() == 1


def test_admin_refuses_unknown_placeholders(staff, published):
    draft = services.clone_to_draft(published)
    template = draft.statement_templates.first()
    template.body_en = "Hi {{ title.__class__ }}"
    with pytest.raises(Exception):  # noqa: B017 - the model field validator, as the admin form runs it
        template.full_clean()


def test_published_versions_are_read_only_in_the_admin(staff, published):
    url = f"/admin/playbooks/playbookversion/{published.pk}/change/"
    page = staff.get(url).content.decode()
    assert 'name="steps-0-title_en"' not in page
    staff.post(url, inline_post_data(published, title_en="Changed"))
    assert not published.steps.filter(title_en="Changed").exists()


def test_actions_clone_publish_retire(staff, published):
    changelist = "/admin/playbooks/playbookversion/"
    staff.post(changelist, {"action": "clone_to_draft", "_selected_action": [published.pk]})
    draft = PlaybookVersion.objects.get(playbook=published.playbook, state=VersionState.DRAFT)
    draft.steps.filter(phase="first_hour").delete()
    response = staff.post(changelist, {"action": "publish", "_selected_action": [draft.pk]}, follow=True)
    assert "first-hour step" in response.content.decode()
    draft.refresh_from_db()
    assert draft.state == VersionState.DRAFT
    Step.objects.create(version=draft, phase="first_hour", title_zh="新", title_en="New", owner_role="commander")
    staff.post(f"/admin/playbooks/playbookversion/{draft.pk}/publish/")
    draft.refresh_from_db()
    published.refresh_from_db()
    assert draft.state == VersionState.PUBLISHED and published.state == VersionState.RETIRED
    staff.post(changelist, {"action": "retire", "_selected_action": [draft.pk]})
    draft.refresh_from_db()
    assert draft.state == VersionState.RETIRED


def test_preview_diff_and_export(staff, published):
    preview = staff.get(f"/admin/playbooks/playbookversion/{published.pk}/preview/").content.decode()
    assert "阳光花园二期" in preview and "Sunrise Gardens phase II" in preview
    assert "{{" not in preview
    draft = services.clone_to_draft(published)
    step = draft.steps.first()
    step.title_en = "Name the commander at once"
    step.save()
    diff = staff.get(f"/admin/playbooks/playbookversion/{published.pk}/diff/{draft.pk}/").content.decode()
    assert "- " in diff and "Name the commander at once" in diff
    exported = staff.get(f"/admin/playbooks/playbookversion/{published.pk}/export/")
    assert exported["Content-Disposition"].endswith('test-site-v1.yaml"')
    assert exported.content.decode() == export_version(published)


def test_import_page_reports_lines_and_changes_nothing(staff):
    bad = SAMPLE.replace("unit: minutes", "unit: fortnights")
    response = staff.post(
        "/admin/playbooks/playbook/import/",
        {"file": SimpleUploadedFile("bad.yaml", bad.encode()), "publish": "on"},
    )
    assert response.status_code == 400
    assert "line 34" in response.content.decode() and "fortnights" in response.content.decode()
    assert not Playbook.objects.exists()
    binary = staff.post("/admin/playbooks/playbook/import/", {"file": SimpleUploadedFile("x.yaml", b"\xff\xfe\x00")})
    assert binary.status_code == 400
    good = staff.post("/admin/playbooks/playbook/import/", {"file": SimpleUploadedFile("ok.yaml", SAMPLE.encode())})
    assert good.status_code == 302
    assert Playbook.objects.get().versions.get().state == VersionState.DRAFT


def test_non_admins_cannot_edit_playbooks(client, commander, published):
    commander.is_staff = True
    commander.save()
    client.force_login(commander)
    assert client.get(f"/admin/playbooks/playbookversion/{published.pk}/change/").status_code == 403
    assert client.get("/admin/playbooks/playbook/import/").status_code == 403


# --- One newline (issue 17): browsers post "\r\n"; nothing stores it -------------------------------


def test_the_editor_stores_one_newline_whatever_the_browser_sends(staff, published):
    draft = services.clone_to_draft(published)
    draft.steps.all().delete()
    url = f"/admin/playbooks/playbookversion/{draft.pk}/change/"
    data = inline_post_data(draft, instructions_zh="第一行\r\n第二行\r\n", instructions_en="one\r\ntwo")
    data["notes_en"] = "why\r\nthis"
    response = staff.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    step = draft.steps.get()
    assert step.instructions_zh == "第一行\n第二行" or step.instructions_zh == "第一行\n第二行\n"
    assert "\r" not in step.instructions_zh + step.instructions_en
    draft.refresh_from_db()
    assert draft.notes_en == "why\nthis"


def test_an_unchanged_clone_saved_as_a_browser_would_differs_in_nothing(published):
    from playbooks.diff import diff_versions

    draft = services.clone_to_draft(published)
    parts = [*draft.steps.all(), *draft.deadline_rules.all(), *draft.statement_templates.all(), *draft.qa_lines.all()]
    assert parts
    for part in parts:  # every textarea comes back with "\r\n", as browsers send it
        for field in part._meta.concrete_fields:
            value = getattr(part, field.attname)
            if isinstance(value, str) and "\n" in value:
                setattr(part, field.attname, value.replace("\n", "\r\n"))
        part.save()
    changed = [line for line in diff_versions(published, draft) if line.kind in ("added", "removed")]
    assert changed == []
    assert "\r" not in export_version(draft)


# --- The editor by section, and publishing that asks first (issue 17) ------------------------------


def test_the_editor_lists_every_part_in_a_table_of_contents(staff, published):
    draft = services.clone_to_draft(published)
    page = staff.get(f"/admin/playbooks/playbookversion/{draft.pk}/change/").content.decode()
    toc = page[page.index('class="pb-toc"') : page.index('class="pb-form"')]
    for prefix, relation in (
        ("steps", "steps"),
        ("deadline_rules", "deadline_rules"),
        ("statement_templates", "statement_templates"),
        ("qa_lines", "qa_lines"),
    ):
        parts = list(getattr(draft, relation).all())
        assert f'href="#{prefix}-group"' in toc
        for index in range(len(parts)):
            assert f'href="#{prefix}-{index}"' in toc and f'id="{prefix}-{index}"' in page
    first = draft.steps.first()
    assert str(first)[:20] in toc
    assert f"/admin/playbooks/playbookversion/{draft.pk}/publish/" in page
    assert "<details>" in page  # long texts are folded


def test_publishing_shows_only_what_changed_and_asks_first(staff, published):
    draft = services.clone_to_draft(published)
    url = f"/admin/playbooks/playbookversion/{draft.pk}/publish/"
    unchanged = staff.get(url).content.decode()
    assert 'id="pb-no-change"' in unchanged and 'class="pb-diff-added"' not in unchanged
    step = draft.steps.first()
    old_title = step.title_en
    step.title_en = "Name the commander within five minutes"
    step.save()

    # The list action leads to this page; it publishes nothing by itself.
    changelist = "/admin/playbooks/playbookversion/"
    response = staff.post(changelist, {"action": "publish", "_selected_action": [draft.pk]})
    assert response.status_code == 302 and response["Location"] == url
    both = staff.post(changelist, {"action": "publish", "_selected_action": [draft.pk, published.pk]}, follow=True)
    assert "one version at a time" in both.content.decode()
    draft.refresh_from_db()
    assert draft.state == VersionState.DRAFT

    page = staff.get(url).content.decode()
    diff = page[page.index('<pre class="pb-diff">') :]
    assert diff.count('class="pb-diff-added"') == 1 and diff.count('class="pb-diff-removed"') == 1
    assert "Name the commander within five minutes" in page and old_title in page
    assert f"retires v{published.number}" in page
    assert staff.post(url).status_code == 302
    draft.refresh_from_db()
    published.refresh_from_db()
    assert draft.state == VersionState.PUBLISHED and published.state == VersionState.RETIRED
    again = staff.get(url, follow=True)  # a published version cannot be published again
    assert "Only a draft can be published" in again.content.decode()


def test_a_draft_with_problems_cannot_be_published_from_its_confirmation(staff, published):
    draft = services.clone_to_draft(published)
    draft.steps.filter(phase="first_hour").delete()
    page = staff.get(f"/admin/playbooks/playbookversion/{draft.pk}/publish/").content.decode()
    assert "first-hour step" in page and 'id="confirm-publish"' in page and " disabled" in page
    staff.post(f"/admin/playbooks/playbookversion/{draft.pk}/publish/")
    draft.refresh_from_db()
    assert draft.state == VersionState.DRAFT


def test_only_editors_reach_the_publish_page(client, commander, published):
    draft = services.clone_to_draft(published)
    commander.is_staff = True
    commander.save()
    client.force_login(commander)
    assert client.post(f"/admin/playbooks/playbookversion/{draft.pk}/publish/").status_code == 403
    draft.refresh_from_db()
    assert draft.state == VersionState.DRAFT


def test_import_problems_are_told_in_the_readers_language(staff):
    bad = SAMPLE.replace("unit: minutes", "unit: fortnights")
    response = staff.post(
        "/admin/playbooks/playbook/import/",
        {"file": SimpleUploadedFile("bad.yaml", bad.encode())},
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    text = response.content.decode()
    assert response.status_code == 400 and "第 34 行" in text and "line 34" not in text
    broken = staff.post(
        "/admin/playbooks/playbook/import/",
        {"file": SimpleUploadedFile("bad.yaml", b"a: [1,\n")},
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    assert broken.status_code == 400 and "不是有效的 YAML" in broken.content.decode()
