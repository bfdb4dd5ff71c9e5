"""Outside channels and preferences (issue 16, items 4 and 5): chat group robots that the
providers' own checks accept, SMS for pages, retries on refusal, and each person's choices —
e-mail per kind, quiet hours that only severe pages break, muted incidents."""

from __future__ import annotations

import json
import time
from datetime import time as clock_time
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import override_settings
from django.utils import timezone

from incidents import services
from incidents.notify import delivery
from incidents.notify.models import (
    Channel,
    ChatRobot,
    Kind,
    Mute,
    Notification,
    NotificationPreference,
    NotificationState,
)
from tests import factories
from tests.incidents.test_paging import declare, on_duty
from tests.provider_doubles import ProviderDouble

pytestmark = pytest.mark.django_db


@pytest.fixture
def double(request):
    provider, secret = request.param
    server = ProviderDouble(provider, secret=secret)
    yield server
    server.close()


def robot_for(server, **kw) -> ChatRobot:
    return ChatRobot.objects.create(
        name=f"{server.provider} group", provider=server.provider, webhook_url=server.url, secret=server.secret, **kw
    )


def deliver_all(channel: str) -> list[Notification]:
    rows = list(Notification.objects.filter(channel=channel))
    for row in rows:
        delivery.deliver(row.pk)
    return [Notification.objects.get(pk=row.pk) for row in rows]


@pytest.mark.parametrize(
    "double",
    [("wecom", ""), ("dingtalk", "SEC-test-secret-1"), ("feishu", "feishu-secret-1"), ("dingtalk", "")],
    indirect=True,
    ids=["wecom", "dingtalk-signed", "feishu-signed", "dingtalk-keyword-only"],
)
def test_each_robot_posts_what_its_provider_accepts_with_a_link_back(double, commander, responder):
    robot_for(double)
    on_duty(commander)
    incident = declare(responder)
    [sent] = deliver_all(Channel.ROBOT)
    assert sent.state == NotificationState.SENT, (sent.last_error, double.refused)
    assert len(double.requests) == 1 and not double.refused
    body = double.bodies()[0]
    link = f"http://testserver.example/incidents/{incident.pk}/"
    text = json.dumps(body, ensure_ascii=False)
    assert "一名工人受伤送医" in text and link in text
    if double.provider == "dingtalk":
        assert body["actionCard"]["singleURL"] == link
        assert "打开" in body["actionCard"]["singleTitle"]  # the robot's language: Chinese by default
    if double.provider == "feishu":
        assert body["card"]["elements"][1]["actions"][0]["url"] == link


@pytest.mark.parametrize(
    "double",
    [("dingtalk", "SEC-the-right-one"), ("feishu", "the-right-one")],
    indirect=True,
    ids=["dingtalk", "feishu"],
)
def test_a_wrong_secret_is_refused_recorded_and_retried_until_it_gives_up(double, commander, responder):
    robot_for(double).__class__.objects.update(secret="a-wrong-secret")
    on_duty(commander)
    declare(responder)
    [row] = deliver_all(Channel.ROBOT)
    assert row.state == NotificationState.PENDING and row.attempts == 1
    assert ("310000" if double.provider == "dingtalk" else "19021") in row.last_error
    assert double.refused and not double.requests
    with override_settings(CRISIS_NOTIFY_MAX_ATTEMPTS=2):
        Notification.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now())
        delivery.deliver(row.pk)
    row.refresh_from_db()
    assert row.state == NotificationState.FAILED and row.attempts == 2  # kept, never dropped


@pytest.mark.parametrize("double", [("wecom", "")], indirect=True)
def test_a_robot_hears_only_its_events_and_each_announcement_once(double, commander, commander2, responder):
    robot_for(double, events=["statement_published"])
    other = ProviderDouble("feishu", secret="s")
    try:
        robot_for(other)  # the default events: declarations, pages, breaches, publications
        on_duty(commander)
        incident = declare(responder)
        services.change_command(incident.pk, by=commander, to=commander2, briefing="")  # not announced
        deliver_all(Channel.ROBOT)
        assert double.requests == [] and len(other.requests) == 1
    finally:
        other.close()


def test_pages_go_by_sms_to_those_who_gave_a_number_and_nothing_else_does(sms_gateway, commander, responder):
    NotificationPreference.objects.create(user=commander, phone="+8613800138000", sms_pages=True)
    on_duty(commander)
    incident = declare(responder, severity=3)
    services.change_command(incident.pk, by=commander, to=commander)
    services.add_note(incident.pk, by=commander, text="x")
    [sms] = deliver_all(Channel.SMS)
    assert sms.state == NotificationState.SENT and sms.event == "incident_declared"
    [sent] = sms_gateway.bodies()
    assert sent["phone"] == "+8613800138000" and sent["sign_name"] == "阳光地产"
    assert sent["template_code"] == "SMS_0001" and sent["template_params"]["link"].endswith(
        f"/incidents/{incident.pk}/"
    )


def test_a_gateway_that_refuses_the_signature_leaves_the_sms_pending_with_the_reason(sms_gateway, commander, responder):
    NotificationPreference.objects.create(user=commander, phone="13800138000", sms_pages=True)
    on_duty(commander)
    with override_settings(CRISIS_SMS_GATEWAY_KEY="not-the-key"):
        declare(responder, severity=3)
        [sms] = deliver_all(Channel.SMS)
    assert sms.state == NotificationState.PENDING and "SignatureDoesNotMatch" in sms.last_error


