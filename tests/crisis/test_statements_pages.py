"""The one-voice pages: drafting, the approval queue with its differences, the statement page, the
admin (read-only), and hostile text that must stay text on every page."""

from __future__ import annotations

import pytest
from django.template.loader import render_to_string
from django.test import Client, RequestFactory

from crisis.voice import services
from crisis.voice.models import QALine, Statement, StatementState
from crisis.voice_panel import voice_context

from .voice_helpers import HOSTILE_BODY, HOSTILE_TITLE, approved, drafted, in_review, published

pytestmark = pytest.mark.django_db


@pytest.fixture
def browser():
    def sign_in(user):
        client = Client()
        client.force_login(user)
        return client

    return sign_in


def assert_escaped(html: str) -> None:
    """Hostile markup from a user arrives as text, never as markup."""
    assert "<script>alert" not in html
    assert "<img src=x" not in html
    assert "onerror=alert(1)>" not in html
    assert "&lt;script&gt;alert(" in html or "&lt;img src=x onerror=alert(1)&gt;" in html


@pytest.mark.parametrize(
    "path",
    ["/incidents/1/voice/", "/incidents/1/statements/new/", "/incidents/1/statements/1/", "/incidents/1/qa/",
     "/incidents/1/qa/manage/"],
)  # fmt: skip
def test_every_page_needs_sign_in(client, path):
    response = client.get(path)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


# --- Drafting -------------------------------------------------------------------------------------------------


def test_drafting_page_fills_a_template_shows_the_difference_and_submits(browser, pb_incident, pr, commander):
    current = published(pb_incident, pr, commander, title="Holding statement", body="Two workers hurt.")
    client = browser(pr)
    start = client.get(f"/incidents/{pb_incident.pk}/statements/new/")
    assert start.status_code == 200
    template = services.templates_for(pb_incident).get()
    assert f'value="{template.pk}"' in start.content.decode()

    filled = client.get(f"/incidents/{pb_incident.pk}/statements/new/?template={template.pk}&language=en")
    page = filled.content.decode()
    assert filled.status_code == 200
    assert f"Statement on the incident at {pb_incident.location}" in page
    assert "Two workers hurt." in page  # the current statement, in the difference
    assert 'class="dl dl-' in page and "<del>" in page

    form = {"audience": "public", "template": template.pk, "language": "en", "title": "Update",
            "body": "Three workers hurt."}  # fmt: skip
    preview = client.post(f"/incidents/{pb_incident.pk}/statements/new/", {**form, "action": "preview"})
    assert preview.status_code == 200 and not Statement.objects.filter(title="Update").exists()
    assert "<ins>" in preview.content.decode()

    saved = client.post(f"/incidents/{pb_incident.pk}/statements/new/", {**form, "action": "submit"})
    statement = Statement.objects.get(title="Update")
    assert saved.status_code == 302 and saved["Location"] == f"/incidents/{pb_incident.pk}/statements/{statement.pk}/"
    assert statement.state == StatementState.IN_REVIEW and statement.template == template
    assert current.pk != statement.pk


def test_drafting_page_reports_bad_input_and_saves_nothing(browser, pb_incident, pr):
    client = browser(pr)
    bad = client.post(
        f"/incidents/{pb_incident.pk}/statements/new/",
        {"audience": "public", "language": "en", "title": "", "body": "b", "action": "save"},
    )
    assert bad.status_code == 400 and not Statement.objects.exists()
    nonsense = client.get(f"/incidents/{pb_incident.pk}/statements/new/?template=abc&audience=moon")
    assert nonsense.status_code == 400


def test_only_drafters_get_the_drafting_page(browser, pb_incident, responder, commander):
    assert browser(responder).get(f"/incidents/{pb_incident.pk}/statements/new/").status_code == 403
    assert browser(commander).get(f"/incidents/{pb_incident.pk}/statements/new/").status_code == 403


def test_a_rejection_comment_reaches_the_drafter(browser, pb_incident, pr, commander):
    statement = in_review(pb_incident, pr)
    response = browser(commander).post(
        f"/incidents/{pb_incident.pk}/statements/{statement.pk}/reject/", {"comment": "Add the hotline number."}
    )
    assert response.status_code == 302
    page = browser(pr).get(f"/incidents/{pb_incident.pk}/statements/{statement.pk}/").content.decode()
    assert "Add the hotline number." in page and "Sent back by" in page
    panel = browser(pr).get(f"/incidents/{pb_incident.pk}/voice/").content.decode()
    assert "Add the hotline number." in panel


