"""The only writers of playbooks: create, clone to a new draft, publish, retire, import.

Publishing validates the whole version (every part's own rules, at least one first-hour step,
placeholders) and retires the previously published version in the same transaction, so a
playbook never has two published versions; the database says so too.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from config.errors import RuleBroken

from .models import (
    DeadlineRule,
    Phase,
    Playbook,
    PlaybookVersion,
    QALine,
    StatementTemplate,
    Step,
    VersionState,
)

PART_MODELS = (Step, DeadlineRule, StatementTemplate, QALine)
PART_RELATIONS = {
    Step: "steps",
    DeadlineRule: "deadline_rules",
    StatementTemplate: "statement_templates",
    QALine: "qa_lines",
}


def may_edit(user) -> bool:
    return bool(user and user.is_active and user.has_perm("playbooks.change_playbookversion"))


def _require_editor(user) -> None:
    if user is not None and not may_edit(user):
        raise PermissionDenied(_("Only admins may edit playbooks."))


def _next_number(playbook: Playbook) -> int:
    return (playbook.versions.aggregate(n=Max("number"))["n"] or 0) + 1


def new_draft(playbook: Playbook, *, by=None) -> PlaybookVersion:
    _require_editor(by)
    with transaction.atomic():
        Playbook.objects.select_for_update().get(pk=playbook.pk)
        return PlaybookVersion.objects.create(playbook=playbook, number=_next_number(playbook), created_by=by)


def clone_to_draft(version: PlaybookVersion, *, by=None) -> PlaybookVersion:
    """Editing a published (or retired) version means copying it into a new draft."""
    _require_editor(by)
    with transaction.atomic():
        playbook = Playbook.objects.select_for_update().get(pk=version.playbook_id)
        draft = PlaybookVersion.objects.create(
            playbook=playbook,
            number=_next_number(playbook),
            notes_zh=version.notes_zh,
            notes_en=version.notes_en,
            update_every_minutes=version.update_every_minutes,
            based_on=version,
            created_by=by,
        )
        for model in PART_MODELS:
            for part in getattr(version, PART_RELATIONS[model]).all():
                part.pk = None
                part._state.adding = True
                part.version = draft
                part.save()
    return draft


def validate_version(version: PlaybookVersion) -> None:
    """Every rule a version must satisfy before it may be published; raises one ValidationError
    that lists every problem, each named by the part it is in."""
    errors: list[str] = []
    for model in PART_MODELS:
        for part in getattr(version, PART_RELATIONS[model]).all():
            try:
                part.full_clean(exclude=["version"])
            except ValidationError as exc:
                label = f"{model._meta.verbose_name} “{part}”"
                for field, messages in exc.message_dict.items():
                    for message in messages:
                        errors.append(f"{label}, {field}: {message}")
    if not version.steps.filter(phase=Phase.FIRST_HOUR).exists():
        errors.append(_("A published playbook needs at least one first-hour step."))
    if errors:
        raise ValidationError(errors)


def publish(version: PlaybookVersion, *, by=None) -> PlaybookVersion:
    _require_editor(by)
    with transaction.atomic():
        Playbook.objects.select_for_update().get(pk=version.playbook_id)
        version = PlaybookVersion.objects.get(pk=version.pk)
        if version.state != VersionState.DRAFT:
            raise RuleBroken(
                _("Only a draft can be published; this version is %(s)s.") % {"s": version.get_state_display()}
            )
        validate_version(version)
        for current in PlaybookVersion.objects.filter(playbook_id=version.playbook_id, state=VersionState.PUBLISHED):
            current.retire()
            current.save()
        version.publish()
        version.published_by = by
        version.save()
    return version


def retire(version: PlaybookVersion, *, by=None) -> PlaybookVersion:
    _require_editor(by)
    with transaction.atomic():
        version = PlaybookVersion.objects.select_for_update().get(pk=version.pk)
        if version.state != VersionState.PUBLISHED:
            raise RuleBroken(_("Only the published version can be retired."))
        version.retire()
        version.save()
    return version


def published_for_kind(kind: str) -> PlaybookVersion | None:
    """The version an incident of `kind` runs on by default: the default playbook's published
    version, else any published playbook of that kind."""
    return (
        PlaybookVersion.objects.filter(state=VersionState.PUBLISHED, playbook__kind=kind)
        .select_related("playbook")
        .order_by("-playbook__is_default", "playbook__pk")
        .first()
    )
