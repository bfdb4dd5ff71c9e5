"""Timer planning and handling, and notification delivery, without a worker: the services and
the handler are called directly (the worker tests drive the same code through Celery)."""

import hashlib
import hmac
import json
from datetime import timedelta
from pathlib import Path

import pytest
from django.core import mail
from django.utils import timezone

from incidents import services
from incidents.clock import alarms as clock
from incidents.clock.models import Alarm
from incidents.models import Deadline, DeadlineState, EntryKind, Task, TimelineEntry
from incidents.notify import delivery
from incidents.notify.models import Notification, NotificationPreference, NotificationState, WebhookEndpoint
from playbooks.exchange import import_text
from tests import factories
from tests.alarms import alarms_of, caused_by, incident_alarms, pending_of
from tests.concurrency import run_together
from tests.receivers import Receiver

SAMPLE = (Path(__file__).parents[1] / "playbooks" / "sample.yaml").read_text(encoding="utf-8")


@pytest.fixture
def running(db, commander):
    import_text(SAMPLE, publish=True)
    return factories.declare(commander, commander=commander)


def pending(owner=None, **kw):
    return (pending_of(owner) if owner is not None else Alarm.objects.pending()).filter(**kw)


def overdue(d_or_t, seconds=1):
    """Pretend an alarm's moment has passed (rather than sleeping)."""
    past = timezone.now() - timedelta(seconds=seconds)
    pending_of(d_or_t).update(fire_at=past)


# --- Planning ---------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_declaring_plans_reminders_breaches_and_the_first_hour(running):
    regulator = Deadline.objects.get(incident=running, code="report-authority")
    kinds = sorted(pending(regulator).values_list("kind", "lead_minutes"))
    assert kinds == [("breach", None), ("reminder", 10), ("reminder", 30)]
    breach = pending(regulator, kind="breach").get()
    assert breach.fire_at == regulator.due_at
    first_hour = pending(running, kind=EntryKind.FIRST_HOUR).get()
    assert first_hour.fire_at == running.declared_at + timedelta(hours=1)
    assessment = Task.objects.get(incident=running, title_en="First assessment")
    assert pending(assessment, kind="breach").get().fire_at == assessment.due_at
    # Alarms within the horizon are handed to the broker at once; later ones wait to be armed.
    soon = timezone.now() + clock.horizon()
    for alarm in incident_alarms(running):
        assert (alarm.armed_at is not None) == (alarm.fire_at <= soon), alarm
    customers = Deadline.objects.get(incident=running, code="customer-reply")
    assert pending(customers, kind="breach").get().armed_at is None


@pytest.mark.django_db
def test_meeting_moving_and_standing_down_cancel_alarms(running, commander):
    holding = Deadline.objects.get(incident=running, code="holding-statement")
    services.meet_deadline(holding.pk, by=commander, evidence="posted")
    assert not pending(holding).exists()
    regulator = Deadline.objects.get(incident=running, code="report-authority")
    old = set(pending(regulator).values_list("pk", flat=True))
    services.move_deadline(regulator.pk, by=commander, due_at=timezone.now() + timedelta(hours=3), reason="extension")
    assert not pending(pk__in=old).exists()
    assert pending(regulator, kind="breach").get().fire_at == Deadline.objects.get(pk=regulator.pk).due_at
    services.transition_incident(running.pk, by=commander, name="stand_down", note="False alarm.")
    assert not incident_alarms(running).exists()


@pytest.mark.django_db
def test_a_late_declaration_still_reminds_once(running, commander):
    regulator = Deadline.objects.get(incident=running, code="report-authority")
    services.move_deadline(regulator.pk, by=commander, due_at=timezone.now() + timedelta(minutes=5), reason="x")
    reminders = pending(regulator, kind="reminder")
    assert reminders.count() == 1  # both leads (30 and 10 minutes) have passed: one reminder, now
    assert reminders.get().lead_minutes == 10


