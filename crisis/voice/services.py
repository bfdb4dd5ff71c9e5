"""The only writers of statements and Q&A lines (一个声音 — one voice).

Every function checks who may act, validates, then under the incident's row lock re-reads the
statement, checks the rule that applies to its state, moves it through its lifecycle, and records
the step on the incident's timeline (who and when; the approvals log). Publishing supersedes the
current statement for the audience and meets the deadlines it answers, in the same transaction.

Who may do what (README "One voice"):
- draft, edit, submit: PR staff (`voice.draft_statement`) and the incident's spokesperson;
- approve, reject: the incident's commander, or an admin; where the template asks for a second
  review, also someone with `voice.review_statement_legal` (who may reject too);
- publish: the commander, the spokesperson, or an admin;
- withdraw: a published statement — whoever may publish; an unpublished one — its drafter, or
  the commander or an admin.
A commander of *another* incident who tries a commander's step gets a conflict (409) naming this
incident's commander, as for hand-overs; someone who may never do it gets 403.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max, QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from config.commands import Permission
from config.errors import NotAllowed, RuleBroken
from incidents import permissions
from incidents.models import Incident, Severity
from incidents.services import get_visible_incident, meet_deadlines_by_statement, record_promise, update_interval
from incidents.timeline import display_name, lock_incident, person, record
from playbooks import templating
from playbooks.models import Audience, CrisisKind, StatementPurpose, StatementTemplate
from playbooks.models import QALine as PlaybookQALine

from . import entries, review
from .models import (
    EDITABLE_LINE_STATES,
    EDITABLE_STATEMENT_STATES,
    OPEN_LINE_STATES,
    CompanyProfile,
    QALine,
    QALineState,
    Statement,
    StatementRevision,
    StatementState,
    TextLanguage,
)

MAX_TITLE = 200
MAX_BODY = 20_000
MAX_COMMENT = review.MAX_COMMENT


# --- Who may ------------------------------------------------------------------------------------------


def _active(user) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active)


def is_spokesperson(user, incident: Incident) -> bool:
    return _active(user) and incident.spokesperson_id is not None and incident.spokesperson_id == user.pk


def may_draft(user, incident: Incident) -> bool:
    """PR staff and the incident's spokesperson draft, edit and submit."""
    if not permissions.may_view(user, incident):
        return False
    return user.has_perm("voice.draft_statement") or is_spokesperson(user, incident)


def may_approve(user, incident: Incident) -> bool:
    """The incident's commander (or an admin) approves and rejects."""
    return permissions.may_view(user, incident) and permissions.directs(user, incident)


def may_second_review(user, incident: Incident) -> bool:
    return permissions.may_view(user, incident) and user.has_perm("voice.review_statement_legal")


def may_publish(user, incident: Incident) -> bool:
    return permissions.may_view(user, incident) and (
        permissions.directs(user, incident) or is_spokesperson(user, incident)
    )


def may_reject(user, statement: Statement, incident: Incident) -> bool:
    return may_approve(user, incident) or (statement.needs_second_review and may_second_review(user, incident))


def may_withdraw(user, statement: Statement, incident: Incident) -> bool:
    if statement.state == StatementState.PUBLISHED:
        return may_publish(user, incident)
    if not permissions.may_view(user, incident):
        return False
    return statement.drafted_by_id == getattr(user, "pk", None) or permissions.directs(user, incident)


WITHDRAW_DRAFT = _lazy("Only its drafter, the commander or an admin may withdraw this draft.")
DRAFT = Permission(may_draft, _lazy("Only PR staff or the incident's spokesperson may draft and submit statements."))


def _commander_only(user, incident: Incident, message: str) -> Exception:
    """The error for a commander's step tried by someone else: a conflict for a commander of
    another incident (the rule is one commander, and it is not them), a refusal for anyone else."""
    if permissions.may_command(user):
        if incident.commander_id is None:
            return RuleBroken(_("This incident has no commander yet; name one first."), commander=None)
        return RuleBroken(
            message + " " + _("%(name)s commands this incident.") % {"name": display_name(incident.commander)},
            commander=person(incident.commander),
        )
    return NotAllowed(message)


