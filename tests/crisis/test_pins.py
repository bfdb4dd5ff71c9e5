"""Pinned decisions (issue 17, item 4): an entry is pinned as a decision, listed at the top of
the war room, and unpinned — each step itself on the append-only timeline."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from config.errors import NotAllowed, RuleBroken
from incidents import services
from tests import factories

pytestmark = pytest.mark.django_db


def test_pin_and_unpin_a_decision(client, commander):
    incident = factories.declare(commander, commander=commander)
    decision = services.add_note(incident.pk, by=commander, text="Evacuate block C now.")
    services.pin_entry(incident.pk, by=commander, seq=decision.seq)
    assert services.pinned_seqs(incident) == [decision.seq]
    client.force_login(commander)
    page = client.get(f"/incidents/{incident.pk}/").content.decode()
    pins = page.split('id="panel-pins"')[1].split("</div>")[0]
    assert "Evacuate block C now." in pins and "Pinned decisions" in pins
    with pytest.raises(RuleBroken):
        services.pin_entry(incident.pk, by=commander, seq=decision.seq)
    client.post(f"/incidents/{incident.pk}/pins/", {"seq": decision.seq, "pinned": "0"})
    assert services.pinned_seqs(incident) == []
    assert incident.timeline.filter(kind="pinned").count() == 2  # both steps on the record


def test_bad_pins_change_nothing(client, commander, pr):
    incident = factories.declare(commander, commander=commander)
    with pytest.raises(ValidationError):
        services.pin_entry(incident.pk, by=commander, seq=9999)
    pin = services.pin_entry(incident.pk, by=commander, seq=1)
    with pytest.raises(ValidationError):  # a pin is not itself pinned
        services.pin_entry(incident.pk, by=commander, seq=pin.seq)
    with pytest.raises(NotAllowed):
        services.pin_entry(incident.pk, by=pr, seq=1, pinned=False)
    client.force_login(commander)
    before = incident.timeline.count()
    assert client.post(f"/incidents/{incident.pk}/pins/", {"seq": "abc"}).status_code == 302
    assert client.post("/incidents/99999999/pins/", {"seq": 1}).status_code == 404
    assert incident.timeline.count() == before
