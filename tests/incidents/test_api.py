import pytest

from incidents import services
from incidents.models import Incident, Status, TimelineEntry
from tests import factories

pytestmark = pytest.mark.django_db

DECLARE = {
    "kind": "mis_sold_unit",
    "severity": 2,
    "title": "Unit 1203 sold twice",
    "location": "Sunrise Gardens",
}


def test_token_sign_in(api, commander):
    response = api.post("/api/auth/token/", {"username": "cmd1", "password": "pw-for-tests-1"}, format="json")
    assert response.status_code == 200
    token = response.json()["token"]
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert api.get("/api/incidents/").status_code == 200


def test_token_sign_in_with_bad_credentials_is_a_clear_400(api, commander):
    response = api.post("/api/auth/token/", {"username": "cmd1", "password": "wrong"}, format="json")
    assert response.status_code == 400
    assert response.json()["detail"]


def test_everything_needs_sign_in(api, incident):
    for path in [
        "/api/incidents/",
        f"/api/incidents/{incident.pk}/",
        f"/api/incidents/{incident.pk}/timeline/",
    ]:
        response = api.get(path)
        assert response.status_code in (401, 403)
        assert "detail" in response.json()
    assert api.post("/api/incidents/", DECLARE, format="json").status_code in (401, 403)
    assert not Incident.objects.exclude(pk=incident.pk).exists()