def require(action: str, user, incident: Incident, statement: Statement | None = None) -> None:
    """Raise NotAllowed (403) or RuleBroken (409) unless `user` may take `action`. The API calls
    this before it reads the request body; the services call it again under the lock."""
    if action in ("draft", "edit", "submit"):
        DRAFT.check(user, incident)
    elif action == "approve":
        if not may_approve(user, incident):
            raise _commander_only(user, incident, _("Only the incident's commander may approve statements."))
    elif action == "second_review":
        if not may_second_review(user, incident):
            raise NotAllowed(_("Only a second reviewer (e.g. legal) may give the second review."))
    elif action == "reject":
        if statement is None or not may_reject(user, statement, incident):
            raise _commander_only(user, incident, _("Only the incident's commander may reject statements."))
    elif action == "publish":
        if not may_publish(user, incident):
            raise _commander_only(
                user, incident, _("Only the incident's commander or spokesperson may publish statements.")
            )
    elif action == "withdraw":
        if statement is None or not may_withdraw(user, statement, incident):
            if statement is not None and statement.state == StatementState.PUBLISHED:
                raise _commander_only(
                    user, incident, _("Only the incident's commander or spokesperson may withdraw a statement.")
                )
            raise NotAllowed(str(WITHDRAW_DRAFT))
    else:  # pragma: no cover - a programming error, not user input
        raise ValueError(action)


def statement_actions(user, statement: Statement, incident: Incident | None = None) -> list[str]:
    """What `user` may do next with `statement` (for pages and the API's `allowed_actions`).
    Nothing but withdrawing happens once the incident is closed."""
    incident = incident or statement.incident
    state = statement.state
    open_ = incident.is_open
    actions: list[str] = []
    if open_ and state in EDITABLE_STATEMENT_STATES and may_draft(user, incident):
        actions.append("edit")
        if state in (StatementState.DRAFT, StatementState.REJECTED):
            actions.append("submit")
    if open_ and state == StatementState.IN_REVIEW:
        if statement.approved_by_id is None and may_approve(user, incident):
            actions.append("approve")
        if (
            statement.needs_second_review
            and statement.second_reviewer_id is None
            and statement.approved_by_id != user.pk
            and may_second_review(user, incident)
        ):
            actions.append("second_review")
        if may_reject(user, statement, incident):
            actions.append("reject")
    if open_ and state == StatementState.APPROVED and may_publish(user, incident):
        actions.append("publish")
    if state in (*EDITABLE_STATEMENT_STATES, StatementState.PUBLISHED) and may_withdraw(user, statement, incident):
        actions.append("withdraw")
    return actions


# --- Reading ------------------------------------------------------------------------------------------


def get_visible_statement(statement_id: int, user) -> Statement:
    """The statement, if `user` may see its incident; otherwise it does not exist (404)."""
    return review.visible(Statement, statement_id, user)


def current_statement(incident: Incident | int, audience: str) -> Statement | None:
    """The one published statement for this audience, or None."""
    return Statement.objects.filter(incident=incident, audience=audience, state=StatementState.PUBLISHED).first()


def statement_history(incident: Incident | int, audience: str) -> QuerySet[Statement]:
    """Everything ever published to the audience, newest first (the current one included)."""
    return Statement.objects.filter(
        incident=incident,
        audience=audience,
        published_at__isnull=False,
    ).order_by("-published_at", "-pk")


def templates_for(incident: Incident) -> QuerySet[StatementTemplate]:
    """The statement templates of the playbook version the incident pinned."""
    if incident.playbook_version_id is None:
        return StatementTemplate.objects.none()
    return StatementTemplate.objects.filter(version_id=incident.playbook_version_id).order_by("order", "pk")


def language_of(code: str | None) -> str:
    """The text language for a UI language code: zh-hans → zh, anything else → en."""
    return TextLanguage.ZH if (code or "").lower().startswith("zh") else TextLanguage.EN


# --- Filling a template ---------------------------------------------------------------------------------


def _local(moment: datetime | None) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else ""


def _audience_name(code: str, language: str) -> str:
    with translation.override(language):
        return str(Audience(code).label)


def _within(minutes: int, language: str) -> str:
    """How soon, said the way a statement says it: the promise is counted from publishing, so it is
    a span ("within 2 hours"), never a clock time computed while drafting."""
    hours, rest = divmod(minutes, 60)
    if language == TextLanguage.ZH:
        return f"{hours}小时内" if not rest else f"{minutes}分钟内"
    if not rest:
        return f"within {hours} hour{'s' if hours != 1 else ''}"
    return f"within {minutes} minutes"


