import pytest
from django.test import Client

from incidents import services
from incidents.models import Incident, Status, TimelineEntry
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed_in(client):
    def sign_in(user):
        client.force_login(user)
        return client

    return sign_in


@pytest.mark.parametrize("path", ["/", "/incidents/new/", "/incidents/1/", "/incidents/1/command/"])
def test_every_page_needs_sign_in(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_sign_in_page_and_sign_in(client, commander):
    page = client.get("/accounts/login/")
    assert page.status_code == 200
    response = client.post("/accounts/login/", {"username": "cmd1", "password": "pw-for-tests-1"})
    assert response.status_code == 302
    assert client.get("/").status_code == 200


def test_sign_in_needs_csrf(commander):
    client = Client(enforce_csrf_checks=True)
    response = client.post("/accounts/login/", {"username": "cmd1", "password": "pw-for-tests-1"})
    assert response.status_code == 403


def test_board_lists_open_incidents_and_filters(signed_in, commander):
    open_one = factories.declare(commander, title="Crane tilting", commander=commander)
    closed = factories.declare(commander, title="Old false alarm", commander=commander)
    services.transition_incident(closed.pk, by=commander, name="stand_down", note="False alarm.")
    outrage = factories.declare(commander, title="Weibo storm", kind="online_outrage")
    client = signed_in(commander)
    page = client.get("/").content.decode()
    assert "Crane tilting" in page and "Weibo storm" in page
    assert "Old false alarm" not in page
    filtered = client.get("/?kind=online_outrage").content.decode()
    assert "Weibo storm" in filtered and "Crane tilting" not in filtered
    stood_down = client.get("/?status=stood_down").content.decode()
    assert "Old false alarm" in stood_down
    assert open_one and outrage


def test_declare_form(signed_in, responder):
    client = signed_in(responder)
    assert client.get("/incidents/new/").status_code == 200
    bad = client.post("/incidents/new/", {"title": "", "kind": "site_safety", "severity": "7"})
    assert bad.status_code == 400
    assert not Incident.objects.exists()
    response = client.post(
        "/incidents/new/",
        {"title": "Water leak in show flat", "kind": "site_safety", "severity": "3", "location": "Block A"},
    )
    incident = Incident.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/incidents/{incident.pk}/"
    assert incident.reported_by == responder


def test_executives_cannot_declare(signed_in, executive):
    assert signed_in(executive).get("/incidents/new/").status_code == 403


def test_incident_page_shows_facts_roles_timeline_and_the_viewers_actions(signed_in, incident, commander, pr):
    services.add_note(incident.pk, by=commander, text="Ambulance on its way.")
    page = signed_in(commander).get(f"/incidents/{incident.pk}/").content.decode()
    assert incident.title in page
    assert "Ambulance on its way." in page
    assert 'data-transition="activate"' in page
    assert "Hand over command" in page
    other = Client()
    other.force_login(pr)
    pr_page = other.get(f"/incidents/{incident.pk}/").content.decode()
    assert 'data-transition="activate"' not in pr_page
    assert "Hand over command" not in pr_page


def test_transition_and_note_forms(signed_in, incident, commander, pr):
    client = signed_in(commander)
    client.post(f"/incidents/{incident.pk}/transition/", {"transition": "activate"})
    incident.refresh_from_db()
    assert incident.status == Status.ACTIVE
    too_early = {"transition": "close", "note": "Too early."}
    refused = client.post(f"/incidents/{incident.pk}/transition/", too_early, follow=True)
    assert "not possible" in refused.content.decode()
    client.post(f"/incidents/{incident.pk}/notes/", {"text": "Scene sealed."})
    assert TimelineEntry.objects.filter(incident=incident, text="Scene sealed.").exists()
    pr_client = Client()
    pr_client.force_login(pr)
    pr_client.post(f"/incidents/{incident.pk}/transition/", {"transition": "contain"})
    incident.refresh_from_db()
    assert incident.status == Status.ACTIVE


def test_handover_page(signed_in, incident, commander, commander2):
    client = signed_in(commander)
    assert client.get(f"/incidents/{incident.pk}/command/").status_code == 200
    missing_briefing = client.post(f"/incidents/{incident.pk}/command/", {"user": commander2.pk, "briefing": ""})
    assert missing_briefing.status_code == 400
    incident.refresh_from_db()
    assert incident.commander == commander
    done = client.post(f"/incidents/{incident.pk}/command/", {"user": commander2.pk, "briefing": "Over to you."})
    assert done.status_code == 302
    incident.refresh_from_db()
    assert incident.commander == commander2
    assert client.get(f"/incidents/{incident.pk}/command/").status_code == 403


def test_hostile_text_is_escaped(signed_in, commander):
    hostile = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    incident = factories.declare(commander, title=hostile, summary=hostile, location=hostile, commander=commander)
    services.add_note(incident.pk, by=commander, text=hostile)
    client = signed_in(commander)
    for path in ["/", f"/incidents/{incident.pk}/"]:
        page = client.get(path).content.decode()
        assert "<script>alert" not in page
        assert "<img src=x" not in page
        assert "&lt;script&gt;" in page


def test_chinese_and_english(signed_in, incident, commander):
    client = signed_in(commander)
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    zh = client.get(f"/incidents/{incident.pk}/").content.decode()
    assert "时间线" in zh and "移交指挥权" in zh
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    en = client.get(f"/incidents/{incident.pk}/").content.decode()
    assert "Timeline" in en and "Hand over command" in en


def test_unknown_pages_are_404(signed_in, commander):
    assert signed_in(commander).get("/incidents/99999/").status_code == 404
