"""The README's permission table is a promise: each row is checked here against what the console
really does, for a user of each group. A row without a check, or a check without a row, fails."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied

from config.errors import RuleBroken
from crisis import roles
from crisis.voice.models import Statement
from incidents import services
from incidents.models import Deadline, Incident, Task
from playbooks.models import Playbook
from tests import factories

README = Path(__file__).resolve().parents[2] / "README.md"
SAMPLE = (Path(__file__).resolve().parents[1] / "playbooks" / "sample.yaml").read_text(encoding="utf-8")
COLUMNS = {"admin": roles.ADMINS, "commander": roles.COMMANDERS, "pr": roles.PR_STAFF,
           "responder": roles.RESPONDERS, "exec": roles.EXECUTIVES,
           "handler": roles.COMPLAINT_HANDLERS, "manager": roles.BUSINESS_MANAGERS}  # fmt: skip


def read_table() -> tuple[list[str], dict[str, list[str]]]:
    text = README.read_text(encoding="utf-8")
    section = text.split("<!-- permission-table -->")[1].split("<!-- /permission-table -->")[0]
    rows = [line for line in section.splitlines() if line.startswith("|")]
    header = [c.strip() for c in rows[0].strip("|").split("|")]
    table = {}
    for line in rows[2:]:
        cells = [c.strip() for c in line.strip("|").split("|")]
        table[re.sub(r"\s+", " ", cells[0])] = cells[1:]
    return header[1:], table


def attempt(call: Callable[[], object]) -> bool:
    try:
        call()
    except (PermissionDenied, Incident.DoesNotExist, Task.DoesNotExist, Deadline.DoesNotExist, Statement.DoesNotExist):
        return False
    except RuleBroken:
        # E.g. "X commands this incident now": refused because someone else holds the role. The
        # checks set up no other rule in a permitted user's way, so a refusal is a refusal.
        return False
    return True


def _other_commander():
    return factories.commander_user()


def _incident_led_by(user, **kw):
    lead = user if user.has_perm("incidents.command_incident") else _other_commander()
    return factories.declare(lead, commander=lead, **kw)


# Each check gets the user and whether the cell applies to incidents the user commands ("own").
CHECKS: dict[str, Callable[..., bool]] = {}


def check(action: str):
    def register(fn):
        CHECKS[action] = fn
        return fn

    return register


@check("See the board and open incidents")
def _see(user, own):
    incident = factories.declare(_other_commander())
    return attempt(lambda: services.get_visible_incident(incident.pk, user))


@check("See restricted incidents without taking part")
def _see_restricted(user, own):
    incident = factories.declare(_other_commander(), restricted=True)
    return attempt(lambda: services.get_visible_incident(incident.pk, user))


@check("Declare an incident")
def _declare(user, own):
    return attempt(lambda: factories.declare(user))


@check("Add a note to the timeline")
def _note(user, own):
    incident = factories.declare(_other_commander())
    return attempt(lambda: services.add_note(incident.pk, by=user, text="note"))


@check("Take command of an incident that has no commander")
def _take(user, own):
    incident = factories.declare(_other_commander())
    return attempt(lambda: services.change_command(incident.pk, by=user, to=user))


@check("Hand over command")
def _hand_over(user, own):
    incident = _incident_led_by(user) if own else _incident_led_by(_other_commander())
    target = factories.commander_user()
    return attempt(lambda: services.change_command(incident.pk, by=user, to=target, briefing="Briefing."))


@check("Change an incident's status")
def _status(user, own):
    incident = _incident_led_by(user) if own else _incident_led_by(_other_commander())
    return attempt(lambda: services.transition_incident(incident.pk, by=user, name="activate"))


@check("Assign roles (spokesperson, scribe, liaison, responder)")
def _roles(user, own):
    incident = _incident_led_by(user) if own else _incident_led_by(_other_commander())
    someone = factories.responder_user()
    return attempt(lambda: services.assign_role(incident.pk, by=user, user=someone, role="scribe"))


@check("Pin a timeline entry as a decision (also anyone with a role in the incident)")
def _pin(user, own):
    incident = _incident_led_by(user) if own else _incident_led_by(_other_commander())
    return attempt(lambda: services.pin_entry(incident.pk, by=user, seq=1))


def _playbook_incident(user, own):
    from playbooks.exchange import import_text

    if not Playbook.objects.filter(slug="test-site").exists():
        import_text(SAMPLE, publish=True)
    return _incident_led_by(user) if own else _incident_led_by(_other_commander())


@check("Skip a required task (with a reason)")
def _skip(user, own):
    incident = _playbook_incident(user, own)
    task = Task.objects.get(incident=incident, title_en="First assessment")
    return attempt(lambda: services.update_task(task.pk, by=user, state="skipped", note="Not needed."))


@check("Waive a deadline (with a reason)")
def _waive(user, own):
    incident = _playbook_incident(user, own)
    deadline = Deadline.objects.get(incident=incident, code="customer-reply")
    return attempt(lambda: services.waive_deadline(deadline.pk, by=user, reason="No owners affected."))


@check("Add a deadline or move one")
def _add_or_move(user, own):
    from datetime import timedelta

    from django.utils import timezone

    incident = _playbook_incident(user, own)
    due = timezone.now() + timedelta(days=1)
    added = attempt(lambda: services.add_deadline(incident.pk, by=user, audience="regulator", title="x", due_at=due))
    deadline = Deadline.objects.get(incident=incident, code="customer-reply")
    moved = attempt(lambda: services.move_deadline(deadline.pk, by=user, due_at=due, reason="extension"))
    assert added == moved
    return added


@check("Edit playbooks in the admin site")
def _playbooks(user, own):
    return user.is_staff and user.has_perm("playbooks.change_playbook")


# --- One voice ---------------------------------------------------------------------------------------------


def _voice_incident(user, own, *, legal=False):
    from tests.crisis import voice_helpers

    version = voice_helpers.legal_version() if legal else voice_helpers.sample_version()
    lead = user if own else _other_commander()
    return voice_helpers.incident_with_playbook(lead, version=version)


@check("Draft and submit statements and Q&A lines")
def _draft(user, own):
    from crisis.voice import services as voice

    incident = _voice_incident(user, own)
    drafted = attempt(lambda: voice.create_statement(incident.pk, by=user, audience="public", title="t", body="b"))
    lined = attempt(lambda: voice.create_line(incident.pk, by=user, question="q", answer="a"))
    statement = voice.create_statement(incident.pk, by=factories.pr_user(), audience="media", title="t", body="b")
    submitted = attempt(lambda: voice.submit_statement(statement.pk, by=user))
    assert drafted == lined == submitted
    return drafted


@check("Approve or reject statements and Q&A lines")
def _approve(user, own):
    from crisis.voice import services as voice
    from tests.crisis import voice_helpers

    incident = _voice_incident(user, own)
    drafter = factories.pr_user()
    approved = attempt(lambda: voice.approve_statement(voice_helpers.in_review(incident, drafter).pk, by=user))
    statement = voice_helpers.in_review(incident, drafter)
    rejected = attempt(lambda: voice.reject_statement(statement.pk, by=user, comment="No."))
    line = voice.create_line(incident.pk, by=drafter, question="q", answer="a")
    voice.submit_line(line.pk, by=drafter)
    line_approved = attempt(lambda: voice.approve_line(line.pk, by=user))
    assert approved == rejected == line_approved
    return approved


@check("Give the second (legal) review of a statement")
def _second_review(user, own):
    from crisis.voice import services as voice
    from tests.crisis import voice_helpers

    incident = _voice_incident(user, own, legal=True)
    statement = voice_helpers.from_legal_template(incident, factories.pr_user())
    if incident.commander != user:  # the commander's approval comes from someone else
        voice.approve_statement(statement.pk, by=incident.commander)
    return attempt(lambda: voice.second_review_statement(statement.pk, by=user))


@check("Publish an approved statement")
def _publish(user, own):
    from crisis.voice import services as voice
    from tests.crisis import voice_helpers

    incident = _voice_incident(user, own)
    statement = voice_helpers.approved(incident, factories.pr_user(), incident.commander)
    return attempt(lambda: voice.publish_statement(statement.pk, by=user))


@check("Withdraw a published statement or a Q&A line in force")
def _withdraw(user, own):
    from crisis.voice import services as voice
    from tests.crisis import voice_helpers

    incident = _voice_incident(user, own)
    drafter = factories.pr_user()
    statement = voice_helpers.published(incident, drafter, incident.commander)
    withdrawn = attempt(lambda: voice.withdraw_statement(statement.pk, by=user, reason="Wrong."))
    line = voice.create_line(incident.pk, by=drafter, question="q", answer="a")
    voice.submit_line(line.pk, by=drafter)
    voice.approve_line(line.pk, by=incident.commander)
    line_withdrawn = attempt(lambda: voice.withdraw_line(line.pk, by=user, reason="Wrong."))
    assert withdrawn == line_withdrawn
    return withdrawn


# --- Complaints --------------------------------------------------------------------------------------


def _complaint(level: int = 0):
    from incidents.complaints import services as complaints
    from incidents.complaints.models import EscalationRule
    from tests.incidents.complaint_helpers import body

    EscalationRule.objects.all().delete()  # a plain complaint, whatever the default rules say
    complaint, _ = complaints.intake(by=factories.responder_user(), data=body())
    if level:
        from incidents.complaints.models import Complaint

        Complaint.objects.filter(pk=complaint.pk).update(level=level)
        complaint.refresh_from_db()
    return complaint


@check("Log a complaint; follow complaints with names and phones masked")
def _log_complaint(user, own):
    from incidents.complaints import services as complaints
    from tests.incidents.complaint_helpers import body

    logged = attempt(lambda: complaints.intake(by=user, data=body()))
    seen = attempt(lambda: complaints.get_complaint(_complaint().pk, user))
    assert logged == seen
    return logged


@check("See a complaint's customer name and phone (each view is logged)")
def _personal(user, own):
    from incidents.complaints import services as complaints
    from incidents.complaints.models import ComplaintView

    complaint = _complaint()
    unmasked = not complaints.personal_details(complaint, user, via="api")["masked"]
    assert ComplaintView.objects.filter(complaint=complaint, user=user).exists() == unmasked
    return unmasked


def _handles(user, level: int) -> bool:
    from incidents.complaints import services as complaints

    complaint = _complaint(level)
    return attempt(lambda: complaints.act(complaint.pk, by=user, action="acknowledge"))


@check("Handle a complaint at the front line (acknowledge to close)")
def _handle_front_line(user, own):
    return _handles(user, 0)


@check("Handle a complaint escalated to the business manager")
def _handle_business_manager(user, own):
    return _handles(user, 1)


@check("Approve a front-line promise of compensation above the limit")
def _approve_compensation(user, own):
    from incidents.complaints import services as complaints
    from tests.incidents.complaint_helpers import handler_user

    complaint = _complaint()
    handler = handler_user()
    complaints.act(complaint.pk, by=handler, action="acknowledge")
    complaints.act(complaint.pk, by=handler, action="investigate", data={"facts": "f"})
    complaints.act(
        complaint.pk, by=handler, action="propose", data={"root_cause": "r", "solution": "s", "compensation": "999999"}
    )
    return attempt(lambda: complaints.act(complaint.pk, by=user, action="approve"))


def _written_reply(complaint):
    from datetime import timedelta

    from django.utils import timezone

    from incidents.complaints import services as complaints
    from tests.incidents.complaint_helpers import handler_user

    at = timezone.now() + timedelta(days=1)
    return complaints.schedule_reply(complaint.pk, by=handler_user(), method="written", at=at, text="Dear Mr Wang …")


@check("Confirm the text of a written reply (letter, fax) before it goes")
def _confirm_reply(user, own):
    from incidents.complaints import services as complaints

    reply = _written_reply(_complaint())
    return attempt(lambda: complaints.confirm_reply(reply.pk, by=user, text=reply.text))


@check("Say which staff member a complaint is about (they are kept off it)")
def _name_complained_about(user, own):
    from incidents.complaints import services as complaints
    from tests.incidents.complaint_helpers import handler_user

    complaint = _complaint()
    return attempt(lambda: complaints.set_complained_about(complaint.pk, by=user, user=handler_user()))


@check("Extend a complaint's resolution limit, as far as its profile allows")
def _extend(user, own):
    from incidents.complaints import defaults
    from incidents.complaints import services as complaints
    from incidents.complaints.models import TimeLimitProfile

    defaults.create_banking_profile(TimeLimitProfile)
    TimeLimitProfile.objects.update(in_force=False)
    TimeLimitProfile.objects.filter(name=defaults.BANKING_PROFILE["name"]).update(in_force=True)
    complaint = _complaint()
    return attempt(lambda: complaints.extend_resolution(complaint.pk, by=user, days=20, reason="Insurer."))


@check("See who is on duty as commander")
def _see_duty(user, own):
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(user)
    return client.get("/api/duty/").status_code == 200


@check("Edit the duty roster in the admin site")
def _roster(user, own):
    return user.is_staff and user.has_perm("oncall.change_dutyrotation") and user.has_perm("oncall.add_dutyoverride")


@check("Edit how long a page waits before it escalates, in the admin site")
def _escalation_policy(user, own):
    return user.is_staff and user.has_perm("incidents.change_escalationpolicy")


@check("Acknowledge a page sent to oneself")
def _acknowledge_page(user, own):
    from incidents.notify import delivery as notify

    pages = notify.send(event="incident_declared", recipients=[user], data={}, topic=("incident", None), needs_ack=True)
    return attempt(lambda: notify.acknowledge(pages[0].pk, user))


@check("Edit escalation rules in the admin site")
def _rules(user, own):
    return user.is_staff and user.has_perm("complaints.change_escalationrule")


def expected(cell: str, own: bool) -> bool:
    cell = cell.lower()
    if cell.startswith("yes"):
        return True
    if cell.startswith("own"):
        return own
    assert cell.startswith("no"), f"unknown cell {cell!r}"
    return False


def test_every_row_has_a_check_and_every_check_a_row():
    header, table = read_table()
    assert header == list(COLUMNS)
    assert set(table) == set(CHECKS)


@pytest.mark.django_db
@pytest.mark.parametrize("action", sorted(CHECKS))
def test_row(action):
    header, table = read_table()
    for column, cell in zip(header, table[action], strict=True):
        group = COLUMNS[column]
        user = factories.UserFactory(group=group, is_staff=(group == roles.ADMINS))
        for own in (True, False) if cell.lower().startswith("own") else (False,):
            if own and not user.has_perm("incidents.command_incident"):
                continue
            got = CHECKS[action](user, own)
            assert got == expected(cell, own), f"{action!r} for {column} (own={own}): README says {cell!r}"