def promises_update(statement: Statement) -> bool:
    """Whether the statement promised its audience a next update: its template said when."""
    template = statement.template
    return template is not None and any(
        "{{ next_update }}" in text or "{{next_update}}" in text
        for text in (template.title_zh, template.title_en, template.body_zh, template.body_en)
    )


def placeholder_values(incident: Incident, language: str, *, now: datetime | None = None) -> dict[str, str]:
    """The values of the documented placeholders (playbooks/FORMAT.md) for this incident, in the
    language of the text being drafted."""
    now = now or timezone.now()
    ui_language = "zh-hans" if language == TextLanguage.ZH else "en"
    profile = CompanyProfile.current()
    zh = language == TextLanguage.ZH
    with translation.override(ui_language):
        kind = str(CrisisKind(incident.kind).label) if incident.kind in CrisisKind.values else incident.kind
        severity = str(Severity(incident.severity).label) if incident.severity in Severity.values else ""
        # What the profile (or the settings) does not say stays a visible gap, like the templates'
        # own 【…】 gaps: the text cannot be submitted or published until someone fills it in.
        company = (profile.name_zh if zh else profile.name_en) or settings.CRISIS_COMPANY_NAME or _("【company name】")
        hotline = profile.hotline or settings.CRISIS_HOTLINE or _("【customer hotline】")
        address = (profile.address_zh if zh else profile.address_en) or _("【company address】")
    commander = display_name(incident.commander)
    return {
        "title": incident.title,
        "location": incident.location,
        "kind": kind,
        "severity": severity,
        "detected_at": _local(incident.detected_at),
        "declared_at": _local(incident.declared_at),
        "now": _local(now),
        "next_update": _within(update_interval(incident), language),
        "commander": commander,
        "spokesperson": display_name(incident.spokesperson) or commander,
        "company": company,
        "hotline": hotline,
        "address": address,
    }


def fill_template(template: StatementTemplate, incident: Incident, language: str) -> tuple[str, str]:
    """The template's title and body in `language`, with the incident's facts filled in."""
    values = placeholder_values(incident, language)
    title = getattr(template, f"title_{language}") or template.title
    body = getattr(template, f"body_{language}") or template.body
    return templating.render(title, values).strip()[:MAX_TITLE], templating.render(body, values).strip()


def statement_data(statement: Statement, action: str, **extra: Any) -> dict[str, Any]:
    return {
        "statement": statement.pk,
        "action": action,
        "audience": statement.audience,
        "title": statement.title,
        "state": statement.state,
        "version": statement.version,
        **extra,
    }


STATEMENTS = review.Kind(
    model=Statement,
    entry=entries.STATEMENT,
    data=statement_data,
    require=require,
    withdrawable=(*EDITABLE_STATEMENT_STATES, StatementState.PUBLISHED),
    noun="statement",
    current=lambda statement: Statement.objects.filter(
        incident=statement.incident_id, audience=statement.audience, state=StatementState.PUBLISHED
    ),
    become_current=lambda statement, by: statement.publish(by),
    current_action="published",
    race=_lazy("Another statement for this audience was published at the same moment; reload and try again."),
    words=lambda statement: (statement.title, statement.body),
)


def _record_statement(incident: Incident, statement: Statement, action: str, *, by, text: str = "", **extra) -> None:
    review.write(STATEMENTS, incident, statement, action, by=by, text=text, **extra)


def _revision(statement: Statement, by) -> StatementRevision:
    return StatementRevision.objects.create(
        statement=statement, number=statement.version, title=statement.title, body=statement.body, edited_by=by
    )


# --- Statements ---------------------------------------------------------------------------------------


def _resolve_template(incident: Incident, template: StatementTemplate | int | None) -> StatementTemplate | None:
    """A template of the playbook version the incident pinned, or a ValidationError."""
    if template is None:
        return None
    if isinstance(template, StatementTemplate):
        found = template if template.version_id == incident.playbook_version_id else None
    elif isinstance(template, int) and not isinstance(template, bool):
        found = templates_for(incident).filter(pk=template).first()
    else:
        found = None
    if found is None:
        raise ValidationError({"template": _("Not a template of this incident's playbook.")})
    return found


