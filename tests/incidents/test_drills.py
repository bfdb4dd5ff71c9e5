"""Scripted drills (issue 18): an exercise declared with a drill script copies its injects, each
reaches the war room once at its time (the timeline, and the commander in the console only);
ending the drill calls the rest off; a script never runs in a real incident. The drill's review
carries the script's evaluation sheet (演练评估表)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from crisis.reviews import services as reviews
from crisis.reviews.models import Review
from incidents import drills, services
from incidents.clock import alarms as clock
from incidents.clock.models import Alarm
from incidents.models import Inject, TimelineEntry
from incidents.notify.models import Notification, NotificationPreference
from playbooks.models import DrillInject, DrillScript
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def script():
    script = DrillScript.objects.create(
        name="脚手架坍塌桌面推演", kind="site_safety", evaluation="是否在15分钟内指定指挥官？\n是否先批准后发布？\n"
    )
    DrillInject.objects.create(script=script, after_minutes=0, title="记者来电询问伤亡人数", text="《都市报》记者")
    DrillInject.objects.create(script=script, after_minutes=30, title="业主群传出现场视频")
    return script


def drill(commander, script, **values):
    return factories.declare(commander, commander=commander, exercise=True, drill_script=script, **values)


def test_declaring_a_drill_copies_its_injects_onto_the_clock(commander, script):
    incident = drill(commander, script)
    injects = list(Inject.objects.filter(incident=incident))
    assert [(i.title, i.due_at - incident.declared_at) for i in injects] == [
        ("记者来电询问伤亡人数", timedelta(0)),
        ("业主群传出现场视频", timedelta(minutes=30)),
    ]
    pending = Alarm.objects.pending().filter(owner_type=drills.OWNER)
    assert sorted(pending.values_list("owner_id", flat=True)) == sorted(i.pk for i in injects)
    # Editing the script later changes no drill under way.
    script.injects.update(title="changed")
    assert Inject.objects.filter(incident=incident, title="changed").count() == 0


def test_an_inject_reaches_the_war_room_once_and_only_the_console(commander, script):
    NotificationPreference.objects.create(user=commander, email=True)
    incident = drill(commander, script)
    assert clock.sweep() >= 1
    assert clock.sweep() == 0  # nothing twice
    entries = TimelineEntry.objects.filter(incident=incident, kind="drill_inject")
    assert [(e.data["title"], e.text) for e in entries] == [("记者来电询问伤亡人数", "《都市报》记者")]
    told = Notification.objects.filter(event="drill_inject", topic_id=incident.pk)
    assert list(told.values_list("channel", flat=True)) == ["in_app"]  # a drill never leaves the console
    assert told.get().subject == "[Exercise] Drill inject: 记者来电询问伤亡人数"
    later = Inject.objects.get(incident=incident, title="业主群传出现场视频")
    assert later.delivered_at is None


def test_ending_the_drill_calls_off_the_injects_still_to_come(commander, script):
    incident = drill(commander, script)
    clock.sweep()
    services.transition_incident(incident.pk, by=commander, name="stand_down", note="演练结束")
    later = Inject.objects.get(incident=incident, title="业主群传出现场视频")
    Alarm.objects.filter(owner_type=drills.OWNER, owner_id=later.pk).update(fire_at=timezone.now())
    assert not Alarm.objects.pending().filter(owner_type=drills.OWNER, owner_id=later.pk).exists()
    clock.sweep()
    later.refresh_from_db()
    assert later.delivered_at is None
    assert TimelineEntry.objects.filter(incident=incident, kind="drill_inject").count() == 1


def test_a_script_runs_only_in_a_drill_of_its_kind(commander, script):
    with pytest.raises(ValidationError) as real:
        factories.declare(commander, exercise=False, drill_script=script)
    assert "only in an exercise" in str(real.value)
    with pytest.raises(ValidationError) as other_kind:
        drill(commander, script, kind="double_sale")
    assert "another kind" in str(other_kind.value)
    script.active = False
    script.save()
    with pytest.raises(ValidationError):
        drill(commander, script)
    assert not Inject.objects.exists()


def test_declaring_through_the_api_with_a_script(api, commander, script):
    client = api.as_user(commander)
    base = {"title": "演练", "kind": "site_safety", "severity": 3}
    refused = client.post("/api/incidents/", {**base, "drill_script": script.pk}, format="json")
    assert refused.status_code == 400 and "drill_script" in refused.json()["errors"]
    unknown = client.post("/api/incidents/", {**base, "exercise": True, "drill_script": 999999}, format="json")
    assert unknown.status_code == 400
    made = client.post("/api/incidents/", {**base, "exercise": True, "drill_script": script.pk}, format="json")
    assert made.status_code == 201 and made.json()["drill_script"] == script.pk
    assert Inject.objects.filter(incident_id=made.json()["id"]).count() == 2


def _close(incident, commander):
    services.transition_incident(incident.pk, by=commander, name="activate")
    services.transition_incident(incident.pk, by=commander, name="resolve", note="演练完毕")
    services.transition_incident(incident.pk, by=commander, name="close", note="演练完毕", open_items="finish")


def test_the_drills_review_is_judged_by_its_scripts_evaluation_sheet(api, client, commander, script):
    incident = drill(commander, script)
    _close(incident, commander)
    review = reviews.review_of(incident.pk, commander)
    assert [row["question"] for row in review.evaluation] == ["是否在15分钟内指定指挥官？", "是否先批准后发布？"]
    url = f"/api/incidents/{incident.pk}/review/"
    short = api.as_user(commander).patch(url, {"evaluation": [{"met": True}]}, format="json")
    assert short.status_code == 400 and "2" in str(short.json())
    assert Review.objects.get(pk=review.pk).evaluation[0]["met"] is None
    saved = api.as_user(commander).patch(
        url, {"evaluation": [{"met": True, "note": "12分钟"}, {"met": False, "note": "先发后批"}]}, format="json"
    )
    assert saved.status_code == 200
    assert [(r["met"], r["note"]) for r in saved.json()["evaluation"]] == [(True, "12分钟"), (False, "先发后批")]
    # The page posts the same sheet.
    client.force_login(commander)
    client.post(
        f"/incidents/{incident.pk}/review/evaluation/", {"met_0": "no", "note_0": "", "met_1": "", "note_1": ""}
    )
    assert [(r["met"], r["note"]) for r in Review.objects.get(pk=review.pk).evaluation] == [(False, ""), (None, "")]
    bad = client.post(f"/incidents/{incident.pk}/review/evaluation/", {"met_0": "maybe", "note_0": ""}, follow=True)
    assert bad.status_code == 200 and Review.objects.get(pk=review.pk).evaluation[0]["met"] is False
    assert "演练评估表" in client.get(f"/incidents/{incident.pk}/review/").content.decode()


def test_a_real_incidents_review_has_no_evaluation_sheet(api, commander):
    incident = factories.declare(commander, commander=commander)
    _close(incident, commander)
    assert reviews.review_of(incident.pk, commander).evaluation == []
    answer = api.as_user(commander).patch(f"/api/incidents/{incident.pk}/review/", {"evaluation": []}, format="json")
    assert answer.status_code == 400 and "Only the review of a drill" in str(answer.json())


def test_a_drill_without_a_script_gets_the_default_sheet(commander):
    incident = factories.declare(commander, commander=commander, exercise=True)
    _close(incident, commander)
    questions = [row["question"] for row in reviews.review_of(incident.pk, commander).evaluation]
    assert questions[0].startswith("第一时间") and any("聆听" in q for q in questions)
