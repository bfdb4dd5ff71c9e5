import io
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.utils import timezone

from config.errors import RuleBroken
from incidents.models import Deadline, Task, TaskState
from playbooks import services, templating
from playbooks.defaults import default_files, load_default_playbooks
from playbooks.exchange import PlaybookFileError, export_version, import_text
from playbooks.models import (
    DeadlineRule,
    ImmutableVersion,
    Playbook,
    PlaybookVersion,
    StatementTemplate,
    Step,
    VersionState,
)
from tests import factories


def parse_slug(path: Path) -> str:
    return yaml.safe_load(path.read_text(encoding="utf-8"))["playbook"]["slug"]


SAMPLE = (Path(__file__).parent / "sample.yaml").read_text(encoding="utf-8")
SHANGHAI = ZoneInfo("Asia/Shanghai")

pytestmark = pytest.mark.django_db


@pytest.fixture
def published():
    return import_text(SAMPLE, publish=True)


# --- Immutability ---------------------------------------------------------------------------------


def test_a_published_version_cannot_change(published):
    published.notes_en = "sneaky"
    with pytest.raises(ImmutableVersion):
        published.save()
    with pytest.raises(ImmutableVersion):
        published.delete()
    with pytest.raises(ImmutableVersion):
        PlaybookVersion.objects.filter(pk=published.pk).update(notes_en="sneaky")
    with pytest.raises(ImmutableVersion):
        PlaybookVersion.objects.filter(pk=published.pk).delete()


def test_the_parts_of_a_published_version_cannot_change(published):
    step = published.steps.first()
    step.title_en = "changed"
    with pytest.raises(ImmutableVersion):
        step.save()
    with pytest.raises(ImmutableVersion):
        step.delete()
    with pytest.raises(ImmutableVersion):
        Step.objects.filter(version=published).update(title_en="changed")
    with pytest.raises(ImmutableVersion):
        DeadlineRule.objects.filter(version=published).delete()
    with pytest.raises(ImmutableVersion):
        Step.objects.create(version=published, title_zh="x", title_en="x", owner_role="commander")
    draft = services.clone_to_draft(published)
    moved = draft.steps.first()
    moved.version = published  # moving a part into a frozen version is a change too
    with pytest.raises(ImmutableVersion):
        moved.save()
    assert published.steps.filter(title_en="changed").count() == 0


def test_editing_means_cloning_to_a_draft(published):
    draft = services.clone_to_draft(published)
    assert draft.state == VersionState.DRAFT
    assert draft.number == published.number + 1
    assert draft.based_on == published
    assert export_version(draft) == export_version(published)
    step = draft.steps.first()
    step.title_en = "Name the commander now"
    step.save()
    assert published.steps.first().title_en == "Name the commander"


def test_publishing_retires_the_previous_version_and_one_stays_published(published):
    draft = services.clone_to_draft(published)
    services.publish(draft)
    published.refresh_from_db()
    assert published.state == VersionState.RETIRED
    assert PlaybookVersion.objects.filter(playbook=published.playbook, state=VersionState.PUBLISHED).count() == 1
    with pytest.raises(RuleBroken):
        services.publish(published)


def test_the_database_allows_one_published_version_per_playbook(published):
    from django.db import IntegrityError, transaction

    draft = services.clone_to_draft(published)
    with pytest.raises(IntegrityError), transaction.atomic():
        PlaybookVersion.objects.filter(pk=draft.pk).update(state=VersionState.PUBLISHED)


# --- Validation -------------------------------------------------------------------------------------


def test_a_version_without_a_first_hour_step_cannot_be_published(published):
    draft = services.clone_to_draft(published)
    draft.steps.filter(phase="first_hour").delete()
    with pytest.raises(ValidationError) as exc:
        services.publish(draft)
    assert "first-hour step" in str(exc.value)
    draft.refresh_from_db()
    assert draft.state == VersionState.DRAFT


def test_unknown_roles_and_placeholders_are_refused_on_publish(published):
    draft = services.clone_to_draft(published)
    Step.objects.filter(version=draft, order=1).update(owner_role="janitor")
    StatementTemplate.objects.filter(version=draft).update(body_en="Hello {{ ceo_home_address }}")
    with pytest.raises(ValidationError) as exc:
        services.publish(draft)
    text = " ".join(exc.value.messages)
    assert "janitor" in text
    assert "ceo_home_address" in text
    draft.refresh_from_db()
    assert draft.state == VersionState.DRAFT


