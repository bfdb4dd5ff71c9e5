import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from config.errors import RuleBroken
from incidents import services
from incidents.models import EntryKind, Incident, Status, TimelineEntry
from tests import factories

pytestmark = pytest.mark.django_db


def kinds(incident):
    return list(TimelineEntry.objects.filter(incident=incident).order_by("seq").values_list("kind", flat=True))


def test_declaring_starts_reported_and_writes_the_timeline(responder):
    incident = factories.declare(responder)
    assert incident.status == Status.REPORTED
    assert incident.reported_by == responder
    assert incident.commander is None
    assert kinds(incident) == [EntryKind.DECLARED]
    assert incident.declared_at <= timezone.now()


def test_declaring_with_a_commander_names_them_at_once(responder, commander):
    incident = factories.declare(responder, commander=commander)
    assert incident.commander == commander
    assert kinds(incident) == [EntryKind.DECLARED, EntryKind.ROLE_ASSIGNED]


def test_declaring_needs_permission(executive):
    with pytest.raises(PermissionDenied):
        factories.declare(executive)
    assert not Incident.objects.exists()


@pytest.mark.parametrize(
    "field,value",
    [("kind", "earthquake"), ("severity", 0), ("severity", 5), ("title", "  "), ("title", "x" * 201)],
)
def test_declaring_rejects_bad_input_and_writes_nothing(responder, field, value):
    with pytest.raises(ValidationError) as exc:
        factories.declare(responder, **{field: value})
    assert field in exc.value.message_dict
    assert not Incident.objects.exists()
    assert not TimelineEntry.objects.exists()


def test_detection_in_the_future_is_refused(responder):
    with pytest.raises(ValidationError):
        factories.declare(responder, detected_at=timezone.now() + timezone.timedelta(hours=1))


def test_a_commander_must_be_allowed_to_command(responder, pr):
    with pytest.raises(ValidationError) as exc:
        factories.declare(responder, commander=pr)
    assert "commander" in exc.value.message_dict


def test_the_whole_lifecycle(commander):
    incident = factories.declare(commander, commander=commander)
    for name, status in [
        ("activate", Status.ACTIVE),
        ("contain", Status.CONTAINED),
        ("reopen", Status.ACTIVE),
        ("resolve", Status.RESOLVED),
        ("close", Status.CLOSED),
    ]:
        incident = services.transition_incident(incident.pk, by=commander, name=name, note="Why.")
        assert incident.status == status
    incident.refresh_from_db()
    assert incident.closed_at is not None
    transitions = TimelineEntry.objects.filter(incident=incident, kind=EntryKind.TRANSITION).order_by("seq")
    assert [(e.data["from"], e.data["to"]) for e in transitions] == [
        ("reported", "active"),
        ("active", "contained"),
        ("contained", "active"),
        ("active", "resolved"),
        ("resolved", "closed"),
    ]


def test_activating_needs_a_commander(responder, commander):
    incident = factories.declare(responder)
    with pytest.raises(RuleBroken) as exc:
        services.transition_incident(incident.pk, by=commander, name="activate")
    assert "commander" in exc.value.message
    incident.refresh_from_db()
    assert incident.status == Status.REPORTED


def test_closing_needs_resolved(incident, commander):
    services.transition_incident(incident.pk, by=commander, name="activate")
    with pytest.raises(RuleBroken) as exc:
        services.transition_incident(incident.pk, by=commander, name="close", note="Too early.")
    assert exc.value.details["status"] == "active"
    assert "close" not in exc.value.details["allowed_transitions"]
    assert "contain" in exc.value.details["allowed_transitions"]


def test_only_the_commander_or_an_admin_moves_the_incident(incident, commander2, pr, admin):
    for outsider in (commander2, pr):
        with pytest.raises(PermissionDenied):
            services.transition_incident(incident.pk, by=outsider, name="activate")
    incident.refresh_from_db()
    assert incident.status == Status.REPORTED
    services.transition_incident(incident.pk, by=admin, name="activate")
    incident.refresh_from_db()
    assert incident.status == Status.ACTIVE


def test_stand_down_before_anyone_commands(responder, commander, pr):
    incident = factories.declare(responder)
    with pytest.raises(PermissionDenied):
        services.transition_incident(incident.pk, by=pr, name="stand_down", note="Not mine to say.")
    services.transition_incident(incident.pk, by=commander, name="stand_down", note="False alarm: drill.")
    incident.refresh_from_db()
    assert incident.status == Status.STOOD_DOWN
    last = TimelineEntry.objects.filter(incident=incident).order_by("-seq").first()
    assert last.text == "False alarm: drill."


def test_unknown_transition_is_bad_input(incident, commander):
    with pytest.raises(ValidationError):
        services.transition_incident(incident.pk, by=commander, name="explode")


def test_status_cannot_be_assigned_directly(incident):
    with pytest.raises(AttributeError):
        incident.status = Status.CLOSED


def test_allowed_transitions_depend_on_the_viewer(incident, commander, commander2):
    assert set(services.allowed_transitions(incident, commander)) == {"activate", "stand_down"}
    assert services.allowed_transitions(incident, commander2) == []


def test_restricted_incidents_are_hidden_from_outsiders(commander, responder, executive, admin):
    incident = factories.declare(commander, commander=commander, restricted=True)
    assert not Incident.objects.visible_to(responder).filter(pk=incident.pk).exists()
    with pytest.raises(Incident.DoesNotExist):
        services.get_visible_incident(incident.pk, responder)
    with pytest.raises(Incident.DoesNotExist):
        services.add_note(incident.pk, by=responder, text="hi")
    for insider in (commander, executive, admin):
        assert services.get_visible_incident(incident.pk, insider).pk == incident.pk
    services.assign_role(incident.pk, by=commander, user=responder, role="responder")
    assert services.get_visible_incident(incident.pk, responder).pk == incident.pk


def test_notes(incident, executive):
    entry = services.add_note(incident.pk, by=executive, text="  Board informed.  ")
    assert entry.text == "Board informed."
    with pytest.raises(ValidationError):
        services.add_note(incident.pk, by=executive, text="   ")
