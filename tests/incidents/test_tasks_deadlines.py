from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from config.errors import RuleBroken
from incidents import services
from incidents.models import Deadline, DeadlineState, EntryKind, Task, TaskState, TimelineEntry
from playbooks.exchange import import_text
from tests import factories

SAMPLE = (Path(__file__).parents[1] / "playbooks" / "sample.yaml").read_text(encoding="utf-8")
pytestmark = pytest.mark.django_db


@pytest.fixture
def running(commander):
    import_text(SAMPLE, publish=True)
    return factories.declare(commander, commander=commander)


def task(incident, title):
    return Task.objects.get(incident=incident, title_en=title)


def test_commander_ticks_and_reopens_a_task(running, commander):
    t = task(running, "First assessment")
    services.update_task(t.pk, by=commander, state="done", note="Two hurt, stable.")
    t.refresh_from_db()
    assert t.state == TaskState.DONE and t.completed_by == commander and t.completed_at
    entry = TimelineEntry.objects.filter(incident=running, kind=EntryKind.TASK).last()
    assert entry.data["title_en"] == "First assessment" and entry.text == "Two hurt, stable."
    services.update_task(t.pk, by=commander, state="open")
    t.refresh_from_db()
    assert t.state == TaskState.OPEN and t.completed_at is None


def test_who_may_work_a_task(running, commander, responder, pr):
    t = task(running, "First assessment")  # owned by the responder role
    with pytest.raises(PermissionDenied):
        services.update_task(t.pk, by=responder, state="done")
    services.assign_role(running.pk, by=commander, user=responder, role="responder")
    services.update_task(t.pk, by=responder, state="done")
    review = task(running, "After-action review")
    with pytest.raises(PermissionDenied):
        services.update_task(review.pk, by=pr, state="done")
    services.update_task(review.pk, by=commander, assignee=pr)
    services.update_task(review.pk, by=pr, state="done")
    with pytest.raises(PermissionDenied):
        services.update_task(review.pk, by=pr, assignee=responder)


def test_skipping_a_required_step_needs_a_reason(running, commander):
    t = task(running, "First assessment")
    with pytest.raises(ValidationError):
        services.update_task(t.pk, by=commander, state="skipped")
    services.update_task(t.pk, by=commander, state="skipped", note="Done by the fire brigade.")
    assert Task.objects.get(pk=t.pk).state == TaskState.SKIPPED


def test_meeting_and_waiving_deadlines(running, commander, pr):
    regulator = Deadline.objects.get(incident=running, code="report-authority")
    with pytest.raises(PermissionDenied):
        services.meet_deadline(regulator.pk, by=pr, evidence="x")
    with pytest.raises(ValidationError):
        services.meet_deadline(regulator.pk, by=commander, evidence=" ")
    services.meet_deadline(regulator.pk, by=commander, evidence="Phoned the county emergency bureau, ref 42.")
    regulator.refresh_from_db()
    assert regulator.state == DeadlineState.MET and regulator.met_by == commander
    with pytest.raises(RuleBroken):
        services.meet_deadline(regulator.pk, by=commander, evidence="again")
    customers = Deadline.objects.get(incident=running, code="customer-reply")
    with pytest.raises(ValidationError):
        services.waive_deadline(customers.pk, by=commander, reason="")
    services.waive_deadline(customers.pk, by=commander, reason="No owners affected.")
    assert Deadline.objects.get(pk=customers.pk).state == DeadlineState.WAIVED


def test_tasks_and_deadlines_api(api, running, commander, responder):
    client = api.as_user(commander)
    tasks = client.get(f"/api/incidents/{running.pk}/tasks/").json()["results"]
    assert {"id", "title", "phase", "due_at", "state", "assignee"} <= set(tasks[0])
    assert tasks[0]["state"] == "done"  # naming the commander ticked it
    assessment = next(t for t in tasks if t["title"] == "First assessment")
    response = client.patch(f"/api/tasks/{assessment['id']}/", {"state": "done"}, format="json")
    assert response.status_code == 200 and response.json()["state"] == "done"
    assert client.patch(f"/api/tasks/{assessment['id']}/", {"state": "finished"}, format="json").status_code == 400
    assert (
        api.as_user(responder).patch(f"/api/tasks/{assessment['id']}/", {"state": "open"}, format="json").status_code
        == 403
    )
    deadlines = api.as_user(commander).get(f"/api/incidents/{running.pk}/deadlines/").json()["results"]
    assert {"id", "audience", "title", "due_at", "state", "source"} <= set(deadlines[0])
    first = deadlines[0]
    met = api.as_user(commander).post(f"/api/deadlines/{first['id']}/meet/", {"evidence": "Sent."}, format="json")
    assert met.status_code == 200 and met.json()["state"] == "met"
    again = api.as_user(commander).post(f"/api/deadlines/{first['id']}/meet/", {"evidence": "Sent."}, format="json")
    assert again.status_code == 409
    assert api.as_user(commander).post(f"/api/deadlines/{first['id']}/meet/", {}, format="json").status_code == 400
    assert api.as_user(responder).post(f"/api/deadlines/{deadlines[1]['id']}/meet/", {"evidence": "x"},
                                       format="json").status_code == 403  # fmt: skip
    assert (
        api.as_user(commander).post("/api/deadlines/999999/meet/", {"evidence": "x"}, format="json").status_code == 404
    )


def test_incident_page_shows_the_checklist_and_deadlines_with_sources(client, running, commander):
    client.force_login(commander)
    page = client.get(f"/incidents/{running.pk}/").content.decode()
    assert "First assessment" in page and "After-action review" in page
    assert "Report to the authority" in page
    assert "生产安全事故报告和调查处理条例" in page
    t = task(running, "First assessment")
    client.post(f"/incidents/{running.pk}/tasks/{t.pk}/", {"state": "done"})
    assert Task.objects.get(pk=t.pk).state == TaskState.DONE
    d = Deadline.objects.get(incident=running, code="holding-statement")
    client.post(f"/incidents/{running.pk}/deadlines/{d.pk}/", {"action": "meet", "text": "Posted on Weibo."})
    assert Deadline.objects.get(pk=d.pk).state == DeadlineState.MET