def test_negative_offsets_are_refused_by_validation_and_by_the_database(published):
    from django.db import IntegrityError, transaction

    draft = services.clone_to_draft(published)
    step = draft.steps.first()
    step.due_offset_minutes = -5
    with pytest.raises(ValidationError) as exc:
        step.full_clean()
    assert "at least one minute after the incident is declared" in str(exc.value)
    with pytest.raises(IntegrityError), transaction.atomic():
        step.save()


def test_reminders_must_come_before_the_deadline():
    rule = DeadlineRule(code="x", audience="public", title_zh="x", title_en="x", due_in=30, unit="minutes",
                        remind_before_minutes="45")  # fmt: skip
    with pytest.raises(ValidationError) as exc:
        rule.full_clean(exclude=["version"])
    assert "remind_before_minutes" in exc.value.message_dict


# --- Safe templating ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "template",
    [
        "{{ title.__class__ }}",
        "{{ title|upper }}",
        "{{ settings.SECRET_KEY }}",
        "{{ Title }}",
        "{{ }}",
        "unclosed {{ title",
        "stray }} brace",
    ],
)
def test_anything_but_a_known_placeholder_is_a_validation_error(template):
    with pytest.raises(ValidationError):
        templating.validate_template(template)


def test_rendering_fills_known_placeholders_and_runs_nothing():
    values = {"title": "Crane <b>fell</b>", "location": "Block 3"}
    assert templating.render("{{ title }} at {{location}}", values) == "Crane <b>fell</b> at Block 3"
    assert templating.render("{% load x %}{{ title.__class__ }}", values) == "{% load x %}{{ title.__class__ }}"
    assert templating.render("{{ commander }}", values) == ""


# --- Export and import --------------------------------------------------------------------------------


def test_export_then_import_gives_an_identical_version(published):
    exported = export_version(published)
    again = import_text(exported)
    assert again.pk != published.pk
    assert export_version(again) == exported
    as_json = export_version(published, "json")
    assert export_version(import_text(as_json)) == exported


def test_the_commands_round_trip(published, tmp_path):
    out = tmp_path / "pb.yaml"
    call_command("export_playbook", "test-site", "-o", str(out))
    call_command("export_playbook", "test-site", "--number", "1", "--format", "json", "-o", str(tmp_path / "pb.json"))
    call_command("import_playbook", str(out))
    versions = PlaybookVersion.objects.filter(playbook__slug="test-site").order_by("number")
    assert export_version(versions.last()) == export_version(versions.first())


@pytest.mark.parametrize(
    "old,new,marker,needle",
    [
        ("unit: minutes", "unit: fortnights", "unit: fortnights", "fortnights"),
        ("due_offset_minutes: 30", "due_offset_minutes: -30", "due_offset_minutes: -30", "at least 1"),
        ("owner_role: responder", "owner_role: janitor", "owner_role: janitor", "janitor"),
        ("{{ next_update }}.\n", "{{ password }}.\n", "    body:", "{{ password }}"),
        ("    due_in: 2\n", "", "code: customer-reply", "due_in"),
        (
            "  - phase: first_hour\n    title: {zh: 初步评估",
            "  - phase: later\n    title: {zh: 初步评估",
            "phase: later",
            "later",
        ),
        ("code: holding-statement", "code: report-authority", "code: report-authority", "twice"),
        ("kind: site_safety", "kind: [broken", "kind: [broken", ""),
        (
            "    met_by_statement: false\n",
            "    met_by_statement: perhaps\n",
            "met_by_statement: perhaps",
            "true or false",
        ),
    ],
)
def test_bad_files_get_line_level_errors_and_change_nothing(old, new, marker, needle):
    assert old in SAMPLE
    text = SAMPLE.replace(old, new, 1)
    lines = text.splitlines()
    # The line of the offending value, or for a structural error the mapping or the next line.
    expected = {i + 1 for i, line in enumerate(lines) if marker in line}
    expected |= {n + 1 for n in expected} | {n - 1 for n in expected}
    before = PlaybookVersion.objects.count()
    with pytest.raises(PlaybookFileError) as exc:
        import_text(text)
    problems = exc.value.problems
    assert any(p.line in expected and needle in str(p) for p in problems), [str(p) for p in problems]
    assert PlaybookVersion.objects.count() == before
    assert not Playbook.objects.filter(slug="test-site").exists()


