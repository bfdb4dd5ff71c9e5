"""A drill's inject reaches the war room once through the real Celery worker and beat (issue 18)."""

from __future__ import annotations

import pytest

from incidents.models import Inject, TimelineEntry
from playbooks.models import DrillInject, DrillScript
from tests import factories
from tests.processes import wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_an_inject_due_now_lands_once_on_the_timeline(timer_processes):
    commander = factories.commander_user(username="cmd-drill")
    script = DrillScript.objects.create(name="桌面推演")
    DrillInject.objects.create(script=script, after_minutes=0, title="现场传来第二次坍塌的消息")
    incident = factories.declare(commander, commander=commander, exercise=True, drill_script=script)
    inject = Inject.objects.get(incident=incident)
    assert wait_for(lambda: Inject.objects.filter(pk=inject.pk, delivered_at__isnull=False).exists(), timeout=8)
    wait_for(lambda: False, timeout=1.5)  # give a duplicate (ETA vs sweep) the chance to show
    entries = TimelineEntry.objects.filter(incident=incident, kind="drill_inject")
    assert [e.data["title"] for e in entries] == ["现场传来第二次坍塌的消息"]