def create_statement(
    incident_id: int,
    *,
    by,
    audience: str | None = None,
    title: str | None = None,
    body: str | None = None,
    template: StatementTemplate | int | None = None,
    language: str | None = None,
    purpose: str | None = None,
) -> Statement:
    """Draft a statement, from a template of the incident's playbook (its placeholders filled from
    the incident, in the chosen language) or from scratch. A title or body given wins over the
    template's; what is left out comes from the template."""
    incident = get_visible_incident(incident_id, by)
    require("draft", by, incident)
    language = language or language_of(translation.get_language())
    if language not in TextLanguage.values:
        raise ValidationError({"language": _("Unknown language.")})
    template = _resolve_template(incident, template)
    if template is not None:
        audience = audience or template.audience
        purpose = purpose or template.purpose
        if template.audience != audience:
            raise ValidationError(
                {
                    "template": _("This template is for another audience (%(audience)s).")
                    % {"audience": template.get_audience_display()}
                }
            )
        if not title or not body:
            filled_title, filled_body = fill_template(template, incident, language)
            title, body = title or filled_title, body or filled_body
    errors: dict[str, str] = {}
    if not audience:
        errors["audience"] = _("This field is required.")
    elif audience not in Audience.values:
        errors["audience"] = _("Unknown audience.")
    if purpose and purpose not in StatementPurpose.values:
        errors["purpose"] = _("Unknown purpose.")
    cleaned: dict[str, str] = {}
    for field, value, limit in (("title", title, MAX_TITLE), ("body", body, MAX_BODY)):
        try:
            cleaned[field] = review.clean(value, field, required=True, max_length=limit)
        except ValidationError as exc:
            errors[field] = exc.message_dict[field][0]
    if errors:
        raise ValidationError(errors)

    with transaction.atomic():
        incident = lock_incident(incident.pk)
        require("draft", by, incident)
        review.require_open(incident)
        statement = Statement.objects.create(
            incident=incident,
            audience=audience,
            purpose=purpose or "",
            template=template,
            language=language,
            title=cleaned["title"],
            body=cleaned["body"],
            needs_second_review=bool(template and template.second_review),
            drafted_by=by,
        )
        _revision(statement, by)
        _record_statement(
            incident, statement, "drafted", by=by, template=template.pk if template else None, language=language
        )
    return statement


def edit_statement(statement_id: int, *, by, title: str, body: str, version: int | None = None) -> Statement:
    """Change the words. An approved statement goes back to review: approvals cover words, and
    these are new words. A rejected one stays rejected (with its comment) until resubmitted."""
    title = review.clean(title, "title", required=True, max_length=MAX_TITLE)
    body = review.clean(body, "body", required=True, max_length=MAX_BODY)
    with transaction.atomic():
        incident, statement = review.locked(STATEMENTS, statement_id, by)
        require("edit", by, incident, statement)
        review.require_open(incident)
        if statement.state not in EDITABLE_STATEMENT_STATES:
            raise review.wrong_state(STATEMENTS, statement, "edited")
        review.check_version(statement, version)
        if statement.title == title and statement.body == body:
            return statement
        was = statement.state
        if was == StatementState.APPROVED:
            statement.return_to_review()
        elif was == StatementState.IN_REVIEW:
            statement.clear_approvals()  # a partial approval (awaiting the second review) is void too
        statement.title = title
        statement.body = body
        statement.version += 1
        statement.edited_by = by
        statement.edited_at = timezone.now()
        statement.save()
        _revision(statement, by)
        _record_statement(incident, statement, "edited", by=by, returned_to_review=was == StatementState.APPROVED)
    return statement


def submit_statement(statement_id: int, *, by) -> Statement:
    return review.submit(STATEMENTS, statement_id, by=by)


def approve_statement(statement_id: int, *, by, version: int | None = None) -> Statement:
    """The commander's approval. Where the template asks for a second review it is one of two;
    the statement is approved when both are given."""
    with transaction.atomic():
        incident, statement = review.locked(STATEMENTS, statement_id, by)
        require("approve", by, incident, statement)
        review.require_open(incident)
        if statement.state != StatementState.IN_REVIEW:
            raise review.wrong_state(STATEMENTS, statement, "approved")
        review.check_version(statement, version)
        review.require_finished(STATEMENTS, statement)
        if statement.approved_by_id is not None:
            raise RuleBroken(_("The commander has already approved it; it awaits the second review."))
        if statement.second_reviewer_id is not None and statement.second_reviewer_id == by.pk:
            raise RuleBroken(_("The second review and the commander's approval must come from two people."))
        statement.approved_by = by
        statement.approved_at = timezone.now()
        if statement.fully_approved:
            statement.mark_approved()
        statement.save()
        _record_statement(
            incident, statement, "approved", by=by, awaiting_second_review=statement.state == StatementState.IN_REVIEW
        )
    return statement