# --- Handling ----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_breach_marks_the_deadline_records_and_escalates(running, commander, executive):
    regulator = Deadline.objects.get(incident=running, code="report-authority")
    overdue(regulator)
    breach = alarms_of(regulator).get(kind="breach")
    assert clock.handle(breach.pk, token=str(breach.token), via="eta")
    regulator.refresh_from_db()
    assert regulator.state == DeadlineState.BREACHED and regulator.breached_at
    entry = TimelineEntry.objects.get(incident=running, kind=EntryKind.BREACH)
    assert entry.data["deadline"] == regulator.pk
    # The rule escalates to the commander and the executives.
    told = set(caused_by(breach).filter(channel="in_app").values_list("recipient", flat=True))
    assert {commander.pk, executive.pk} <= told
    # Handling again does nothing.
    assert not clock.handle(breach.pk, token=str(breach.token), via="sweep")
    assert TimelineEntry.objects.filter(incident=running, kind=EntryKind.BREACH).count() == 1


@pytest.mark.django_db
def test_reminders_reach_those_who_can_act_not_the_executives(running, commander, executive):
    regulator = Deadline.objects.get(incident=running, code="report-authority")
    reminder = alarms_of(regulator).filter(kind="reminder").first()
    clock.handle(reminder.pk, token=None, via="sweep")
    told = set(caused_by(reminder).values_list("recipient", flat=True))
    assert commander.pk in told and executive.pk not in told
    assert Deadline.objects.get(pk=regulator.pk).state == DeadlineState.PENDING


@pytest.mark.django_db
def test_a_stale_token_or_a_met_deadline_does_nothing(running, commander):
    holding = Deadline.objects.get(incident=running, code="holding-statement")
    breach = alarms_of(holding).get(kind="breach")
    assert not clock.handle(breach.pk, token="00000000-0000-0000-0000-000000000000", via="eta")
    services.meet_deadline(holding.pk, by=commander, evidence="posted")
    assert not clock.handle(breach.pk, token=str(breach.token), via="eta")  # cancelled by meeting
    assert Deadline.objects.get(pk=holding.pk).state == DeadlineState.MET


@pytest.mark.django_db
def test_overdue_tasks_escalate_to_the_commander_and_the_assignee(running, commander, pr):
    review_task = Task.objects.get(incident=running, title_en="First assessment")
    services.update_task(review_task.pk, by=commander, assignee=pr)
    overdue(review_task)
    alarm = alarms_of(review_task).get(kind="breach", cancelled_at__isnull=True)
    clock.handle(alarm.pk, token=None, via="sweep")
    entry = TimelineEntry.objects.get(incident=running, kind=EntryKind.BREACH)
    assert entry.data["target"] == "task"
    told = set(caused_by(alarm).values_list("recipient", flat=True))
    assert {commander.pk, pr.pk} <= told


@pytest.mark.django_db
def test_the_first_hour_report(running, commander):
    assessment = Task.objects.get(incident=running, title_en="First assessment")
    services.update_task(assessment.pk, by=commander, state="done")
    holding = Deadline.objects.get(incident=running, code="holding-statement")
    services.meet_deadline(holding.pk, by=commander, evidence="posted")
    alarm = alarms_of(running).get(kind=EntryKind.FIRST_HOUR)
    clock.handle(alarm.pk, token=None, via="sweep")
    report = TimelineEntry.objects.get(incident=running, kind=EntryKind.FIRST_HOUR).data
    assert report["tasks_total"] == 2 and report["tasks_in_time"] == 2  # naming the commander, the assessment
    assert report["deadlines_total"] == 2  # the regulator report and the holding statement fall in the hour
    assert report["deadlines_in_time"] == 1


@pytest.mark.django_db
def test_the_sweep_handles_what_is_due_and_nothing_else(running):
    regulator = Deadline.objects.get(incident=running, code="report-authority")
    overdue(regulator)
    acted = clock.sweep()
    assert acted == 3  # the two reminders and the breach of the overdue deadline
    assert Deadline.objects.get(pk=regulator.pk).state == DeadlineState.BREACHED
    assert clock.sweep() == 0


