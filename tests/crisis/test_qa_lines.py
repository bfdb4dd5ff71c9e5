"""Q&A lines (口径): seeded from the playbook, drafted and approved like statements; the lines in
force are what the front line may say, on a read-only printable page."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.test import Client
from django.utils import timezone

from config.errors import NotAllowed, RuleBroken
from crisis.voice import services
from crisis.voice.models import QALine, QALineState
from incidents.models import TimelineEntry

from .voice_helpers import incident_with_playbook, make_spokesperson

pytestmark = pytest.mark.django_db


def in_force(incident, drafter, approver, question="When will we know more?", answer="We will update by noon."):
    line = services.create_line(incident.pk, by=drafter, question=question, answer=answer, language="en")
    services.submit_line(line.pk, by=drafter)
    return services.approve_line(line.pk, by=approver)


def test_seeding_copies_the_playbook_lines_as_drafts_once(pb_incident, pr):
    created = services.seed_lines(pb_incident.pk, by=pr, language="zh")
    assert [(line.question, line.answer, line.state) for line in created] == [
        ("有人受伤吗？", "以官方通报为准。", QALineState.DRAFT)
    ]
    assert created[0].source is not None and created[0].drafted_by == pr
    assert services.seed_lines(pb_incident.pk, by=pr, language="en") == []  # nothing new
    entry = TimelineEntry.objects.filter(incident=pb_incident, kind="qa_line").get()
    assert entry.data == {"action": "seeded", "count": 1, "lines": [created[0].pk]} and entry.actor == pr


def test_seeding_needs_a_playbook_and_a_drafter(incident, pb_incident, pr, responder):
    with pytest.raises(RuleBroken):
        services.seed_lines(incident.pk, by=pr)
    with pytest.raises(NotAllowed):
        services.seed_lines(pb_incident.pk, by=responder)
    with pytest.raises(ValidationError):
        services.seed_lines(pb_incident.pk, by=pr, language="fr")


def test_a_line_goes_through_review_and_only_approved_lines_are_in_force(pb_incident, pr, commander):
    line = services.create_line(pb_incident.pk, by=pr, question="Q?", answer="A.", language="en")
    assert list(services.current_lines(pb_incident)) == []
    services.submit_line(line.pk, by=pr)
    rejected = services.reject_line(line.pk, by=commander, comment="Too vague.")
    assert rejected.state == QALineState.REJECTED and rejected.rejection_comment == "Too vague."
    services.edit_line(line.pk, by=pr, question="Q?", answer="A, precisely.")
    services.submit_line(line.pk, by=pr)
    approved = services.approve_line(line.pk, by=commander)
    assert approved.state == QALineState.APPROVED and approved.approved_by == commander
    assert list(services.current_lines(pb_incident)) == [approved]
    actions = list(
        TimelineEntry.objects.filter(incident=pb_incident, kind="qa_line").values_list("data__action", flat=True)
    )
    assert actions == ["drafted", "submitted", "rejected", "edited", "submitted", "approved"]


def test_a_line_in_force_is_changed_by_a_revision_and_stays_until_it_is_approved(pb_incident, pr, commander):
    line = in_force(pb_incident, pr, commander)
    with pytest.raises(RuleBroken):
        services.edit_line(line.pk, by=pr, question=line.question, answer="Changed in place.")
    revision = services.revise_line(line.pk, by=pr, question=line.question, answer="We will update by 14:00.")
    assert (revision.topic, revision.revises, revision.state) == (line.topic, line, QALineState.DRAFT)
    with pytest.raises(RuleBroken):  # one open revision at a time
        services.revise_line(line.pk, by=pr, question="x", answer="y")
    services.submit_line(revision.pk, by=pr)
    assert list(services.current_lines(pb_incident)) == [line]  # still in force while reviewed
    services.approve_line(revision.pk, by=commander)
    line.refresh_from_db()
    assert line.state == QALineState.SUPERSEDED and line.superseded_by == revision
    assert [x.answer for x in services.current_lines(pb_incident)] == ["We will update by 14:00."]


def test_withdrawing_a_line_in_force_takes_it_off_the_sheet(pb_incident, pr, commander):
    line = in_force(pb_incident, pr, commander)
    with pytest.raises(NotAllowed):
        services.withdraw_line(line.pk, by=pr, reason="x")  # PR staff do not pull lines in force
    spokesperson = make_spokesperson(pb_incident, commander)
    assert services.withdraw_line(line.pk, by=spokesperson, reason="Outdated.").state == QALineState.WITHDRAWN
    assert list(services.current_lines(pb_incident)) == []


@pytest.mark.parametrize(
    "who,expected",
    [("commander", "ok"), ("admin", "ok"), ("commander2", 409), ("pr", 403), ("responder", 403), ("executive", 403)],
)
def test_who_approves_lines(request, pb_incident, pr, who, expected):
    line = services.create_line(pb_incident.pk, by=pr, question="Q?", answer="A.", language="en")
    services.submit_line(line.pk, by=pr)
    user = request.getfixturevalue(who)
    try:
        services.approve_line(line.pk, by=user)
        got = "ok"
    except RuleBroken:
        got = 409
    except PermissionDenied:
        got = 403
    assert got == expected
    assert (QALine.objects.get(pk=line.pk).state == QALineState.APPROVED) == (expected == "ok")


def test_the_database_keeps_one_line_in_force_per_topic_and_its_approved_words(pb_incident, pr, commander):
    line = in_force(pb_incident, pr, commander)
    draft = services.create_line(pb_incident.pk, by=pr, question="Q?", answer="A.", language="en")
    with pytest.raises(IntegrityError), transaction.atomic():
        QALine.objects.filter(pk=draft.pk).update(state="approved")  # no approval
    with pytest.raises(IntegrityError), transaction.atomic():
        QALine.objects.filter(pk=line.pk).update(answer="Words nobody approved.")
    with pytest.raises(IntegrityError), transaction.atomic():
        QALine.objects.filter(pk=draft.pk).update(
            state="approved", topic=line.topic, approved_by=commander, approved_at=timezone.now(),
            approved_question="Q?", approved_answer="A.",
        )  # fmt: skip


def test_the_printable_page_lists_only_the_lines_in_force(pb_incident, pr, commander, responder):
    in_force(pb_incident, pr, commander, question="Was anyone hurt?", answer="Refer to the official statement.")
    services.create_line(pb_incident.pk, by=pr, question="Draft question?", answer="Unapproved answer.")
    client = Client()
    client.force_login(responder)
    page = client.get(f"/incidents/{pb_incident.pk}/qa/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "Was anyone hurt?" in html and "Refer to the official statement." in html
    assert "Unapproved answer." not in html
    assert 'class="no-print' in html and "window.print()" in html
    assert "Work on Q&amp;A lines" not in html  # responders only read
    assert client.get(f"/incidents/{pb_incident.pk}/qa/manage/").status_code == 200


def test_the_working_page_seeds_drafts_and_approves(pb_incident, pr, commander):
    client = Client()
    client.force_login(pr)
    assert "Copy the playbook" in client.get(f"/incidents/{pb_incident.pk}/qa/manage/").content.decode()
    client.post(f"/incidents/{pb_incident.pk}/qa/seed/", {"language": "en"})
    client.post(f"/incidents/{pb_incident.pk}/qa/new/", {"question": "Q?", "answer": "A.", "language": "en"})
    assert client.post(f"/incidents/{pb_incident.pk}/qa/new/", {"question": "", "answer": "A."}).status_code == 302
    lines = list(QALine.objects.filter(incident=pb_incident).order_by("order"))
    assert [x.question for x in lines] == ["Was anyone hurt?", "Q?"]
    client.post(f"/incidents/{pb_incident.pk}/qa/{lines[0].pk}/submit/")
    refused = client.post(f"/incidents/{pb_incident.pk}/qa/{lines[0].pk}/approve/", follow=True)
    assert "commander" in refused.content.decode()
    commander_client = Client()
    commander_client.force_login(commander)
    page = commander_client.get(f"/incidents/{pb_incident.pk}/qa/manage/").content.decode()
    assert 'data-action="approve"' in page
    commander_client.post(f"/incidents/{pb_incident.pk}/qa/{lines[0].pk}/approve/", {"version": lines[0].version})
    assert QALine.objects.get(pk=lines[0].pk).state == QALineState.APPROVED
    assert commander_client.post(f"/incidents/{pb_incident.pk}/qa/{lines[0].pk}/nope/").status_code == 404


def test_the_qa_api(api, pb_incident, pr, commander, commander2):
    as_pr = api.as_user(pr)
    seeded = as_pr.post(f"/api/incidents/{pb_incident.pk}/qa-lines/seed/", {"language": "en"}, format="json")
    assert seeded.status_code == 201 and seeded.json()["count"] == 1
    created = as_pr.post(
        f"/api/incidents/{pb_incident.pk}/qa-lines/", {"question": "Q?", "answer": "A."}, format="json"
    )
    assert created.status_code == 201
    lid = created.json()["id"]
    assert as_pr.post(f"/api/incidents/{pb_incident.pk}/qa-lines/", {"question": ""}, format="json").status_code == 400
    assert as_pr.post(f"/api/qa-lines/{lid}/submit/").status_code == 200
    assert api.as_user(commander2).post(f"/api/qa-lines/{lid}/approve/").status_code == 409
    assert api.as_user(pr).post(f"/api/qa-lines/{lid}/approve/").status_code == 403
    assert api.as_user(commander).post(f"/api/qa-lines/{lid}/approve/").json()["state"] == "approved"
    as_pr = api.as_user(pr)
    assert as_pr.patch(f"/api/qa-lines/{lid}/", {"question": "Q?", "answer": "B."}, format="json").status_code == 409
    revision = as_pr.post(f"/api/qa-lines/{lid}/revise/", {"question": "Q?", "answer": "B."}, format="json")
    assert revision.status_code == 201 and revision.json()["revises"] == lid
    listing = as_pr.get(f"/api/incidents/{pb_incident.pk}/qa-lines/?current=1").json()
    assert set(listing) == {"count", "next", "previous", "results"}
    assert [x["id"] for x in listing["results"]] == [lid]
    assert as_pr.get(f"/api/incidents/{pb_incident.pk}/qa-lines/?state=bogus").status_code == 400


def test_restricted_incident_lines_are_hidden(api, commander, pr):
    incident = incident_with_playbook(commander, restricted=True)
    spokesperson = make_spokesperson(incident, commander)
    line = services.create_line(incident.pk, by=spokesperson, question="Q?", answer="A.")
    assert api.as_user(pr).get(f"/api/qa-lines/{line.pk}/").status_code == 404
    client = Client()
    client.force_login(pr)
    assert client.get(f"/incidents/{incident.pk}/qa/").status_code == 404