def test_a_file_without_first_hour_steps_is_refused():
    data = yaml.safe_load(SAMPLE)
    for step in data["steps"]:
        step["phase"] = "recover"
    with pytest.raises(PlaybookFileError) as exc:
        import_text(yaml.safe_dump(data, allow_unicode=True))
    assert "first hour" in str(exc.value)


def test_import_command_reports_problems_with_lines(tmp_path):
    from django.core.management.base import CommandError

    bad = tmp_path / "bad.yaml"
    bad.write_text(SAMPLE.replace("audience: public\n    purpose", "audience: everyone\n    purpose"), encoding="utf-8")
    with pytest.raises(CommandError):
        call_command("import_playbook", str(bad))
    assert not Playbook.objects.exists()


def test_a_step_due_at_minute_zero_is_refused_with_its_line():
    from playbooks.exchange import PlaybookFileError

    assert "due_offset_minutes: 10" in SAMPLE
    with pytest.raises(PlaybookFileError) as problem:
        import_text(SAMPLE.replace("due_offset_minutes: 10", "due_offset_minutes: 0", 1))
    assert "due_offset_minutes" in str(problem.value) and "at least 1" in str(problem.value)
    assert not Playbook.objects.exists()


def test_no_default_playbook_has_a_step_overdue_at_declaration():
    from playbooks.defaults import load_default_playbooks
    from playbooks.models import Step

    load_default_playbooks()
    assert Step.objects.exists() and not Step.objects.filter(due_offset_minutes__lt=1).exists()


# --- Running a playbook --------------------------------------------------------------------------------


def test_declaring_pins_the_published_version_and_creates_tasks_and_deadlines(published, commander):
    detected = timezone.now() - timedelta(minutes=20)
    incident = factories.declare(commander, detected_at=detected)
    assert incident.playbook_version == published
    tasks = list(Task.objects.filter(incident=incident).order_by("order"))
    assert [t.title_en for t in tasks] == ["Name the commander", "First assessment", "After-action review"]
    assert tasks[0].due_at == incident.declared_at + timedelta(minutes=10)
    assert tasks[1].due_at == incident.declared_at + timedelta(minutes=30)
    assert tasks[2].due_at is None
    deadlines = {d.code: d for d in Deadline.objects.filter(incident=incident)}
    assert deadlines["report-authority"].due_at == detected + timedelta(minutes=60)  # from detection
    assert deadlines["holding-statement"].due_at == incident.declared_at + timedelta(hours=1)
    assert deadlines["report-authority"].source.startswith("生产安全事故")
    assert deadlines["report-authority"].reminder_leads == [30, 10]


def test_naming_the_commander_ticks_its_step(published, commander, responder):
    incident = factories.declare(responder)
    task = Task.objects.get(incident=incident, completes_when="commander_named")
    assert task.state == TaskState.OPEN
    from incidents import services as incident_services

    incident_services.change_command(incident.pk, by=commander, to=commander)
    task.refresh_from_db()
    assert task.state == TaskState.DONE and task.completed_by == commander and task.in_time


def test_working_day_deadline_across_a_public_holiday(published, commander):
    # Declared on Thursday 2026-09-24 at 10:00. Friday 09-25 is the Mid-Autumn Festival, then a
    # weekend: two working days later is Tuesday 2026-09-29, due at the close of business.
    declared = datetime(2026, 9, 24, 10, 0, tzinfo=SHANGHAI)
    incident = factories.declare(commander, detected_at=declared)
    from incidents import services as incident_services

    due = incident_services.deadline_due_at(incident, due_in=2, unit="working_days", clock_starts_at="detection")
    assert due == datetime(2026, 9, 29, 18, 0, tzinfo=SHANGHAI)


