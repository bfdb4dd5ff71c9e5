import pytest

from . import voice_helpers


@pytest.fixture
def pb_incident(commander):
    """An incident commanded by `commander`, running the sample playbook (a public holding
    statement template, deadlines met by statements, one Q&A line)."""
    return voice_helpers.incident_with_playbook(commander)


@pytest.fixture
def legal_incident(commander):
    """Like pb_incident, but its public template needs a second (legal) review."""
    return voice_helpers.incident_with_playbook(commander, version=voice_helpers.legal_version())