def second_review_statement(statement_id: int, *, by, version: int | None = None) -> Statement:
    """The second reviewer (e.g. legal) clears a statement whose template asks for it."""
    with transaction.atomic():
        incident, statement = review.locked(STATEMENTS, statement_id, by)
        require("second_review", by, incident, statement)
        review.require_open(incident)
        if not statement.needs_second_review:
            raise RuleBroken(_("This statement does not need a second review."))
        if statement.state != StatementState.IN_REVIEW:
            raise review.wrong_state(STATEMENTS, statement, "reviewed")
        review.check_version(statement, version)
        review.require_finished(STATEMENTS, statement)
        if statement.second_reviewer_id is not None:
            raise RuleBroken(_("The second review has already been given."))
        if statement.approved_by_id == by.pk:
            raise RuleBroken(_("The second review and the commander's approval must come from two people."))
        statement.second_reviewer = by
        statement.second_approved_at = timezone.now()
        if statement.fully_approved:
            statement.mark_approved()
        statement.save()
        _record_statement(
            incident,
            statement,
            "second_review",
            by=by,
            awaiting_commander=statement.state == StatementState.IN_REVIEW,
        )
    return statement


def reject_statement(statement_id: int, *, by, comment: str) -> Statement:
    return review.reject(STATEMENTS, statement_id, by=by, comment=comment)


def publish_statement(statement_id: int, *, by) -> Statement:
    """Publish an approved statement: it becomes the one current voice for its audience, the one
    it replaces is superseded, and the deadlines it answers are met with it as evidence — all in
    one transaction, under the incident's lock."""
    with transaction.atomic():
        incident, statement = review.locked(STATEMENTS, statement_id, by)
        require("publish", by, incident, statement)
        review.require_open(incident)
        if statement.state != StatementState.APPROVED or not statement.fully_approved:
            raise RuleBroken(
                _("Only an approved statement can be published; this one is %(state)s.")
                % {"state": statement.get_state_display()},
                state=statement.state,
            )
        review.take_over(STATEMENTS, incident, statement, by=by)
        meet_deadlines_by_statement(
            incident,
            statement.audience,
            by=by,
            evidence=_("Statement published to %(audience)s: “%(title)s” (statement #%(id)s)")
            % {"audience": statement.get_audience_display(), "title": statement.title, "id": statement.pk},
            evidence_ref=f"statement:{statement.pk}",
        )
        if promises_update(statement):
            # The statement told its audience when they will hear again: that is now our deadline,
            # counted from this publication, met by the next statement published to them.
            audience = {lang: _audience_name(statement.audience, lang) for lang in ("zh-hans", "en")}
            record_promise(
                incident,
                by=by,
                audience=statement.audience,
                title_zh=f"下一次向{audience['zh-hans']}更新（声明 #{statement.pk} 中的承诺）",
                title_en=f"Next update to {audience['en']} (promised in statement #{statement.pk})",
                due_at=statement.published_at + timedelta(minutes=update_interval(incident)),
                source=f"statement:{statement.pk}",
                met_by_statement=True,
            )
    return statement


def withdraw_statement(statement_id: int, *, by, reason: str) -> Statement:
    return review.withdraw(STATEMENTS, statement_id, by=by, reason=reason)


# --- Q&A lines (口径) -------------------------------------------------------------------------------------


def may_approve_lines(user, incident: Incident) -> bool:
    return may_approve(user, incident)


def require_line(action: str, user, incident: Incident, line: QALine | None = None) -> None:
    if action in ("draft", "edit", "submit", "seed", "revise"):
        if not may_draft(user, incident):
            raise NotAllowed(_("Only PR staff or the incident's spokesperson may draft Q&A lines."))
    elif action in ("approve", "reject"):
        if not may_approve(user, incident):
            raise _commander_only(user, incident, _("Only the incident's commander may approve or reject Q&A lines."))
    elif action == "withdraw":
        if line is not None and line.state == QALineState.APPROVED:
            if not may_publish(user, incident):
                raise _commander_only(
                    user, incident, _("Only the incident's commander or spokesperson may withdraw a line in force.")
                )
        elif line is None or not (
            permissions.may_view(user, incident)
            and (line.drafted_by_id == getattr(user, "pk", None) or permissions.directs(user, incident))
        ):
            raise NotAllowed(str(WITHDRAW_DRAFT))
    else:  # pragma: no cover
        raise ValueError(action)