def test_editing_or_publishing_later_changes_nothing_in_a_running_incident(published, commander):
    incident = factories.declare(commander)
    before_tasks = list(Task.objects.filter(incident=incident).values_list("title_en", "due_at"))
    before_deadlines = list(Deadline.objects.filter(incident=incident).values_list("code", "due_at"))
    draft = services.clone_to_draft(published)
    step = draft.steps.first()
    step.title_en = "A brand new first step"
    step.due_offset_minutes = 1
    step.save()
    DeadlineRule.objects.filter(version=draft).update(due_in=90)
    services.publish(draft)
    incident.refresh_from_db()
    assert incident.playbook_version == published
    assert list(Task.objects.filter(incident=incident).values_list("title_en", "due_at")) == before_tasks
    assert list(Deadline.objects.filter(incident=incident).values_list("code", "due_at")) == before_deadlines
    newer = factories.declare(commander)
    assert newer.playbook_version == draft
    assert Task.objects.filter(incident=newer, title_en="A brand new first step").exists()


def test_the_declarer_may_pick_a_published_version(published, commander):
    other = import_text(SAMPLE.replace("slug: test-site", "slug: other-site"), publish=True)
    incident = factories.declare(commander, playbook_version=other)
    assert incident.playbook_version == other
    draft = services.clone_to_draft(other)
    with pytest.raises(ValidationError):
        factories.declare(commander, playbook_version=draft)


# --- Default playbooks ----------------------------------------------------------------------------------


def test_default_playbooks_load_idempotently():
    # which kinds there are, and how they read: tests/playbooks/test_default_craft.py
    first = load_default_playbooks()
    assert first == [parse_slug(path) for path in default_files()]
    count = PlaybookVersion.objects.count()
    assert load_default_playbooks() == first
    assert PlaybookVersion.objects.count() == count
    for playbook in Playbook.objects.all():
        version = playbook.published_version
        assert version is not None
        first_hour = version.steps.filter(phase="first_hour")
        assert first_hour.filter(completes_when="commander_named").exists(), playbook.slug
        assert first_hour.filter(due_offset_minutes__lte=60).count() >= 3, playbook.slug
        assert version.statement_templates.filter(audience="public", purpose="holding").exists(), playbook.slug
        assert version.qa_lines.count() >= 3, playbook.slug
        assert version.deadline_rules.exclude(source="").exists(), playbook.slug
        for template in version.statement_templates.all():
            for text in (template.title_zh, template.title_en, template.body_zh, template.body_en):
                assert text and not templating.problems(text)


def test_default_site_safety_playbook_reports_to_the_authority_within_an_hour_of_detection():
    load_default_playbooks()
    version = Playbook.objects.get(kind="site_safety", is_default=True).published_version
    rules = version.deadline_rules.filter(audience="regulator", unit="minutes", due_in__lte=60)
    assert rules.filter(clock_starts_at="detection", source__contains="493").exists()


# --- API --------------------------------------------------------------------------------------------------


def test_playbook_api(api, published, responder):
    client = api.as_user(responder)
    body = client.get("/api/playbooks/").json()
    assert body["count"] == 1
    item = body["results"][0]
    assert {"id", "kind", "name", "version"} <= set(item)
    assert item["version"] == published.number
    detail = client.get(f"/api/playbook-versions/{item['version_id']}/").json()
    assert len(detail["steps"]) == 3
    assert detail["deadline_rules"][0]["remind_before_minutes"] == [30, 10]
    assert client.get("/api/playbooks/99999/").status_code == 404
    assert client.post("/api/playbooks/", {}, format="json").status_code == 405


def test_upgrading_publishes_a_corrected_default_and_keeps_what_it_replaces():
    load_default_playbooks()
    site = Playbook.objects.get(slug="site-safety")
    first = site.published_version
    # An installation from before the correction: the casualty window was a duty due on day 30.
    draft = services.clone_to_draft(first)
    draft.deadline_rules.filter(code="casualty-change-report").update(nature="duty")
    old = services.publish(draft)
    load_default_playbooks()  # without --upgrade an existing playbook is left alone
    assert Playbook.objects.get(slug="site-safety").published_version == old
    call_command("load_defaults", "--upgrade", stdout=io.StringIO())
    current = Playbook.objects.get(slug="site-safety").published_version
    assert current.number == old.number + 1
    assert current.deadline_rules.get(code="casualty-change-report").nature == "watch"
    old.refresh_from_db()
    assert old.state == VersionState.RETIRED
    counts = PlaybookVersion.objects.count()
    call_command("load_defaults", "--upgrade", stdout=io.StringIO())  # unchanged: nothing new
    assert PlaybookVersion.objects.count() == counts
