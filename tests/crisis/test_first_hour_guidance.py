"""The war room leads (issue 17, item 1 and part of 2): one click to take command, the next step
and the first hour's progress, due times with their date when not today, and clocks that show
as stopped once the incident has ended."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from incidents import services
from incidents.models import Page, Task
from tests import factories
from tests.crisis import voice_helpers
from tests.incidents.test_paging import on_duty

pytestmark = pytest.mark.django_db


def war_room(client, incident) -> str:
    return client.get(f"/incidents/{incident.pk}/").content.decode()


def test_whoever_may_command_takes_it_in_one_click_and_answers_the_page(client, commander, responder):
    voice_helpers.sample_version()
    on_duty(commander)
    incident = factories.declare(responder, severity=2)
    client.force_login(commander)
    assert 'id="take-command"' in war_room(client, incident)
    answer = client.post(f"/incidents/{incident.pk}/command/take/")
    assert answer.status_code == 302
    incident.refresh_from_db()
    assert incident.commander == commander
    assert Page.objects.get(incident=incident).acknowledged_via == "command"
    assert 'id="take-command"' not in war_room(client, incident)


def test_someone_who_may_not_command_sees_no_button_and_changes_nothing(client, pr, responder):
    incident = factories.declare(responder, severity=3)
    client.force_login(pr)
    assert 'id="take-command"' not in war_room(client, incident)
    client.post(f"/incidents/{incident.pk}/command/take/")
    incident.refresh_from_db()
    assert incident.commander is None
    assert client.post("/incidents/99999999/command/take/").status_code == 404


def test_the_next_step_and_the_first_hours_progress(client, commander):
    incident = voice_helpers.incident_with_playbook(commander)
    first_hour = Task.objects.filter(incident=incident, phase="first_hour")
    total = first_hour.count()
    client.force_login(commander)
    page = war_room(client, incident)
    done_before = first_hour.exclude(state="open").count()  # naming the commander ticked one itself
    assert f"{done_before}/{total}" in page
    open_steps = Task.objects.filter(incident=incident, state="open", due_at__isnull=False)
    soonest = open_steps.order_by("due_at", "order").first()
    assert re.search(r'class="next-title">' + re.escape(soonest.title_en), page)
    services.update_task(soonest.pk, by=commander, state="done")
    assert f"{done_before + 1}/{total}" in war_room(client, incident)


def test_a_step_due_on_another_day_shows_its_date(client, commander):
    incident = voice_helpers.incident_with_playbook(commander)
    later = Task.objects.filter(incident=incident, state="open").first()
    later.due_at = timezone.now() + timedelta(days=13)
    later.save(update_fields=["due_at"])
    client.force_login(commander)
    expected = timezone.localtime(later.due_at).strftime("%m-%d %H:%M")
    assert expected in war_room(client, incident)


def test_after_standing_down_no_deadline_counts_down(client, commander):
    incident = voice_helpers.incident_with_playbook(commander)
    client.force_login(commander)
    assert 'class="countdown" data-countdown' in war_room(client, incident)
    services.transition_incident(incident.pk, by=commander, name="stand_down", note="False alarm")
    page = war_room(client, incident)
    assert "data-countdown" not in page.split('id="panel-deadlines"')[1].split("</section>")[0]
    assert "stopped: the incident has ended" in page


def test_an_english_reader_is_told_the_legal_source_is_quoted_in_chinese(client, commander):
    incident = voice_helpers.incident_with_playbook(commander)
    client.force_login(commander)
    english = client.get(f"/incidents/{incident.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "source, in Chinese as enacted" in english and 'lang="zh-Hans"' in english
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    chinese = client.get(f"/incidents/{incident.pk}/").content.decode()
    assert "source, in Chinese as enacted" not in chinese
