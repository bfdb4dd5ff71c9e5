"""The OpenAPI schema tells the truth: schemathesis, from outside, against a real server.

It reads /api/schema/, generates requests for every operation (its examples and coverage phases:
valid and invalid bodies, parameters at their edges, wrong types, missing fields) and checks each
answer: never a server error, never a status code the schema does not document, never a body that
does not match the schema. It runs as a commander and as an admin, on real objects seeded below.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.authtoken.models import Token

from crisis.voice import services as voice
from incidents import services
from incidents.complaints import services as complaints
from incidents.models import Deadline, RoleAssignment, Task
from playbooks.defaults import load_default_playbooks
from playbooks.models import Playbook
from tests import factories
from tests.incidents.complaint_helpers import body, handler_user

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]
SCHEMATHESIS = Path(sys.executable).parent / "schemathesis"
CHECKS = "not_a_server_error,status_code_conformance,response_schema_conformance,content_type_conformance"
MAX_EXAMPLES = 8


def seed() -> dict[str, int]:
    """One of everything the API has an id for, so that requests reach the code behind the 404."""
    load_default_playbooks()
    commander = factories.commander_user()
    incident = factories.declare(commander, commander=commander, kind="site_safety")
    responder = factories.responder_user()
    services.assign_role(incident.pk, by=commander, user=responder, role="liaison")
    statement = voice.create_statement(
        incident.pk, by=factories.pr_user(), audience="public", title="Holding", body="We are responding."
    )
    line = voice.create_line(incident.pk, by=factories.pr_user(), question="Is anyone hurt?", answer="Two workers.")
    handler = handler_user()
    complaint, _ = complaints.intake(by=handler, data=body())
    reply = complaints.schedule_reply(complaint.pk, by=handler, method="written", at="2027-01-05T10:00:00+08:00")
    attachment = complaints.add_attachment(
        complaint.pk, by=handler, upload=SimpleUploadedFile("receipt.pdf", b"%PDF-1.4 receipt", "application/pdf")
    )
    playbook = Playbook.objects.first()
    return {
        "incident": incident.pk,
        "task": Task.objects.filter(incident=incident).first().pk,
        "deadline": Deadline.objects.filter(incident=incident).first().pk,
        "role": RoleAssignment.objects.filter(incident=incident, role="liaison").first().pk,
        "statement": statement.pk,
        "line": line.pk,
        "complaint": complaint.pk,
        "reply": reply.pk,
        "attachment": attachment.pk,
        "playbook": playbook.pk,
        "version": playbook.versions.first().pk,
        "commander": commander.pk,
    }


def config(ids: dict[str, int]) -> str:
    """Each path's {id} is a real object of its kind (schemathesis still tries others at the edges)."""
    paths = {
        r"^/api/incidents/\{id\}": "incident",
        r"^/api/tasks/": "task",
        r"^/api/deadlines/": "deadline",
        r"^/api/roles/": "role",
        r"^/api/statements/": "statement",
        r"^/api/qa-lines/": "line",
        r"^/api/complaints/\{id\}": "complaint",
        r"^/api/replies/": "reply",
        r"^/api/attachments/": "attachment",
        r"^/api/playbooks/": "playbook",
        r"^/api/playbook-versions/": "version",
    }
    return "\n".join(
        f"[[operations]]\ninclude-path-regex = '{pattern}'\nparameters = {{ \"path.id\" = {ids[name]} }}\n"
        for pattern, name in paths.items()
    )


@pytest.mark.parametrize("who", ["commander", "admin"])
def test_the_api_answers_as_its_schema_says(asgi_servers, tmp_path, who):
    ids = seed()
    user = factories.commander_user() if who == "commander" else factories.admin_user()
    token = Token.objects.create(user=user).key
    config_file = tmp_path / "schemathesis.toml"
    config_file.write_text(config(ids), encoding="utf-8")
    server = asgi_servers[0]
    result = subprocess.run(
        [
            str(SCHEMATHESIS),
            "--config-file",
            str(config_file),
            "run",
            f"{server.url}/api/schema/",
            "--header",
            f"Authorization: Token {token}",
            "--phases",
            "examples,coverage",
            "--checks",
            CHECKS,
            "--max-examples",
            str(MAX_EXAMPLES),
            "--workers",
            "2",
            "--seed",
            "20261207",
            "--no-color",
        ],
        capture_output=True,
        text=True,
        timeout=900,
        cwd=tmp_path,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-12000:]