@pytest.mark.django_db(transaction=True)
def test_concurrent_handlers_act_exactly_once():
    import_text(SAMPLE, publish=True)
    commander = factories.commander_user()
    incident = factories.declare(commander, commander=commander)
    regulator = Deadline.objects.get(incident=incident, code="report-authority")
    overdue(regulator)
    breach = alarms_of(regulator).get(kind="breach")
    outcomes = run_together(
        [lambda: clock.handle(breach.pk, token=str(breach.token), via="eta")] * 3
        + [lambda: clock.handle(breach.pk, token=None, via="sweep")] * 3
    )
    assert all(kind == "ok" for kind, _ in outcomes), outcomes
    assert sum(1 for _, acted in outcomes if acted) == 1
    assert TimelineEntry.objects.filter(incident=incident, kind=EntryKind.BREACH).count() == 1
    pairs = list(caused_by(breach).values_list("recipient", "channel"))
    assert len(pairs) == len(set(pairs))


# --- Notifications -------------------------------------------------------------------------------------


@pytest.fixture
def receiver():
    r = Receiver(failures=2)
    yield r
    r.close()


def breach_now(incident, code="report-authority"):
    d = Deadline.objects.get(incident=incident, code=code)
    overdue(d)
    alarm = alarms_of(d).get(kind="breach")
    clock.handle(alarm.pk, token=None, via="sweep")
    return alarm


@pytest.mark.django_db
def test_webhooks_are_signed_retried_with_backoff_and_recorded(running, receiver, settings):
    settings.CRISIS_NOTIFY_BACKOFF_SECONDS = 0.01
    WebhookEndpoint.objects.create(name="pager", url=receiver.url, secret="s3cret")
    alarm = breach_now(running)
    hook = caused_by(alarm).get(channel="webhook")
    assert not delivery.deliver(hook.pk)  # 500
    hook.refresh_from_db()
    assert hook.state == NotificationState.PENDING and hook.attempts == 1 and "HTTP" in hook.last_error
    assert hook.next_attempt_at > timezone.now() - timedelta(seconds=1)
    Notification.objects.filter(pk=hook.pk).update(next_attempt_at=timezone.now())
    delivery.sweep()  # the second attempt: 500 again
    assert Notification.objects.get(pk=hook.pk).attempts == 2
    Notification.objects.filter(pk=hook.pk).update(next_attempt_at=timezone.now())
    delivery.sweep()
    hook.refresh_from_db()
    assert hook.state == NotificationState.SENT and hook.attempts == 3
    headers, body = receiver.requests[-1]
    expected = "sha256=" + hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()
    assert headers["X-Crisis-Signature"] == expected
    payload = json.loads(body)
    assert payload["id"] == hook.pk and payload["event"] == "deadline.breached"
    assert payload["incident"]["id"] == running.pk


@pytest.mark.django_db
def test_a_delivery_that_keeps_failing_ends_failed_not_lost(running, settings):
    settings.CRISIS_NOTIFY_MAX_ATTEMPTS = 2
    WebhookEndpoint.objects.create(name="gone", url="http://127.0.0.1:9/nothing-listens", secret="x")
    alarm = breach_now(running)
    hook = caused_by(alarm).get(channel="webhook")
    delivery.deliver(hook.pk)
    Notification.objects.filter(pk=hook.pk).update(next_attempt_at=timezone.now())
    delivery.deliver(hook.pk)
    hook.refresh_from_db()
    assert hook.state == NotificationState.FAILED and hook.attempts == 2 and hook.last_error


@pytest.mark.django_db
def test_a_leased_notification_is_not_sent_twice(running, receiver):
    receiver.failures = 0
    WebhookEndpoint.objects.create(name="pager", url=receiver.url, secret="s")
    alarm = breach_now(running)
    hook = caused_by(alarm).get(channel="webhook")
    Notification.objects.filter(pk=hook.pk).update(lease_until=timezone.now() + timedelta(seconds=30))
    assert not delivery.deliver(hook.pk)
    assert receiver.requests == []


