"""Helpers for the one-voice tests: playbooks with statement templates, and statements brought to
a given state through the services (never by writing rows), so tests start from real states."""

from __future__ import annotations

from pathlib import Path

from crisis.voice import services
from crisis.voice.models import Statement
from incidents import services as incident_services
from playbooks.exchange import import_text
from playbooks.models import Playbook, PlaybookVersion, VersionState
from tests import factories

SAMPLE = (Path(__file__).resolve().parents[1] / "playbooks" / "sample.yaml").read_text(encoding="utf-8")
# The same playbook, but its public holding statement needs a second (legal) review.
LEGAL = SAMPLE.replace("slug: test-site", "slug: test-legal").replace("second_review: false", "second_review: true")

HOSTILE_TITLE = '<script>alert("title")</script>'
HOSTILE_BODY = 'Line one <img src=x onerror=alert(1)>\n<script>alert("body")</script> & more'


def _published(slug: str, text: str) -> PlaybookVersion:
    existing = PlaybookVersion.objects.filter(playbook__slug=slug, state=VersionState.PUBLISHED).first()
    return existing or import_text(text, publish=True)


def sample_version() -> PlaybookVersion:
    return _published("test-site", SAMPLE)


def legal_version() -> PlaybookVersion:
    sample_version()  # the default for the kind stays the plain sample
    return _published("test-legal", LEGAL)


def incident_with_playbook(commander, *, version: PlaybookVersion | None = None, **overrides):
    version = version or sample_version()
    assert Playbook.objects.filter(versions=version).exists()
    return factories.declare(commander, commander=commander, playbook_version=version, **overrides)


def drafted(incident, drafter, *, audience="public", title="We are responding", body="Facts so far.", **kw):
    return services.create_statement(incident.pk, by=drafter, audience=audience, title=title, body=body, **kw)


def in_review(incident, drafter, **kw) -> Statement:
    statement = drafted(incident, drafter, **kw)
    return services.submit_statement(statement.pk, by=drafter)


def approved(incident, drafter, approver, **kw) -> Statement:
    statement = in_review(incident, drafter, **kw)
    return services.approve_statement(statement.pk, by=approver)


def published(incident, drafter, approver, **kw) -> Statement:
    statement = approved(incident, drafter, approver, **kw)
    return services.publish_statement(statement.pk, by=approver)


def from_legal_template(incident, drafter) -> Statement:
    template = services.templates_for(incident).get(audience="public")
    assert template.second_review
    statement = services.create_statement(incident.pk, by=drafter, template=template.pk, language="en")
    return services.submit_statement(statement.pk, by=drafter)


def make_spokesperson(incident, commander, user=None):
    user = user or factories.responder_user()
    incident_services.assign_role(incident.pk, by=commander, user=user, role="spokesperson")
    return user
