"""The statement part of the API contract (DESIGN.md), with token authentication."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from crisis.voice import services
from crisis.voice.models import Statement, StatementState
from incidents.models import Deadline, DeadlineState

from .test_statements import ACTORS, CONFLICT, FORBIDDEN, MATRIX, OK, Cast
from .voice_helpers import approved, drafted, in_review, incident_with_playbook, published

pytestmark = pytest.mark.django_db

STATEMENT_FIELDS = {"id", "incident", "audience", "title", "body", "state"}


def test_the_contract_flow(api, commander, pr):
    """DESIGN.md's flow, as tools/contract_check.py walks it: PR drafts a public statement and
    submits it; the commander, who declared the incident and named himself, approves and
    publishes; PR reads the current statement and the statement."""
    from .voice_helpers import sample_version

    sample_version()
    as_commander = api.as_user(commander)
    incident = as_commander.post(
        "/api/incidents/",
        {"kind": "site_safety", "severity": 2, "title": "Contract check", "summary": "s", "location": "Site"},
        format="json",
    ).json()
    assert as_commander.post(
        f"/api/incidents/{incident['id']}/commander/", {"user": commander.pk, "briefing": "Mine."}, format="json"
    ).status_code in (200, 409)

    as_pr = api.as_user(pr)
    created = as_pr.post(
        f"/api/incidents/{incident['id']}/statements/",
        {"audience": "public", "title": "Holding statement", "body": "We are aware and are responding."},
        format="json",
    )
    assert created.status_code == 201, created.json()
    body = created.json()
    assert set(body) >= STATEMENT_FIELDS and body["state"] == "draft" and body["incident"] == incident["id"]
    sid = body["id"]
    submitted = as_pr.post(f"/api/statements/{sid}/submit/")
    assert submitted.status_code == 200 and submitted.json()["state"] == "in_review"

    as_commander = api.as_user(commander)
    approved_ = as_commander.post(f"/api/statements/{sid}/approve/")
    assert approved_.status_code == 200 and approved_.json()["state"] == "approved"
    published_ = as_commander.post(f"/api/statements/{sid}/publish/")
    assert published_.status_code == 200 and published_.json()["state"] == "published"

    as_pr = api.as_user(pr)
    current = as_pr.get(f"/api/incidents/{incident['id']}/statements/current/?audience=public")
    assert current.status_code == 200 and current.json()["id"] == sid
    assert set(current.json()) >= STATEMENT_FIELDS
    detail = as_pr.get(f"/api/statements/{sid}/")
    assert detail.status_code == 200
    assert {k: detail.json()[k] for k in ("title", "body", "state", "audience")} == {
        "title": "Holding statement",
        "body": "We are aware and are responding.",
        "state": "published",
        "audience": "public",
    }
    holding = Deadline.objects.get(incident_id=incident["id"], code="holding-statement")
    assert holding.state == DeadlineState.MET and holding.evidence_ref == f"statement:{sid}"


def test_drafting_from_a_template_over_the_api(api, pb_incident, pr):
    template = services.templates_for(pb_incident).get()
    response = api.as_user(pr).post(
        f"/api/incidents/{pb_incident.pk}/statements/", {"template": template.pk, "language": "en"}, format="json"
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["audience"] == "public" and body["template"] == template.pk and body["purpose"] == "holding"
    assert body["title"] == f"Statement on the incident at {pb_incident.location}"
    assert pb_incident.title in body["body"] and "{{" not in body["body"]
    assert set(body["allowed_actions"]) == {"edit", "submit", "withdraw"}


@pytest.mark.parametrize(
    "payload,field",
    [
        ({"audience": "press", "title": "t", "body": "b"}, "audience"),
        ({"title": "t", "body": "b"}, "audience"),
        ({"audience": "public", "body": "b"}, "title"),
        ({"audience": "public", "title": "t", "body": ""}, "body"),
        ({"audience": "public", "title": "t" * 201, "body": "b"}, "title"),
        ({"audience": "public", "title": "t", "body": "b", "template": 999999}, "template"),
        ({"audience": "public", "title": "t", "body": "b", "template": "x"}, "template"),
        ({"audience": "public", "title": "t", "body": "b", "language": "fr"}, "language"),
        ({"audience": "public", "title": ["t"], "body": "b"}, "title"),
    ],
)
def test_bad_input_is_400_with_the_field(api, pb_incident, pr, payload, field):
    response = api.as_user(pr).post(f"/api/incidents/{pb_incident.pk}/statements/", payload, format="json")
    assert response.status_code == 400, response.json()
    assert field in response.json()["errors"] and response.json()["detail"]
    assert not Statement.objects.exists()


def test_malformed_json_is_400_not_500(api, pb_incident, pr):
    response = api.as_user(pr).post(
        f"/api/incidents/{pb_incident.pk}/statements/", "{not json", content_type="application/json"
    )
    assert response.status_code == 400


def test_permission_is_checked_before_the_body(api, pb_incident, pr, responder, commander2):
    assert (
        api.as_user(responder)
        .post(f"/api/incidents/{pb_incident.pk}/statements/", {"audience": 7}, format="json")
        .status_code
        == 403
    )
    statement = in_review(pb_incident, pr)
    assert api.as_user(pr).post(f"/api/statements/{statement.pk}/reject/", {}, format="json").status_code == 403
    assert api.as_user(commander2).post(f"/api/statements/{statement.pk}/reject/", {}, format="json").status_code == 409
    as_commander = api.as_user(pb_incident.commander)
    assert as_commander.post(f"/api/statements/{statement.pk}/reject/", {}, format="json").status_code == 400


def test_publishing_an_unapproved_statement_is_409(api, pb_incident, pr, commander):
    for statement in (drafted(pb_incident, pr), in_review(pb_incident, pr)):
        response = api.as_user(commander).post(f"/api/statements/{statement.pk}/publish/")
        assert response.status_code == 409
        assert response.json()["detail"] and response.json()["state"] == statement.state
    assert not Statement.objects.filter(state=StatementState.PUBLISHED).exists()


def test_approving_without_being_the_commander_is_409_for_a_commander_and_403_for_pr(
    api, pb_incident, pr, commander, commander2
):
    statement = in_review(pb_incident, pr)
    conflict = api.as_user(commander2).post(f"/api/statements/{statement.pk}/approve/")
    assert conflict.status_code == 409
    assert conflict.json()["commander"]["id"] == commander.pk
    assert api.as_user(pr).post(f"/api/statements/{statement.pk}/approve/").status_code == 403
    assert Statement.objects.get(pk=statement.pk).approved_by is None


def test_a_stale_version_is_409(api, pb_incident, pr, commander):
    statement = in_review(pb_incident, pr)
    edited = api.as_user(pr).patch(
        f"/api/statements/{statement.pk}/", {"title": "t", "body": "new", "version": 1}, format="json"
    )
    assert edited.status_code == 200 and edited.json()["version"] == 2
    stale = api.as_user(commander).post(f"/api/statements/{statement.pk}/approve/", {"version": 1}, format="json")
    assert stale.status_code == 409 and stale.json()["version"] == 2
    again = api.as_user(pr).patch(
        f"/api/statements/{statement.pk}/", {"title": "t", "body": "x", "version": 1}, format="json"
    )
    assert again.status_code == 409


def test_editing_an_approved_statement_over_the_api_sends_it_back(api, pb_incident, pr, commander):
    statement = approved(pb_incident, pr, commander)
    response = api.as_user(pr).patch(
        f"/api/statements/{statement.pk}/", {"title": statement.title, "body": "Changed."}, format="json"
    )
    assert response.status_code == 200 and response.json()["state"] == "in_review"
    assert response.json()["approved_by"] is None
    revisions = api.as_user(pr).get(f"/api/statements/{statement.pk}/revisions/").json()
    assert [r["number"] for r in revisions["results"]] == [1, 2]


def test_current_statement_answers_404_when_none_and_400_for_bad_audiences(api, pb_incident, pr, commander):
    client = api.as_user(pr)
    url = f"/api/incidents/{pb_incident.pk}/statements/current/"
    assert client.get(url + "?audience=public").status_code == 404
    assert client.get(url + "?audience=press").status_code == 400
    assert client.get(url).status_code == 400
    first = published(pb_incident, pr, commander)
    second = published(pb_incident, pr, commander, title="Update")
    assert client.get(url + "?audience=public").json()["id"] == second.pk
    old = client.get(f"/api/statements/{first.pk}/").json()
    assert old["state"] == "superseded" and old["superseded_by"] == second.pk


def test_the_list_is_paginated_and_filters(api, pb_incident, pr, commander):
    published(pb_incident, pr, commander)
    drafted(pb_incident, pr, audience="staff")
    client = api.as_user(pr)
    body = client.get(f"/api/incidents/{pb_incident.pk}/statements/").json()
    assert set(body) == {"count", "next", "previous", "results"} and body["count"] == 2
    assert client.get(f"/api/incidents/{pb_incident.pk}/statements/?audience=staff").json()["count"] == 1
    assert client.get(f"/api/incidents/{pb_incident.pk}/statements/?state=published").json()["count"] == 1
    assert client.get(f"/api/incidents/{pb_incident.pk}/statements/?state=nonsense").status_code == 400


def test_restricted_and_unknown_statements_are_404(api, commander, pr, executive):
    incident = incident_with_playbook(commander, restricted=True)
    from .voice_helpers import make_spokesperson

    spokesperson = make_spokesperson(incident, commander)
    statement = drafted(incident, spokesperson)
    for path in (
        f"/api/statements/{statement.pk}/",
        f"/api/incidents/{incident.pk}/statements/",
        f"/api/incidents/{incident.pk}/statements/current/?audience=public",
    ):
        assert api.as_user(pr).get(path).status_code == 404
    assert api.as_user(pr).post(f"/api/statements/{statement.pk}/submit/").status_code == 404
    assert api.as_user(executive).get(f"/api/statements/{statement.pk}/").status_code == 200
    assert api.as_user(pr).get("/api/statements/999999/").status_code == 404


def test_everything_needs_sign_in(api, pb_incident, pr):
    statement = drafted(pb_incident, pr)
    api.credentials()
    assert api.get(f"/api/statements/{statement.pk}/").status_code in (401, 403)
    assert api.post(f"/api/statements/{statement.pk}/submit/").status_code in (401, 403)
    assert Statement.objects.get(pk=statement.pk).state == StatementState.DRAFT


# --- The permission matrix over the API: the same cells, as status codes -------------------------------------


def api_call(client, action: str, statement, incident):
    if action == "draft":
        return client.post(
            f"/api/incidents/{incident.pk}/statements/", {"audience": "media", "title": "t", "body": "b"}, format="json"
        )
    step = {"withdraw_published": "withdraw", "withdraw_draft": "withdraw", "second_review": "second-review"}.get(
        action, action
    )
    payload = {"reject": {"comment": "No."}}.get(action, {"reason": "Wrong."} if step == "withdraw" else {})
    return client.post(f"/api/statements/{statement.pk}/{step}/", payload, format="json")


@pytest.mark.parametrize("action", sorted(MATRIX))
def test_permission_matrix_over_the_api(api, action):
    cast = Cast(legal=action == "second_review")
    expected_status = {OK: {200, 201}, FORBIDDEN: {403}, CONFLICT: {409}}
    for actor in ACTORS:
        statement = cast.statement_for(action)
        response = api_call(api.as_user(cast.people[actor]), action, statement, cast.incident)
        assert response.status_code in expected_status[MATRIX[action][actor]], (action, actor, response.json())


# --- The schema ----------------------------------------------------------------------------------------------


def test_the_openapi_schema_is_valid_and_lists_the_statement_endpoints(tmp_path):
    out = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    schema = out.read_text()
    for path in (
        "/api/incidents/{id}/statements/:",
        "/api/incidents/{id}/statements/current/:",
        "/api/statements/{id}/:",
        "/api/statements/{id}/publish/:",
        "/api/incidents/{id}/qa-lines/:",
    ):
        assert path in schema
