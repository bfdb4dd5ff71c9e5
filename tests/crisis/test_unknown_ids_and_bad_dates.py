"""Every page and API endpoint answers 404 for an id it does not know (or one that belongs to
another incident or complaint) and 400 for an impossible date — never a 500, never a change."""

from __future__ import annotations

import re

import pytest
from django.urls import get_resolver

from incidents.models import Deadline, Incident, Task, TimelineEntry
from tests import factories

pytestmark = pytest.mark.django_db
UNKNOWN = 88888888


def page_patterns():
    """Every console page that takes an id besides its incident's or complaint's own."""
    resolver = get_resolver()
    for pattern in resolver.url_patterns:
        if getattr(pattern, "namespace", None) != "crisis":
            continue
        for inner in pattern.url_patterns:
            route = str(inner.pattern)
            if "<int:" in route:
                yield inner.name, route


def fill(route: str, **values) -> str:
    path = route
    for name, value in values.items():
        path = path.replace(f"<int:{name}>", str(value))
    for slug in ("<slug:action>", "<str:name>"):
        path = path.replace(slug, "submit" if "action" in slug else "deadlines")
    return "/" + path


@pytest.mark.parametrize("name,route", list(page_patterns()))
def test_pages_answer_404_for_unknown_ids(client, admin, name, route):
    client.force_login(admin)
    incident = factories.declare(admin, commander=admin)
    ids = {"pk": UNKNOWN, "assignment_id": UNKNOWN, "task_id": UNKNOWN, "deadline_id": UNKNOWN, "sid": UNKNOWN,
           "lid": UNKNOWN, "rid": UNKNOWN, "aid": UNKNOWN}  # fmt: skip
    before = TimelineEntry.objects.count()
    for method in ("get", "post"):
        response = getattr(client, method)(fill(route, **ids))
        assert response.status_code in (404, 405), (method, route, response.status_code)
    if route.startswith("incidents/<int:pk>/") and route.count("<int:") > 1:
        # The incident exists; what it names within it does not.
        response = client.post(fill(route, **{**ids, "pk": incident.pk}))
        assert response.status_code == 404, (route, response.status_code)
    assert TimelineEntry.objects.count() == before


def test_pages_refuse_what_belongs_to_another_incident(client, commander):
    client.force_login(commander)
    mine = factories.declare(commander, commander=commander)
    other = factories.declare(commander, commander=commander)
    task = Task.objects.create(
        incident=other, phase="first_hour", title_zh="任务", title_en="Task", owner_role="commander"
    )
    deadline = Deadline.objects.create(
        incident=other, audience="internal", title_zh="期限", title_en="Deadline", due_at=other.declared_at
    )
    assert client.post(f"/incidents/{mine.pk}/tasks/{task.pk}/", {"state": "done"}).status_code == 404
    assert client.post(f"/incidents/{mine.pk}/deadlines/{deadline.pk}/", {"text": "x"}).status_code == 404
    task.refresh_from_db()
    assert task.state == "open"


@pytest.mark.parametrize("moment", ["0001-01-01T00:00", "1800-01-01T00:00", "9999-12-31T23:59", "2026-02-30T10:00"])
def test_the_declare_page_refuses_impossible_dates(client, commander, moment):
    client.force_login(commander)
    count = Incident.objects.count()
    response = client.post(
        "/incidents/new/", {"title": "Fire", "kind": "site_safety", "severity": "2", "detected_at": moment}
    )
    assert response.status_code == 400
    assert "detected_at" in response.context["form"].errors
    assert Incident.objects.count() == count


@pytest.mark.parametrize("moment", ["0001-01-01T00:00:00Z", "1800-01-01T00:00:00+08:00", "9999-12-31T23:59:59Z"])
def test_the_api_refuses_impossible_dates(api, commander, moment):
    client = api.as_user(commander)
    body = {"kind": "site_safety", "severity": 2, "title": "x", "detected_at": moment}
    response = client.post("/api/incidents/", body, format="json")
    assert response.status_code == 400 and "detected_at" in response.json()["errors"]
    incident = factories.declare(commander, commander=commander)
    body = {"audience": "regulator", "title": "Report", "due_at": moment}
    assert client.post(f"/api/incidents/{incident.pk}/deadlines/", body, format="json").status_code == 400
    deadline = Deadline.objects.create(
        incident=incident, audience="internal", title_zh="期限", title_en="Deadline", due_at=incident.declared_at
    )
    move = client.post(f"/api/deadlines/{deadline.pk}/move/", {"due_at": moment, "reason": "x"}, format="json")
    assert move.status_code == 400


def test_dates_come_out_as_rfc_3339(api, commander):
    incident = factories.declare(commander, commander=commander)
    data = api.as_user(commander).get(f"/api/incidents/{incident.pk}/").json()
    rfc3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")
    for field in ("detected_at", "declared_at"):
        assert rfc3339.match(data[field]), data[field]