def test_editing_on_the_statement_page(browser, pb_incident, pr, commander):
    statement = approved(pb_incident, pr, commander)
    client = browser(pr)
    page = client.get(f"/incidents/{pb_incident.pk}/statements/{statement.pk}/").content.decode()
    assert "saving a change sends it back for approval" in page
    done = client.post(
        f"/incidents/{pb_incident.pk}/statements/{statement.pk}/edit/",
        {"title": statement.title, "body": "New words.", "version": statement.version},
    )
    assert done.status_code == 302
    assert Statement.objects.get(pk=statement.pk).state == StatementState.IN_REVIEW
    bad = client.post(
        f"/incidents/{pb_incident.pk}/statements/{statement.pk}/edit/", {"title": "", "body": "x", "version": 2}
    )
    assert bad.status_code == 400 and Statement.objects.get(pk=statement.pk).body == "New words."


# --- The approval queue and the panel ---------------------------------------------------------------------------


def test_the_commander_sees_the_queue_with_differences_and_approves_from_it(browser, pb_incident, pr, commander):
    published(pb_incident, pr, commander, title="Holding", body="Two workers hurt.\nSite sealed.")
    waiting = in_review(pb_incident, pr, title="Update", body="Three workers hurt.\nSite sealed.")
    page = browser(commander).get(f"/incidents/{pb_incident.pk}/voice/").content.decode()
    assert 'id="voice"' in page and "Awaiting approval" in page
    assert f'id="statement-{waiting.pk}"' in page
    assert 'class="dl dl-changed"' in page and "<ins>" in page and "<del>" in page
    assert 'data-action="approve"' in page
    assert 'data-action="approve"' not in browser(pr).get(f"/incidents/{pb_incident.pk}/voice/").content.decode()

    back = f"/incidents/{pb_incident.pk}/"
    response = browser(commander).post(
        f"/incidents/{pb_incident.pk}/statements/{waiting.pk}/approve/", {"version": waiting.version, "next": back}
    )
    assert response.status_code == 302 and response["Location"] == back
    assert Statement.objects.get(pk=waiting.pk).state == StatementState.APPROVED
    # An outside `next` is ignored.
    other = in_review(pb_incident, pr)
    response = browser(commander).post(
        f"/incidents/{pb_incident.pk}/statements/{other.pk}/approve/", {"next": "https://evil.example/"}
    )
    assert response["Location"] == f"/incidents/{pb_incident.pk}/statements/{other.pk}/"


def test_the_panel_shows_the_current_voice_per_audience_and_its_history(browser, pb_incident, pr, commander, responder):
    first = published(pb_incident, pr, commander, title="First words")
    second = published(pb_incident, pr, commander, title="Second words")
    drafted(pb_incident, pr, title="Unapproved draft")
    page = browser(responder).get(f"/incidents/{pb_incident.pk}/voice/").content.decode()
    assert "Second words" in page and "Earlier (1)" in page and "First words" in page
    assert f"/statements/{first.pk}/" in page and f"/statements/{second.pk}/" in page
    # Responders see the current voice, not drafts that were never approved.
    assert "Unapproved draft" not in page and "Awaiting approval" not in page


def test_voice_context_renders_the_partial_for_the_incident_page(pb_incident, pr, commander):
    in_review(pb_incident, pr, title="Queued")
    request = RequestFactory().get(f"/incidents/{pb_incident.pk}/")
    request.user = commander
    context = voice_context(request, pb_incident)
    assert set(context) == {"voice"}
    assert [s.title for s in context["voice"]["queue"]] == ["Queued"]
    assert [a["code"] for a in context["voice"]["audiences"]] == [
        "public", "media", "customers", "regulator", "staff", "internal",
    ]  # fmt: skip
    html = render_to_string("crisis/_voice_panel.html", context, request=request)
    assert "Queued" in html and 'data-action="approve"' in html
    # Its forms come back to the incident page, wherever the panel was rendered.
    assert f'name="next" value="/incidents/{pb_incident.pk}/#voice"' in html


# --- Nothing unapproved is published through the page or the admin -----------------------------------------------


def test_the_page_cannot_publish_an_unapproved_statement(browser, pb_incident, pr, commander):
    for statement in (drafted(pb_incident, pr), in_review(pb_incident, pr)):
        response = browser(commander).post(
            f"/incidents/{pb_incident.pk}/statements/{statement.pk}/publish/", follow=True
        )
        assert response.status_code == 200
        assert "Only an approved statement can be published" in response.content.decode()
        assert Statement.objects.get(pk=statement.pk).state == statement.state
    ready = approved(pb_incident, pr, commander)
    refused = browser(pr).post(f"/incidents/{pb_incident.pk}/statements/{ready.pk}/publish/", follow=True)
    assert "may publish" in refused.content.decode()
    assert Statement.objects.get(pk=ready.pk).state == StatementState.APPROVED
    browser(commander).post(f"/incidents/{pb_incident.pk}/statements/{ready.pk}/publish/")
    assert Statement.objects.get(pk=ready.pk).state == StatementState.PUBLISHED


