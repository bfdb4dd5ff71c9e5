"""The console's attention pages (issue 16): preferences, acknowledging without JavaScript, muting
an incident, and the tray every page carries."""

from __future__ import annotations

import pytest

from incidents.models import Page
from incidents.notify.models import Channel, Mute, Notification, NotificationPreference
from tests import factories
from tests.incidents.test_paging import declare, on_duty

pytestmark = pytest.mark.django_db


def test_preferences_are_saved_and_bad_ones_change_nothing(client, commander):
    client.force_login(commander)
    good = {
        "email": "on",
        "email_kinds": ["pages", "approvals"],
        "sms_pages": "on",
        "phone": "+86 138-0013-8000",
        "quiet_from": "22:00",
        "quiet_until": "07:00",
        "language": "zh-hans",
    }
    assert client.post("/me/notifications/", good).status_code == 302
    saved = NotificationPreference.objects.get(user=commander)
    assert saved.email_kinds == ["pages", "approvals"] and saved.phone == "+8613800138000" and saved.sms_pages
    assert saved.quiet_from.hour == 22 and saved.quiet_until.hour == 7
    for bad in (
        {**good, "phone": "call me"},
        {**good, "phone": "", "sms_pages": "on"},
        {**good, "quiet_until": ""},
        {**good, "quiet_until": "22:00"},
        {**good, "email_kinds": ["nonsense"]},
        {**good, "quiet_from": "25:99"},
    ):
        answer = client.post("/me/notifications/", bad)
        assert answer.status_code == 400, bad
    saved.refresh_from_db()
    assert saved.phone == "+8613800138000" and saved.quiet_until.hour == 7  # unchanged


def test_the_tray_is_on_every_page_with_an_acknowledge_button_that_works_without_javascript(
    client, commander, responder
):
    on_duty(commander)
    incident = declare(responder, severity=3)
    note = Notification.objects.get(recipient=commander, channel=Channel.IN_APP)
    client.force_login(commander)
    board = client.get("/").content.decode()
    assert 'id="tray-list"' in board and f"/me/notifications/{note.pk}/ack/" in board
    assert 'id="notif-badge"' in board and "attention.js" in board
    answer = client.post(f"/me/notifications/{note.pk}/ack/", {"next": f"/incidents/{incident.pk}/"})
    assert answer.status_code == 302 and answer["Location"] == f"/incidents/{incident.pk}/"
    assert Page.objects.get(incident=incident).state == "acknowledged"
    # An outside address is not followed.
    again = client.post(f"/me/notifications/{note.pk}/ack/", {"next": "https://evil.example/"})
    assert again["Location"] == "/me/notifications/"


def test_someone_elses_notification_is_404_on_the_page_too(client, commander, commander2, responder):
    on_duty(commander)
    declare(responder, severity=3)
    note = Notification.objects.get(recipient=commander, channel=Channel.IN_APP)
    client.force_login(commander2)
    assert client.post(f"/me/notifications/{note.pk}/ack/").status_code == 404
    assert client.get(f"/me/notifications/{note.pk}/ack/").status_code == 405
    assert Notification.objects.get(pk=note.pk).acked_at is None


def test_muting_and_unmuting_an_incident_from_the_war_room_and_the_api(client, commander, pr):
    incident = factories.declare(commander, commander=commander)
    client.force_login(pr)
    client.post(f"/incidents/{incident.pk}/mute/", {"muted": "1"})
    assert Mute.objects.filter(user=pr, topic_id=incident.pk).exists()
    assert "Unmute" in client.get(f"/incidents/{incident.pk}/").content.decode()
    answer = client.post(f"/api/incidents/{incident.pk}/mute/", {"muted": False}, content_type="application/json")
    assert answer.status_code == 200 and answer.json() == {"muted": False}
    assert not Mute.objects.filter(user=pr).exists()
    bad = client.post(f"/api/incidents/{incident.pk}/mute/", {"muted": "perhaps"}, content_type="application/json")
    assert bad.status_code == 400
    assert (
        client.post("/api/incidents/99999999/mute/", {"muted": True}, content_type="application/json").status_code
        == 404
    )


def test_a_restricted_incident_cannot_be_muted_by_someone_who_cannot_see_it(client, commander, pr):
    incident = factories.declare(commander, commander=commander, restricted=True)
    client.force_login(pr)
    assert client.post(f"/incidents/{incident.pk}/mute/", {"muted": "1"}).status_code == 404
    assert (
        client.post(f"/api/incidents/{incident.pk}/mute/", {"muted": True}, content_type="application/json").status_code
        == 404
    )
    assert not Mute.objects.exists()