def line_actions(user, line: QALine, incident: Incident | None = None) -> list[str]:
    incident = incident or line.incident
    actions: list[str] = []

    def allowed(action: str) -> bool:
        try:
            require_line(action, user, incident, line)
        except (NotAllowed, RuleBroken):
            return False
        return True

    if incident.is_open:
        if line.state in EDITABLE_LINE_STATES and allowed("edit"):
            actions.append("edit")
        if line.state in (QALineState.DRAFT, QALineState.REJECTED) and allowed("submit"):
            actions.append("submit")
        if line.state == QALineState.IN_REVIEW and allowed("approve"):
            actions += ["approve", "reject"]
        if line.state == QALineState.APPROVED and allowed("revise"):
            actions.append("revise")
    if line.state in (*OPEN_LINE_STATES, QALineState.APPROVED) and allowed("withdraw"):
        actions.append("withdraw")
    return actions


def get_visible_line(line_id: int, user) -> QALine:
    return review.visible(QALine, line_id, user)


def current_lines(incident: Incident | int) -> QuerySet[QALine]:
    """The lines in force: what front-line staff may say."""
    return QALine.objects.filter(incident=incident, state=QALineState.APPROVED).order_by("order", "pk")


def line_data(line: QALine, action: str, **extra: Any) -> dict[str, Any]:
    return {"line": line.pk, "action": action, "question": line.question[:200], "state": line.state, **extra}


LINES = review.Kind(
    model=QALine,
    entry=entries.QA_LINE,
    data=line_data,
    require=require_line,
    withdrawable=(*OPEN_LINE_STATES, QALineState.APPROVED),
    noun="line",
    current=lambda line: QALine.objects.filter(incident=line.incident_id, topic=line.topic, state=QALineState.APPROVED),
    become_current=lambda line, by: line.approve(by),
    current_action="approved",
    race=_lazy("Another version of this line was approved at the same moment; reload."),
    words=lambda line: (line.question, line.answer),
)


def _record_line(incident: Incident, line: QALine, action: str, *, by, text: str = "", **extra) -> None:
    review.write(LINES, incident, line, action, by=by, text=text, **extra)


def _next_order(incident: Incident) -> int:
    return (QALine.objects.filter(incident=incident).aggregate(n=Max("order"))["n"] or 0) + 1


def _clean_line(question: Any, answer: Any) -> tuple[str, str]:
    errors: dict[str, str] = {}
    cleaned = {}
    for field, value in (("question", question), ("answer", answer)):
        try:
            cleaned[field] = review.clean(value, field, required=True, max_length=MAX_COMMENT)
        except ValidationError as exc:
            errors[field] = exc.message_dict[field][0]
    if errors:
        raise ValidationError(errors)
    return cleaned["question"], cleaned["answer"]


def _open_for_lines(incident_id: int, by, action: str) -> Incident:
    """Lock an open incident that `by` may see and add lines to (`action`: draft or seed)."""
    incident = lock_incident(incident_id)
    if not permissions.may_view(by, incident):
        raise Incident.DoesNotExist
    require_line(action, by, incident)
    review.require_open(incident)
    return incident


def seed_lines(incident_id: int, *, by, language: str | None = None) -> list[QALine]:
    """Copy the pinned playbook's Q&A lines into the incident as drafts to adapt and submit.

    An explicit step rather than something a page view does on the side: it writes to the
    timeline under someone's name, and PR chooses the language. Playbook lines already copied
    (in any state) are skipped, so seeding twice adds only what is new."""
    if language in (None, ""):
        language = language_of(translation.get_language())
    if language not in TextLanguage.values:
        raise ValidationError({"language": _("Unknown language.")})
    with transaction.atomic():
        incident = _open_for_lines(incident_id, by, "seed")
        if incident.playbook_version_id is None:
            raise RuleBroken(_("This incident has no playbook to take Q&A lines from."))
        seeded = set(QALine.objects.filter(incident=incident, source__isnull=False).values_list("source_id", flat=True))
        order = _next_order(incident)
        created = []
        for source in PlaybookQALine.objects.filter(version_id=incident.playbook_version_id).order_by("order", "pk"):
            if source.pk in seeded:
                continue
            created.append(
                QALine.objects.create(
                    incident=incident,
                    source=source,
                    order=order,
                    language=language,
                    question=getattr(source, f"question_{language}") or source.question,
                    answer=getattr(source, f"answer_{language}") or source.answer,
                    drafted_by=by,
                )
            )
            order += 1
        if created:
            record(
                incident,
                entries.QA_LINE,
                actor=by,
                data={"action": "seeded", "count": len(created), "lines": [line.pk for line in created]},
            )
    return created