def test_unknown_actions_and_statements_of_other_incidents_are_404(browser, pb_incident, pr, commander):
    from .voice_helpers import incident_with_playbook

    statement = in_review(pb_incident, pr)
    other = incident_with_playbook(commander, title="Other")
    client = browser(commander)
    assert client.post(f"/incidents/{pb_incident.pk}/statements/{statement.pk}/explode/").status_code == 404
    assert client.post(f"/incidents/{other.pk}/statements/{statement.pk}/approve/").status_code == 404
    assert client.get(f"/incidents/{pb_incident.pk}/statements/{statement.pk}/approve/").status_code == 405


def test_the_admin_shows_statements_but_cannot_change_or_publish_them(browser, pb_incident, pr, commander, admin):
    statement = approved(pb_incident, pr, commander)
    client = browser(admin)
    assert client.get("/admin/voice/statement/").status_code == 200
    change_url = f"/admin/voice/statement/{statement.pk}/change/"
    view = client.get(change_url)
    assert view.status_code == 200 and statement.title in view.content.decode()
    post = client.post(change_url, {"state": "published", "title": "Changed", "body": "Changed"})
    assert post.status_code == 403
    assert client.get("/admin/voice/statement/add/").status_code == 403
    assert client.post(f"/admin/voice/statement/{statement.pk}/delete/", {"post": "yes"}).status_code == 403
    bulk = client.post(
        "/admin/voice/statement/", {"action": "delete_selected", "_selected_action": [statement.pk], "post": "yes"}
    )
    assert bulk.status_code in (200, 302, 403)
    row = Statement.objects.get(pk=statement.pk)
    assert (row.state, row.title) == (StatementState.APPROVED, statement.title)
    assert client.post("/admin/voice/qaline/add/", {"question": "q", "answer": "a"}).status_code == 403


# --- Hostile text stays text ----------------------------------------------------------------------------------------


def test_hostile_statement_text_is_escaped_on_every_page_and_in_the_diff(browser, pb_incident, pr, commander, admin):
    current = published(pb_incident, pr, commander, title=HOSTILE_TITLE, body=HOSTILE_BODY)
    queued = in_review(pb_incident, pr, title=HOSTILE_TITLE + " v2", body=HOSTILE_BODY + "\n<b>bold</b> added")
    rejected = in_review(pb_incident, pr, title="Rejected one")
    services.reject_statement(rejected.pk, by=commander, comment='<script>alert("comment")</script>')
    pages = {
        "voice": f"/incidents/{pb_incident.pk}/voice/",
        "current": f"/incidents/{pb_incident.pk}/statements/{current.pk}/",
        "queued": f"/incidents/{pb_incident.pk}/statements/{queued.pk}/",
        "rejected": f"/incidents/{pb_incident.pk}/statements/{rejected.pk}/",
        "incident": f"/incidents/{pb_incident.pk}/",
    }
    for name, path in pages.items():
        response = browser(commander).get(path)
        assert response.status_code == 200, name
        assert_escaped(response.content.decode())
        assert "<b>bold</b>" not in response.content.decode(), name
    queued_page = browser(commander).get(pages["queued"]).content.decode()
    assert "&lt;b&gt;bold&lt;/b&gt;" in queued_page  # in the diff, as text
    # The drafting page's own diff preview, with hostile text typed into the form.
    preview = browser(pr).post(
        f"/incidents/{pb_incident.pk}/statements/new/",
        {"audience": "public", "language": "en", "title": HOSTILE_TITLE, "body": HOSTILE_BODY + "!",
         "action": "preview"},
    )  # fmt: skip
    assert preview.status_code == 200
    assert_escaped(preview.content.decode())
    # The admin escapes too.
    assert_escaped(browser(admin).get(f"/admin/voice/statement/{current.pk}/change/").content.decode())


def test_hostile_qa_lines_are_escaped_on_the_printable_and_the_working_pages(browser, pb_incident, pr, commander):
    line = services.create_line(pb_incident.pk, by=pr, question=HOSTILE_TITLE, answer=HOSTILE_BODY, language="en")
    services.submit_line(line.pk, by=pr)
    services.approve_line(line.pk, by=commander)
    for path in (f"/incidents/{pb_incident.pk}/qa/", f"/incidents/{pb_incident.pk}/qa/manage/"):
        response = browser(pr).get(path)
        assert response.status_code == 200
        assert_escaped(response.content.decode())
    assert QALine.objects.get(pk=line.pk).question == HOSTILE_TITLE  # stored as written, shown as text