def test_e_mail_goes_only_for_the_kinds_a_person_chose(commander, commander2, responder):
    NotificationPreference.objects.create(user=commander2, email=True, email_kinds=[Kind.ASSIGNMENTS])
    on_duty(commander2)
    incident = declare(responder, severity=3)  # a page: not a chosen kind
    services.change_command(incident.pk, by=commander, to=commander)
    services.assign_role(incident.pk, by=commander, user=commander2, role="liaison")  # an assignment
    emails = Notification.objects.filter(channel=Channel.EMAIL, recipient=commander2)
    assert list(emails.values_list("event", flat=True)) == ["role_assigned"]
    assert Notification.objects.filter(channel=Channel.IN_APP, recipient=commander2).count() == 2


def quiet_now(user):
    now = timezone.localtime()
    start = (now - timedelta(hours=1)).time().replace(second=0, microsecond=0)
    end = (now + timedelta(hours=1)).time().replace(second=0, microsecond=0)
    return NotificationPreference.objects.create(user=user, email=True, quiet_from=start, quiet_until=end)


def test_quiet_hours_hold_e_mail_until_they_end_but_a_severe_page_goes_at_once(commander, responder):
    quiet_now(commander)
    on_duty(commander)
    declare(responder, severity=3, title="Minor")
    declare(responder, severity=1, title="Severe")
    minor = Notification.objects.get(channel=Channel.EMAIL, recipient=commander, subject__contains="Minor")
    severe = Notification.objects.get(channel=Channel.EMAIL, recipient=commander, subject__contains="Severe")
    assert minor.next_attempt_at > timezone.now() + timedelta(minutes=50)
    assert severe.next_attempt_at <= timezone.now()
    assert delivery.deliver(minor.pk) is False and delivery.deliver(severe.pk) is True
    # In the console both are there at once.
    assert Notification.objects.filter(channel=Channel.IN_APP, recipient=commander).count() == 2


def test_quiet_hours_across_midnight():
    pref = NotificationPreference(quiet_from=clock_time(22, 0), quiet_until=clock_time(7, 0))
    tz = timezone.get_current_timezone()
    late = timezone.make_aware(timezone.datetime(2026, 12, 7, 23, 30), tz)
    early = timezone.make_aware(timezone.datetime(2026, 12, 8, 6, 0), tz)
    noon = timezone.make_aware(timezone.datetime(2026, 12, 8, 12, 0), tz)
    assert delivery.quiet_until(pref, late) == timezone.make_aware(timezone.datetime(2026, 12, 8, 7, 0), tz)
    assert delivery.quiet_until(pref, early) == timezone.make_aware(timezone.datetime(2026, 12, 8, 7, 0), tz)
    assert delivery.quiet_until(pref, noon) is None


def test_a_muted_incident_still_pages_and_asks_but_no_longer_merely_informs(commander, pr, responder):
    from tests.crisis import voice_helpers

    incident = voice_helpers.incident_with_playbook(commander)
    voice_helpers.make_spokesperson(incident, commander, user=pr)
    Mute.objects.create(user=pr, topic_type="incident", topic_id=incident.pk)
    statement = voice_helpers.in_review(incident, pr)
    voice_helpers.services.approve_statement(statement.pk, by=commander)  # outcome: silent
    task = incident.tasks.first()
    services.update_task(task.pk, by=commander, assignee=pr)  # asks pr to act: told
    events = set(Notification.objects.filter(recipient=pr, channel=Channel.IN_APP).values_list("event", flat=True))
    assert events == {"task_assigned", "role_assigned"}


def test_the_robot_link_uses_the_consoles_address(settings):
    settings.CRISIS_BASE_URL = "https://crisis.example.com/"
    from incidents.notify import texts

    assert texts.link("incident", 7) == "https://crisis.example.com/incidents/7/"
    assert texts.link("complaint", 3) == "https://crisis.example.com/complaints/3/"
    assert texts.link("", None) == "https://crisis.example.com/"


def test_an_unknown_event_code_on_a_robot_is_refused_in_the_admin_form():
    from django.core.exceptions import ValidationError

    robot = ChatRobot(name="x", provider="wecom", webhook_url="https://qyapi.weixin.qq.com/x", events=["nope"])
    with pytest.raises(ValidationError):
        robot.full_clean()


def test_dingtalk_signatures_with_plus_and_slash_survive_the_query(commander, responder):
    """Base64 holds "+" and "/", which a query must escape: unescaped, the receiver reads "+" as a
    space and refuses. Over six signatures, at least one holds such a character (all but certain)."""
    server = ProviderDouble("dingtalk", secret="SEC-escape-me")
    try:
        robot_for(server)
        on_duty(commander)
        for n in range(6):
            declare(responder, title=f"Incident {n}")
            time.sleep(0.002)  # another millisecond, another signature
        deliver_all(Channel.ROBOT)
        assert not server.refused and len(server.requests) == 6
        signs = [parse_qs(urlsplit(r["path"]).query)["sign"][0] for r in server.requests]
        assert any(("+" in sign or "/" in sign) for sign in signs), signs
    finally:
        server.close()


@pytest.fixture(autouse=True)
def _console_address(settings):
    settings.CRISIS_BASE_URL = "http://testserver.example"
    factories  # noqa: B018 - the factories module sets up groups for the fixtures used here