@pytest.mark.django_db
def test_email_follows_each_persons_preference_and_language(running, commander, executive):
    NotificationPreference.objects.create(user=commander, email=True, language="zh-hans")
    NotificationPreference.objects.create(user=executive, email=False, language="en")
    alarm = breach_now(running)
    emails = caused_by(alarm).filter(channel="email")
    assert list(emails.values_list("recipient", flat=True)) == [commander.pk]
    email = emails.get()
    assert "超时" in email.subject or "未完成" in email.subject
    assert delivery.deliver(email.pk)
    assert mail.outbox[-1].to == [commander.email]
    in_app = caused_by(alarm).get(recipient=executive, channel="in_app")
    assert in_app.subject.startswith("Missed:")


@pytest.mark.django_db
def test_my_notifications_api(api, running, commander, responder):
    breach_now(running)
    mine = api.as_user(commander).get("/api/notifications/").json()
    assert mine["count"] >= 1 and mine["results"][0]["event"] == "deadline_breached"
    assert api.as_user(responder).get("/api/notifications/").json()["count"] == 0


@pytest.mark.django_db
def test_move_deadline_api(api, running, commander, pr):
    d = Deadline.objects.get(incident=running, code="report-authority")
    url = f"/api/deadlines/{d.pk}/move/"
    later = (timezone.now() + timedelta(hours=2)).isoformat()
    assert api.as_user(pr).post(url, {"due_at": later, "reason": "x"}, format="json").status_code == 403
    assert api.as_user(commander).post(url, {"due_at": "soon", "reason": "x"}, format="json").status_code == 400
    assert api.as_user(commander).post(url, {"due_at": later}, format="json").status_code == 400
    response = api.as_user(commander).post(url, {"due_at": later, "reason": "Regulator extended it."}, format="json")
    assert response.status_code == 200
    assert pending(d, kind="breach").count() == 1


@pytest.mark.django_db
def test_add_deadline_api_and_its_alarms(api, running, commander, responder):
    url = f"/api/incidents/{running.pk}/deadlines/"
    due = (timezone.now() + timedelta(days=3)).isoformat()
    body = {
        "audience": "regulator",
        "title": "Inspectors' request: sales records",
        "due_at": due,
        "remind_before_minutes": [120, 30],
        "escalate_to": ["commander", "admins"],
        "source": "工商检查组口头要求",
    }
    assert api.as_user(responder).post(url, body, format="json").status_code == 403
    for bad in ({**body, "audience": "aliens"}, {**body, "remind_before_minutes": [0]}, {**body, "due_at": "later"},
                {**body, "escalate_to": ["the press"]}, {k: v for k, v in body.items() if k != "title"}):  # fmt: skip
        assert api.as_user(commander).post(url, bad, format="json").status_code == 400
    response = api.as_user(commander).post(url, body, format="json")
    assert response.status_code == 201
    d = Deadline.objects.get(pk=response.json()["id"])
    assert sorted(pending(d).values_list("kind", "lead_minutes")) == [
        ("breach", None), ("reminder", 30), ("reminder", 120)
    ]  # fmt: skip
    assert TimelineEntry.objects.filter(incident=running, kind=EntryKind.DEADLINE, data__change="added").exists()


@pytest.mark.django_db
def test_notifications_page_sets_preferences_and_marks_read(client, running, commander):
    breach_now(running)
    client.force_login(commander)
    board = client.get("/").content.decode()
    assert 'class="badge"' in board
    page = client.get("/me/notifications/").content.decode()
    assert "Missed:" in page
    assert not Notification.objects.filter(recipient=commander, channel="in_app", read_at__isnull=True).exists()
    client.post("/me/notifications/", {"language": "zh-hans"})
    pref = NotificationPreference.objects.get(user=commander)
    assert pref.email is False and pref.language == "zh-hans"
    assert client.post("/me/notifications/", {"language": "klingon"}).status_code == 400


def test_escalation_group_names_match_the_groups():
    from django.conf import settings

    from crisis import roles

    assert settings.CRISIS_GROUP_ADMINS == roles.ADMINS
    assert settings.CRISIS_GROUP_EXECUTIVES == roles.EXECUTIVES