def create_line(incident_id: int, *, by, question: str, answer: str, language: str | None = None) -> QALine:
    question, answer = _clean_line(question, answer)
    if language in (None, ""):
        language = language_of(translation.get_language())
    if language not in TextLanguage.values:
        raise ValidationError({"language": _("Unknown language.")})
    with transaction.atomic():
        incident = _open_for_lines(incident_id, by, "draft")
        line = QALine.objects.create(
            incident=incident,
            order=_next_order(incident),
            language=language,
            question=question,
            answer=answer,
            drafted_by=by,
        )
        _record_line(incident, line, "drafted", by=by)
    return line


def edit_line(line_id: int, *, by, question: str, answer: str, version: int | None = None) -> QALine:
    """Change a line that is not yet in force. A line in force is changed by revising it."""
    question, answer = _clean_line(question, answer)
    with transaction.atomic():
        incident, line = review.locked(LINES, line_id, by)
        require_line("edit", by, incident, line)
        review.require_open(incident)
        if line.state == QALineState.APPROVED:
            raise RuleBroken(
                _(
                    "This line is in force; draft a revision of it instead. "
                    "It stays in force until the revision is approved."
                ),
                state=line.state,
            )
        if line.state not in EDITABLE_LINE_STATES:
            raise review.wrong_state(LINES, line, "edited")
        review.check_version(line, version)
        if line.question == question and line.answer == answer:
            return line
        line.question = question
        line.answer = answer
        line.version += 1
        line.edited_by = by
        line.edited_at = timezone.now()
        line.save()
        _record_line(incident, line, "edited", by=by)
    return line


def revise_line(line_id: int, *, by, question: str, answer: str) -> QALine:
    """Draft a new version of a line in force; the line in force stays until the revision is
    approved. One open revision per line at a time, so two drafts never race to replace it."""
    question, answer = _clean_line(question, answer)
    with transaction.atomic():
        incident, line = review.locked(LINES, line_id, by)
        require_line("revise", by, incident, line)
        review.require_open(incident)
        if line.state != QALineState.APPROVED:
            raise review.wrong_state(LINES, line, "revised")
        pending = QALine.objects.filter(incident=incident, topic=line.topic, state__in=OPEN_LINE_STATES).first()
        if pending is not None:
            raise RuleBroken(
                _("A revision of this line is already being drafted (#%(id)s).") % {"id": pending.pk},
                revision=pending.pk,
            )
        revision = QALine.objects.create(
            incident=incident,
            topic=line.topic,
            revises=line,
            source=line.source,
            order=line.order,
            language=line.language,
            question=question,
            answer=answer,
            drafted_by=by,
        )
        _record_line(incident, revision, "revised", by=by, revises=line.pk)
    return revision


def submit_line(line_id: int, *, by) -> QALine:
    return review.submit(LINES, line_id, by=by)


def approve_line(line_id: int, *, by, version: int | None = None) -> QALine:
    """Put the line in force; the line it revises (or any other in force on its topic) is
    superseded in the same transaction."""
    with transaction.atomic():
        incident, line = review.locked(LINES, line_id, by)
        require_line("approve", by, incident, line)
        review.require_open(incident)
        if line.state != QALineState.IN_REVIEW:
            raise review.wrong_state(LINES, line, "approved")
        review.check_version(line, version)
        review.take_over(LINES, incident, line, by=by)
    return line


def reject_line(line_id: int, *, by, comment: str) -> QALine:
    return review.reject(LINES, line_id, by=by, comment=comment)


def withdraw_line(line_id: int, *, by, reason: str) -> QALine:
    return review.withdraw(LINES, line_id, by=by, reason=reason)