def test_declare_returns_the_incident_with_its_allowed_transitions(api, commander):
    response = api.as_user(commander).post("/api/incidents/", {**DECLARE, "commander": commander.pk}, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    for field in [
        "id", "kind", "severity", "title", "summary", "location", "status", "detected_at", "declared_at",
        "commander", "spokesperson", "allowed_transitions",
    ]:  # fmt: skip
        assert field in body
    assert body["status"] == "reported"
    assert body["commander"] == commander.pk
    assert set(body["allowed_transitions"]) == {"activate", "stand_down"}


def test_declare_without_commander_names_none(api, responder):
    body = api.as_user(responder).post("/api/incidents/", DECLARE, format="json").json()
    assert body["commander"] is None
    assert body["allowed_transitions"] == []


@pytest.mark.parametrize(
    "payload,field",
    [
        ({**DECLARE, "kind": "volcano"}, "kind"),
        ({**DECLARE, "severity": 9}, "severity"),
        ({**DECLARE, "severity": "high"}, "severity"),
        ({k: v for k, v in DECLARE.items() if k != "title"}, "title"),
        ({**DECLARE, "detected_at": "yesterday-ish"}, "detected_at"),
        ({**DECLARE, "commander": 999999}, "commander"),
        ({**DECLARE, "title": "x" * 500}, "title"),
    ],
)
def test_declare_bad_input_is_400_with_field_errors(api, commander, payload, field):
    response = api.as_user(commander).post("/api/incidents/", payload, format="json")
    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert response.json()["detail"]
    assert not Incident.objects.exists()


@pytest.mark.parametrize("raw", [b"{not json", b"[1, 2]", b'"text"', b"null"])
def test_malformed_bodies_are_400_never_500(api, commander, raw):
    response = api.as_user(commander).post("/api/incidents/", raw, content_type="application/json")
    assert response.status_code == 400
    assert "detail" in response.json()


def test_permission_is_checked_before_the_body(api, executive):
    response = api.as_user(executive).post("/api/incidents/", {"nonsense": True}, format="json")
    assert response.status_code == 403


def test_list_filters_and_pagination(api, commander):
    a = factories.declare(commander, commander=commander, kind="site_safety")
    factories.declare(commander, kind="online_outrage")
    services.transition_incident(a.pk, by=commander, name="activate")
    client = api.as_user(commander)
    body = client.get("/api/incidents/").json()
    assert set(body) >= {"count", "next", "previous", "results"}
    assert body["count"] == 2
    assert [i["id"] for i in client.get("/api/incidents/?status=active").json()["results"]] == [a.pk]
    assert len(client.get("/api/incidents/?kind=online_outrage").json()["results"]) == 1
    assert client.get("/api/incidents/?status=bogus").status_code == 400


def test_detail_and_404s(api, incident, commander):
    client = api.as_user(commander)
    assert client.get(f"/api/incidents/{incident.pk}/").json()["title"] == incident.title
    missing = client.get("/api/incidents/999999/")
    assert missing.status_code == 404
    assert missing.json() == {"detail": "Not found."}
    assert client.get("/api/no-such-thing/").status_code == 404
    unknown_post = client.post("/api/no-such-thing/", {"x": 1}, format="json")
    assert unknown_post.status_code == 404 and unknown_post.json() == {"detail": "Not found."}


def test_restricted_incident_is_404_to_outsiders(api, commander, responder):
    incident = factories.declare(commander, commander=commander, restricted=True)
    client = api.as_user(responder)
    assert client.get(f"/api/incidents/{incident.pk}/").status_code == 404
    assert client.get(f"/api/incidents/{incident.pk}/timeline/").status_code == 404
    assert client.post(f"/api/incidents/{incident.pk}/notes/", {"text": "x"}, format="json").status_code == 404
    assert incident.pk not in [i["id"] for i in client.get("/api/incidents/").json()["results"]]


def test_transition_statuses(api, incident, commander, pr):
    url = f"/api/incidents/{incident.pk}/transition/"
    client = api.as_user(commander)
    unknown = client.post(url, {"transition": "no-such-transition"}, format="json")
    assert unknown.status_code == 400
    wrong_state = client.post(url, {"transition": "close", "note": "Too early."}, format="json")
    assert wrong_state.status_code == 409
    assert wrong_state.json()["allowed_transitions"] == ["activate", "stand_down"]
    assert client.post(url, {}, format="json").status_code == 400
    assert api.as_user(pr).post(url, {"transition": "activate"}, format="json").status_code == 403
    ok = api.as_user(commander).post(url, {"transition": "activate", "note": "Go."}, format="json")
    assert ok.status_code == 200
    assert ok.json()["status"] == Status.ACTIVE
    assert "contain" in ok.json()["allowed_transitions"]


def test_commander_endpoint(api, incident, commander, commander2, pr):
    url = f"/api/incidents/{incident.pk}/commander/"
    assert api.as_user(pr).post(url, {"user": commander2.pk, "briefing": "x"}, format="json").status_code == 403
    no_briefing = api.as_user(commander).post(url, {"user": commander2.pk}, format="json")
    assert no_briefing.status_code == 400
    assert "briefing" in no_briefing.json()["errors"]
    same = api.as_user(commander).post(url, {"user": commander.pk, "briefing": "x"}, format="json")
    assert same.status_code == 409
    ok = api.as_user(commander).post(url, {"user": commander2.pk, "briefing": "All yours."}, format="json")
    assert ok.status_code == 200
    assert ok.json()["commander"] == commander2.pk
    stale = api.as_user(commander).post(url, {"user": commander.pk, "briefing": "Back to me"}, format="json")
    assert stale.status_code == 409
    assert stale.json()["commander"]["id"] == commander2.pk
    assert "commands this incident now" in stale.json()["detail"]
    assert api.as_user(commander2).post(url, {"user": "abc"}, format="json").status_code == 400


def test_roles_endpoint(api, incident, commander, pr, responder):
    url = f"/api/incidents/{incident.pk}/roles/"
    assert api.as_user(responder).post(url, {"user": pr.pk, "role": "spokesperson"}, format="json").status_code == 403
    response = api.as_user(commander).post(url, {"user": pr.pk, "role": "spokesperson"}, format="json")
    assert response.status_code == 201
    assert response.json()["spokesperson"] == pr.pk
    assert api.as_user(commander).post(url, {"user": pr.pk, "role": "jester"}, format="json").status_code == 400


def test_timeline_after_seq(api, incident, commander):
    for n in range(5):
        services.add_note(incident.pk, by=commander, text=f"note {n}")
    client = api.as_user(commander)
    body = client.get(f"/api/incidents/{incident.pk}/timeline/?after=0").json()
    seqs = [e["seq"] for e in body["results"]]
    assert seqs == list(range(1, 8))
    assert set(body["results"][0]) >= {"seq", "kind", "actor", "message", "data", "at"}
    after = client.get(f"/api/incidents/{incident.pk}/timeline/?after=5").json()
    assert [e["seq"] for e in after["results"]] == [6, 7]
    assert after["count"] == 2
    assert after["results"][0]["message"] == "note 3"
    page = client.get(f"/api/incidents/{incident.pk}/timeline/?after=0&limit=3").json()
    assert [e["seq"] for e in page["results"]] == [1, 2, 3]
    assert "after=3" in page["next"]
    for bad in ["-1", "x", "1.5"]:
        assert client.get(f"/api/incidents/{incident.pk}/timeline/?after={bad}").status_code == 400


def test_notes_endpoint(api, incident, executive):
    url = f"/api/incidents/{incident.pk}/notes/"
    response = api.as_user(executive).post(url, {"text": "Board informed."}, format="json")
    assert response.status_code == 201
    assert response.json()["kind"] == "note"
    assert api.as_user(executive).post(url, {"text": ""}, format="json").status_code == 400
    assert api.as_user(executive).post(url, {}, format="json").status_code == 400
    assert TimelineEntry.objects.filter(incident=incident, kind="note").count() == 1


def test_users_lookup(api, commander, pr):
    client = api.as_user(pr)
    body = client.get("/api/users/?username=cmd1").json()
    assert body["results"] == [{"id": commander.pk, "username": "cmd1", "display_name": "Zhang Wei"}]
    assert client.get("/api/users/?username=nobody").json()["results"] == []
    eligible = {u["username"] for u in client.get("/api/users/?can_command=1").json()["results"]}
    assert "cmd1" in eligible and "pr1" not in eligible


def test_session_clients_need_csrf(commander, incident):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(commander)
    response = client.post(f"/api/incidents/{incident.pk}/notes/", {"text": "x"}, content_type="application/json")
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]


def test_openapi_schema_describes_the_api(client):
    response = client.get("/api/schema/?format=json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    paths = schema["paths"]
    for path in [
        "/api/incidents/",
        "/api/incidents/{id}/",
        "/api/incidents/{id}/transition/",
        "/api/incidents/{id}/commander/",
        "/api/incidents/{id}/timeline/",
        "/api/incidents/{id}/notes/",
        "/api/users/",
        "/api/auth/token/",
    ]:
        assert path in paths, path
    assert "post" in paths["/api/incidents/"]
