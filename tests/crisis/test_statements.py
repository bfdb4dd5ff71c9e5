"""一个声音 — statements drafted by PR, approved by the commander, published as the one current
voice per audience. These tests go through crisis.services, the only writer."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import override_settings
from django.utils import timezone, translation

from config.errors import NotAllowed, RuleBroken
from crisis.voice import services
from crisis.voice.models import Statement, StatementRevision, StatementState
from incidents import services as incident_services
from incidents.models import Deadline, DeadlineState, EntryKind, Incident, TimelineEntry
from incidents.timeline import describe
from tests import factories

from .voice_helpers import (
    approved,
    drafted,
    from_legal_template,
    in_review,
    incident_with_playbook,
    make_spokesperson,
    published,
)

pytestmark = pytest.mark.django_db


def statement_entries(incident, statement=None):
    entries = TimelineEntry.objects.filter(incident=incident, kind="statement").order_by("seq")
    if statement is not None:
        entries = [e for e in entries if e.data.get("statement") == statement.pk]
    return list(entries)


# --- Drafting from a template ---------------------------------------------------------------------------


@override_settings(CRISIS_COMPANY_NAME="阳光置业", CRISIS_HOTLINE="400-123-4567")
def test_a_template_is_filled_from_the_incident_in_the_chosen_language(pb_incident, pr, commander):
    template = services.templates_for(pb_incident).get(audience="public")
    zh = services.create_statement(pb_incident.pk, by=pr, template=template.pk, language="zh")
    declared = timezone.localtime(pb_incident.declared_at).strftime("%Y-%m-%d %H:%M")
    assert zh.title == f"关于{pb_incident.location}事件的说明"
    assert zh.body.startswith(f"{declared}，{pb_incident.location}发生{pb_incident.title}。")
    assert "{{" not in zh.body and "下次更新：" in zh.body
    assert (zh.audience, zh.purpose, zh.language, zh.template, zh.state) == (
        "public",
        "holding",
        "zh",
        template,
        "draft",
    )
    assert zh.needs_second_review is False

    en = services.create_statement(pb_incident.pk, by=pr, template=template.pk, language="en")
    assert en.title == f"Statement on the incident at {pb_incident.location}"
    assert en.body.startswith(f"At {declared}, {pb_incident.title} at {pb_incident.location}.")


def test_placeholder_values_translate_labels_and_fall_back_sensibly(pb_incident, commander):
    zh = services.placeholder_values(pb_incident, "zh")
    en = services.placeholder_values(pb_incident, "en")
    with translation.override("zh-hans"):
        assert zh["kind"] == str(pb_incident.get_kind_display())
        assert zh["severity"] == str(pb_incident.get_severity_display())
    assert en["kind"] == "Site safety" and en["severity"] == "II · Major"
    assert zh["kind"] != en["kind"]
    # No spokesperson named: the commander speaks. No company configured: a visible gap to fill.
    assert en["spokesperson"] == en["commander"] == "Zhang Wei"
    assert en["company"] == "【company name】" and zh["company"] == "【公司名称】"
    now = timezone.now()
    values = services.placeholder_values(pb_incident, "en", now=now)
    assert values["now"] == timezone.localtime(now).strftime("%Y-%m-%d %H:%M")
    # Severity II: the playbook's (default) interval is two hours, said as a span from publishing.
    assert values["next_update"] == "within 2 hours" and zh["next_update"] == "2小时内"


def test_given_title_and_body_win_over_the_template(pb_incident, pr):
    template = services.templates_for(pb_incident).get()
    statement = services.create_statement(pb_incident.pk, by=pr, template=template.pk, title="Own title", body="")
    assert statement.title == "Own title"
    assert "{{" not in statement.body and statement.body  # the body came from the template


def test_a_template_must_belong_to_the_incidents_playbook_and_audience(pb_incident, legal_incident, pr):
    foreign = services.templates_for(legal_incident).get()
    with pytest.raises(ValidationError) as exc:
        services.create_statement(pb_incident.pk, by=pr, template=foreign.pk)
    assert "template" in exc.value.message_dict
    own = services.templates_for(pb_incident).get()
    with pytest.raises(ValidationError) as exc:
        services.create_statement(pb_incident.pk, by=pr, template=own.pk, audience="regulator")
    assert "template" in exc.value.message_dict
    assert not Statement.objects.exists()


@pytest.mark.parametrize(
    "fields,bad",
    [
        ({"audience": "press", "title": "t", "body": "b"}, "audience"),
        ({"title": "t", "body": "b"}, "audience"),
        ({"audience": "public", "title": "", "body": "b"}, "title"),
        ({"audience": "public", "title": "t", "body": "   "}, "body"),
        ({"audience": "public", "title": "x" * 201, "body": "b"}, "title"),
        ({"audience": "public", "title": "t", "body": "b", "language": "fr"}, "language"),
        ({"audience": "public", "title": "t", "body": "b", "purpose": "gossip"}, "purpose"),
        ({"audience": "public", "title": 5, "body": "b"}, "title"),
    ],
)
def test_bad_input_is_a_clear_validation_error_and_writes_nothing(incident, pr, fields, bad):
    before = incident.last_seq
    with pytest.raises(ValidationError) as exc:
        services.create_statement(incident.pk, by=pr, **fields)
    assert bad in exc.value.message_dict
    assert not Statement.objects.exists()
    assert Incident.objects.get(pk=incident.pk).last_seq == before


# --- The lifecycle, every step on the timeline -------------------------------------------------------------


def test_the_whole_lifecycle_is_on_the_timeline_with_who_and_when(pb_incident, pr, commander):
    statement = drafted(pb_incident, pr)
    services.submit_statement(statement.pk, by=pr)
    services.approve_statement(statement.pk, by=commander)
    services.publish_statement(statement.pk, by=commander)
    entries = statement_entries(pb_incident, statement)
    assert [e.data["action"] for e in entries] == ["drafted", "submitted", "approved", "published"]
    assert [e.actor for e in entries] == [pr, pr, commander, commander]
    statement.refresh_from_db()
    assert statement.state == StatementState.PUBLISHED
    assert (statement.drafted_by, statement.approved_by, statement.published_by) == (pr, commander, commander)
    assert statement.submitted_at <= statement.approved_at <= statement.published_at
    with translation.override("en"):
        assert describe(entries[-1].kind, entries[-1].data) == "Statement published to Public: “We are responding”"


def test_rejection_goes_back_to_the_drafter_with_a_comment_and_can_be_resubmitted(pb_incident, pr, commander):
    statement = in_review(pb_incident, pr)
    with pytest.raises(ValidationError):
        services.reject_statement(statement.pk, by=commander, comment="  ")
    rejected = services.reject_statement(statement.pk, by=commander, comment="Say when the next update comes.")
    assert rejected.state == StatementState.REJECTED
    assert (rejected.rejected_by, rejected.rejection_comment) == (commander, "Say when the next update comes.")
    assert statement_entries(pb_incident, statement)[-1].text == "Say when the next update comes."
    with pytest.raises(RuleBroken):
        services.publish_statement(statement.pk, by=commander)
    # The drafter edits (it stays rejected, the comment visible) and resubmits.
    edited = services.edit_statement(statement.pk, by=pr, title=rejected.title, body="Facts. Next update at 12:00.")
    assert edited.state == StatementState.REJECTED and edited.version == 2
    resubmitted = services.submit_statement(statement.pk, by=pr)
    assert resubmitted.state == StatementState.IN_REVIEW
    assert services.approve_statement(statement.pk, by=commander).state == StatementState.APPROVED


def test_editing_an_approved_statement_sends_it_back_to_review(pb_incident, pr, commander):
    statement = approved(pb_incident, pr, commander)
    edited = services.edit_statement(statement.pk, by=pr, title=statement.title, body="New words.")
    assert edited.state == StatementState.IN_REVIEW
    assert edited.approved_by is None and edited.approved_at is None and edited.approved_body == ""
    with pytest.raises(RuleBroken):
        services.publish_statement(statement.pk, by=commander)
    assert statement_entries(pb_incident, statement)[-1].data["returned_to_review"] is True
    assert list(StatementRevision.objects.filter(statement=statement).values_list("number", "body")) == [
        (1, "Facts so far."),
        (2, "New words."),
    ]


def test_an_approval_names_the_version_read_so_a_late_edit_is_not_approved_by_accident(pb_incident, pr, commander):
    statement = in_review(pb_incident, pr)
    read = statement.version
    services.edit_statement(statement.pk, by=pr, title=statement.title, body="Changed while the commander read.")
    with pytest.raises(RuleBroken) as exc:
        services.approve_statement(statement.pk, by=commander, version=read)
    assert exc.value.details["version"] == read + 1
    assert Statement.objects.get(pk=statement.pk).approved_by is None
    assert services.approve_statement(statement.pk, by=commander, version=read + 1).state == StatementState.APPROVED


def test_steps_out_of_order_are_conflicts(pb_incident, pr, commander):
    statement = drafted(pb_incident, pr)
    for step in (services.approve_statement, services.publish_statement):
        with pytest.raises(RuleBroken):
            step(statement.pk, by=commander)
    with pytest.raises(RuleBroken):
        services.reject_statement(statement.pk, by=commander, comment="x")
    services.submit_statement(statement.pk, by=pr)
    with pytest.raises(RuleBroken):
        services.submit_statement(statement.pk, by=pr)
    services.approve_statement(statement.pk, by=commander)
    with pytest.raises(RuleBroken):
        services.approve_statement(statement.pk, by=commander)
    services.publish_statement(statement.pk, by=commander)
    with pytest.raises(RuleBroken):
        services.publish_statement(statement.pk, by=commander)
    with pytest.raises(RuleBroken):
        services.edit_statement(statement.pk, by=pr, title="t", body="b")
    assert Statement.objects.get(pk=statement.pk).state == StatementState.PUBLISHED


# --- One current voice: supersession and history ------------------------------------------------------------


def test_publishing_supersedes_the_current_statement_and_history_stays_readable(pb_incident, pr, commander):
    first = published(pb_incident, pr, commander, title="Holding statement")
    second = published(pb_incident, pr, commander, title="Update at noon")
    other_audience = published(pb_incident, pr, commander, audience="staff", title="To all staff")
    first.refresh_from_db()
    assert first.state == StatementState.SUPERSEDED
    assert first.superseded_by == second and first.superseded_at >= first.published_at
    assert services.current_statement(pb_incident, "public") == second
    assert services.current_statement(pb_incident, "staff") == other_audience
    assert services.current_statement(pb_incident, "media") is None
    assert list(services.statement_history(pb_incident, "public")) == [second, first]
    assert first.title == "Holding statement" and first.approved_by == commander  # readable, as it was
    actions = [e.data["action"] for e in statement_entries(pb_incident)]
    assert actions.count("superseded") == 1
    superseded = next(e for e in statement_entries(pb_incident) if e.data["action"] == "superseded")
    assert superseded.data["statement"] == first.pk and superseded.data["superseded_by"] == second.pk
    assert Statement.objects.filter(incident=pb_incident, state=StatementState.PUBLISHED).count() == 2


def test_withdrawing_the_current_statement_leaves_the_audience_without_one(pb_incident, pr, commander):
    statement = published(pb_incident, pr, commander)
    with pytest.raises(ValidationError):
        services.withdraw_statement(statement.pk, by=commander, reason="")
    withdrawn = services.withdraw_statement(statement.pk, by=commander, reason="Facts changed.")
    assert withdrawn.state == StatementState.WITHDRAWN and withdrawn.withdrawn_reason == "Facts changed."
    assert services.current_statement(pb_incident, "public") is None
    with pytest.raises(RuleBroken):
        services.withdraw_statement(statement.pk, by=commander, reason="again")


def test_a_drafter_withdraws_their_own_draft(pb_incident, pr, commander):
    statement = drafted(pb_incident, pr)
    other_pr = factories.pr_user()
    with pytest.raises(NotAllowed):
        services.withdraw_statement(statement.pk, by=other_pr, reason="not mine")
    assert services.withdraw_statement(statement.pk, by=pr, reason="Duplicate.").state == StatementState.WITHDRAWN


# --- Deadlines met by publishing ----------------------------------------------------------------------------


def test_publishing_meets_the_deadlines_it_answers_with_the_statement_as_evidence(pb_incident, pr, commander):
    holding = Deadline.objects.get(incident=pb_incident, code="holding-statement")
    report = Deadline.objects.get(incident=pb_incident, code="report-authority")
    customers = Deadline.objects.get(incident=pb_incident, code="customer-reply")
    draft = approved(pb_incident, pr, commander, title="Holding statement")
    assert Deadline.objects.get(pk=holding.pk).state == DeadlineState.PENDING  # approval alone meets nothing

    statement = services.publish_statement(draft.pk, by=commander)
    holding.refresh_from_db()
    assert holding.state == DeadlineState.MET
    assert holding.evidence_ref == f"statement:{statement.pk}"
    assert "Holding statement" in holding.evidence and holding.met_by == commander
    assert holding.met_at == statement.published_at or holding.met_at >= statement.published_at
    assert Deadline.objects.get(pk=report.pk).state == DeadlineState.PENDING  # another audience

    regulator = published(pb_incident, pr, commander, audience="regulator", title="Report")
    report.refresh_from_db()
    assert (report.state, report.evidence_ref) == (DeadlineState.MET, f"statement:{regulator.pk}")
    published(pb_incident, pr, commander, audience="customers", title="To owners")
    customers.refresh_from_db()
    assert customers.state == DeadlineState.PENDING  # its rule is not met by a statement
    met = TimelineEntry.objects.filter(incident=pb_incident, kind=EntryKind.DEADLINE, data__state="met")
    assert met.count() == 2


def test_a_later_statement_does_not_meet_a_deadline_twice(pb_incident, pr, commander):
    first = published(pb_incident, pr, commander)
    published(pb_incident, pr, commander, title="Update")
    holding = Deadline.objects.get(incident=pb_incident, code="holding-statement")
    assert holding.evidence_ref == f"statement:{first.pk}"


def test_a_missed_deadline_is_met_late_by_the_statement(pb_incident, pr, commander):
    Deadline.objects.filter(incident=pb_incident, code="holding-statement").update(
        state=DeadlineState.BREACHED, breached_at=timezone.now()
    )
    statement = published(pb_incident, pr, commander)
    holding = Deadline.objects.get(incident=pb_incident, code="holding-statement")
    assert (holding.state, holding.evidence_ref) == (DeadlineState.MET, f"statement:{statement.pk}")
    entry = TimelineEntry.objects.filter(incident=pb_incident, kind=EntryKind.DEADLINE).latest("seq")
    assert entry.data["late"] is True


# --- Second review -----------------------------------------------------------------------------------------


def test_a_second_review_template_needs_both_approvals_in_either_order(legal_incident, pr, commander, admin):
    first = from_legal_template(legal_incident, pr)
    assert first.needs_second_review
    after_commander = services.approve_statement(first.pk, by=commander)
    assert after_commander.state == StatementState.IN_REVIEW  # awaiting the second review
    with pytest.raises(RuleBroken):
        services.publish_statement(first.pk, by=commander)
    with pytest.raises(RuleBroken):
        services.approve_statement(first.pk, by=commander)
    done = services.second_review_statement(first.pk, by=admin)
    assert done.state == StatementState.APPROVED and done.second_reviewer == admin
    assert services.publish_statement(first.pk, by=commander).state == StatementState.PUBLISHED

    second = from_legal_template(legal_incident, pr)
    services.second_review_statement(second.pk, by=admin)
    assert Statement.objects.get(pk=second.pk).state == StatementState.IN_REVIEW
    assert services.approve_statement(second.pk, by=commander).state == StatementState.APPROVED
    entries = statement_entries(legal_incident, second)
    assert [e.data["action"] for e in entries][-2:] == ["second_review", "approved"]


def test_the_two_reviews_come_from_two_people(legal_incident, pr, admin):
    statement = from_legal_template(legal_incident, pr)
    services.approve_statement(statement.pk, by=admin)  # an admin may approve as the commander does
    with pytest.raises(RuleBroken):
        services.second_review_statement(statement.pk, by=admin)
    assert Statement.objects.get(pk=statement.pk).state == StatementState.IN_REVIEW


def test_editing_voids_a_partial_approval(legal_incident, pr, commander, admin):
    statement = from_legal_template(legal_incident, pr)
    services.approve_statement(statement.pk, by=commander)
    services.edit_statement(statement.pk, by=pr, title=statement.title, body="Changed after the commander read it.")
    services.second_review_statement(statement.pk, by=admin)
    statement.refresh_from_db()
    assert statement.state == StatementState.IN_REVIEW and statement.approved_by is None


def test_a_second_review_only_where_the_template_asks_and_the_reviewer_may_reject(
    pb_incident, legal_incident, pr, commander, admin
):
    plain = in_review(pb_incident, pr)
    with pytest.raises(RuleBroken):
        services.second_review_statement(plain.pk, by=admin)
    legal = from_legal_template(legal_incident, pr)
    with pytest.raises(NotAllowed):
        services.second_review_statement(legal.pk, by=commander)  # commanders are not legal
    rejected = services.reject_statement(legal.pk, by=admin, comment="Do not admit liability.")
    assert rejected.state == StatementState.REJECTED


# --- The permission matrix ---------------------------------------------------------------------------------

ACTORS = ("admin", "commander", "other_commander", "drafter", "other_pr", "spokesperson", "responder", "executive")
OK, FORBIDDEN, CONFLICT = "ok", 403, 409

# What each person may do: "ok", 403 (not allowed) or 409 (a commander, but not of this incident).
MATRIX: dict[str, dict[str, object]] = {
    "draft": dict(admin=OK, commander=FORBIDDEN, other_commander=FORBIDDEN, drafter=OK, other_pr=OK,
                  spokesperson=OK, responder=FORBIDDEN, executive=FORBIDDEN),
    "submit": dict(admin=OK, commander=FORBIDDEN, other_commander=FORBIDDEN, drafter=OK, other_pr=OK,
                   spokesperson=OK, responder=FORBIDDEN, executive=FORBIDDEN),
    "approve": dict(admin=OK, commander=OK, other_commander=CONFLICT, drafter=FORBIDDEN, other_pr=FORBIDDEN,
                    spokesperson=FORBIDDEN, responder=FORBIDDEN, executive=FORBIDDEN),
    "reject": dict(admin=OK, commander=OK, other_commander=CONFLICT, drafter=FORBIDDEN, other_pr=FORBIDDEN,
                   spokesperson=FORBIDDEN, responder=FORBIDDEN, executive=FORBIDDEN),
    "second_review": dict(admin=OK, commander=FORBIDDEN, other_commander=FORBIDDEN, drafter=FORBIDDEN,
                          other_pr=FORBIDDEN, spokesperson=FORBIDDEN, responder=FORBIDDEN, executive=FORBIDDEN),
    "publish": dict(admin=OK, commander=OK, other_commander=CONFLICT, drafter=FORBIDDEN, other_pr=FORBIDDEN,
                    spokesperson=OK, responder=FORBIDDEN, executive=FORBIDDEN),
    "withdraw_published": dict(admin=OK, commander=OK, other_commander=CONFLICT, drafter=FORBIDDEN,
                               other_pr=FORBIDDEN, spokesperson=OK, responder=FORBIDDEN, executive=FORBIDDEN),
    "withdraw_draft": dict(admin=OK, commander=OK, other_commander=FORBIDDEN, drafter=OK, other_pr=FORBIDDEN,
                           spokesperson=FORBIDDEN, responder=FORBIDDEN, executive=FORBIDDEN),
}  # fmt: skip


class Cast:
    """An incident with its commander, a named spokesperson, and one person of each other kind."""

    def __init__(self, *, legal: bool = False):
        from .voice_helpers import legal_version, sample_version

        self.commander = factories.commander_user()
        version = legal_version() if legal else sample_version()
        self.incident = incident_with_playbook(self.commander, version=version)
        self.people = {
            "admin": factories.admin_user(),
            "commander": self.commander,
            "other_commander": factories.commander_user(),
            "drafter": factories.pr_user(),
            "other_pr": factories.pr_user(),
            "spokesperson": make_spokesperson(self.incident, self.commander),
            "responder": factories.responder_user(),
            "executive": factories.exec_user(),
        }
        self.legal = legal

    @property
    def drafter(self):
        return self.people["drafter"]

    def statement_for(self, action: str) -> Statement | None:
        """A fresh statement in the state the action applies to."""
        if action == "draft":
            return None
        if action in ("submit", "withdraw_draft"):
            return drafted(self.incident, self.drafter)
        if action in ("approve", "reject"):
            return in_review(self.incident, self.drafter)
        if action == "second_review":
            statement = from_legal_template(self.incident, self.drafter)
            return services.approve_statement(statement.pk, by=self.commander)
        if action == "publish":
            return approved(self.incident, self.drafter, self.commander)
        return published(self.incident, self.drafter, self.commander)  # withdraw_published


def run_action(action: str, statement: Statement | None, user, incident) -> object:
    calls = {
        "draft": lambda: services.create_statement(incident.pk, by=user, audience="media", title="t", body="b"),
        "submit": lambda: services.submit_statement(statement.pk, by=user),
        "approve": lambda: services.approve_statement(statement.pk, by=user),
        "reject": lambda: services.reject_statement(statement.pk, by=user, comment="No."),
        "second_review": lambda: services.second_review_statement(statement.pk, by=user),
        "publish": lambda: services.publish_statement(statement.pk, by=user),
        "withdraw_published": lambda: services.withdraw_statement(statement.pk, by=user, reason="Wrong."),
        "withdraw_draft": lambda: services.withdraw_statement(statement.pk, by=user, reason="Wrong."),
    }
    try:
        calls[action]()
    except RuleBroken:
        return CONFLICT
    except PermissionDenied:
        return FORBIDDEN
    return OK


@pytest.mark.parametrize("action", sorted(MATRIX))
def test_permission_matrix_through_the_services(action):
    cast = Cast(legal=action == "second_review")
    for actor in ACTORS:
        statement = cast.statement_for(action)
        before = Statement.objects.get(pk=statement.pk).state if statement else Statement.objects.count()
        got = run_action(action, statement, cast.people[actor], cast.incident)
        assert got == MATRIX[action][actor], f"{action} by {actor}: got {got}"
        if got != OK:  # a refusal changes nothing
            after = Statement.objects.get(pk=statement.pk).state if statement else Statement.objects.count()
            assert after == before


def test_statement_actions_mirror_the_matrix(pb_incident, pr, commander, responder):
    statement = approved(pb_incident, pr, commander)
    assert services.statement_actions(commander, statement) == ["publish", "withdraw"]
    assert services.statement_actions(pr, statement) == ["edit", "withdraw"]  # pr drafted it
    assert services.statement_actions(responder, statement) == []
    review = in_review(pb_incident, pr)
    assert services.statement_actions(commander, review) == ["approve", "reject", "withdraw"]
    assert services.statement_actions(pr, review) == ["edit", "withdraw"]


# --- Visibility and closed incidents ----------------------------------------------------------------------


def test_restricted_incidents_hide_their_statements_from_outsiders(commander, pr, executive):
    incident = incident_with_playbook(commander, restricted=True)
    with pytest.raises(Incident.DoesNotExist):
        services.create_statement(incident.pk, by=pr, audience="public", title="t", body="b")
    spokesperson = make_spokesperson(incident, commander, pr)
    statement = drafted(incident, spokesperson)
    outsider = factories.pr_user()
    with pytest.raises(Statement.DoesNotExist):
        services.get_visible_statement(statement.pk, outsider)
    with pytest.raises(Statement.DoesNotExist):
        services.submit_statement(statement.pk, by=outsider)
    assert services.get_visible_statement(statement.pk, executive) == statement


def test_a_closed_incident_takes_no_new_words(pb_incident, pr, commander):
    current = published(pb_incident, pr, commander)
    for name in ("activate", "resolve", "close"):
        incident_services.transition_incident(pb_incident.pk, by=commander, name=name, note="Done.")
    with pytest.raises(RuleBroken):
        drafted(pb_incident, pr)
    # Taking a wrong statement back stays possible after closing.
    assert services.withdraw_statement(current.pk, by=commander, reason="Wrong.").state == StatementState.WITHDRAWN
