"""One-voice pages: drafting statements, reviewing and publishing them, Q&A lines and their
printable sheet. Thin, like the other pages: forms shape input, crisis.services decides, refusals
become messages the user reads."""

from __future__ import annotations

from functools import partial
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from incidents import timeline
from incidents.models import Incident, TimelineEntry
from incidents.timeline import display_name
from playbooks.models import QALine as PlaybookQALine
from playbooks.models import StatementTemplate

from .service_calls import call_service, errors_as_messages, submit
from .views import _incident_or_404
from .voice import entries, outreach, services
from .voice.models import QALine, QALineState, Statement, StatementState
from .voice.textdiff import diff_against
from .voice_forms import (
    CommentForm,
    DraftForm,
    EditForm,
    EditLineForm,
    LineForm,
    NewLineForm,
    ReasonForm,
    SeedForm,
    StartDraftForm,
    VersionForm,
)
from .voice_panel import voice_context


def _back(request: HttpRequest, default: str) -> HttpResponse:
    """Back to where the form was (the incident page's panel, say), if that is a page of ours."""
    target = request.POST.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect(default)


def _statement_or_404(request: HttpRequest, pk: int, sid: int) -> tuple[Incident, Statement]:
    incident = _incident_or_404(request, pk)
    statement = (
        Statement.objects.filter(pk=sid, incident=incident)
        .select_related("drafted_by", "approved_by", "second_reviewer", "published_by", "rejected_by", "template")
        .first()
    )
    if statement is None:
        raise Http404(_("No such statement."))
    return incident, statement


# --- Statements ---------------------------------------------------------------------------------------


def voice_page(request: HttpRequest, pk: int) -> HttpResponse:
    """The one-voice panel on a page of its own."""
    incident = _incident_or_404(request, pk)
    back_to = reverse("crisis:voice", args=[pk]) + "#voice"
    context = voice_context(request, incident, back_to=back_to)
    return render(request, "crisis/voice.html", {"incident": incident, **context})


def statement_new(request: HttpRequest, pk: int) -> HttpResponse:
    """Draft a statement: choose audience and template, see it filled, edit, compare with the
    current statement, save (and submit)."""
    incident = _incident_or_404(request, pk)
    services.DRAFT.check(request.user, incident)
    language = services.language_of(request.LANGUAGE_CODE)
    start = StartDraftForm(request.GET or None, incident=incident, initial={"language": language})
    draft: DraftForm | None = None
    template: StatementTemplate | None = None
    status = 200
    if request.method == "POST":
        draft = DraftForm(request.POST)
        start = StartDraftForm(
            incident=incident,
            initial={k: request.POST.get(k) for k in ("audience", "template", "language")},
        )
        if draft.is_valid():
            data = draft.cleaned_data
            template = services.templates_for(incident).filter(pk=data.get("template")).first()
            if request.POST.get("action") in ("save", "submit"):
                created = call_service(request, draft, lambda: services.create_statement(pk, by=request.user, **data))
                if created is not None:
                    if request.POST.get("action") == "submit":
                        if call_service(request, None, lambda: services.submit_statement(created.pk, by=request.user)):
                            messages.success(request, _("Saved and submitted for approval."))
                    else:
                        messages.success(request, _("Draft saved."))
                    return redirect("crisis:statement", pk=pk, sid=created.pk)
        status = 400 if draft.errors else 200
    elif request.GET and start.is_valid():
        template = services.templates_for(incident).filter(pk=start.cleaned_data["template"]).first()
        audience = start.cleaned_data["audience"] or (template.audience if template else "")
        if template is not None and template.audience != audience:
            start.add_error("template", _("This template is for another audience."))
            status = 400
        else:
            title, body = ("", "")
            if template is not None:
                title, body = services.fill_template(template, incident, start.cleaned_data["language"])
            draft = DraftForm(
                initial={
                    "audience": audience,
                    "template": template.pk if template else None,
                    "language": start.cleaned_data["language"],
                    "title": title,
                    "body": body,
                }
            )
    elif request.GET:
        status = 400

    current = diff = None
    if draft is not None:
        audience = draft.data.get("audience") if draft.is_bound else draft.initial.get("audience")
        current = services.current_statement(incident, audience) if audience else None
        title = draft.data.get("title", "") if draft.is_bound else draft.initial.get("title", "")
        body = draft.data.get("body", "") if draft.is_bound else draft.initial.get("body", "")
        if title or body:
            diff = diff_against(title, body, current)
    return render(
        request,
        "crisis/statement_new.html",
        {
            "incident": incident,
            "start": start,
            "draft": draft,
            "template": template,
            "template_title": services.fill_template(template, incident, language)[0] if template else "",
            "current": current,
            "diff": diff,
        },
        status=status,
    )


def _statement_page(
    request: HttpRequest, incident: Incident, statement: Statement, *, edit_form=None, status: int = 200
) -> HttpResponse:
    user = request.user
    if statement.state in (StatementState.PUBLISHED, StatementState.SUPERSEDED):
        # What this statement changed when it went out: against the one it replaced.
        before = Statement.objects.filter(superseded_by=statement).first()
        against_label = _("Compared with the statement it replaced")
    else:
        before = services.current_statement(incident, statement.audience)
        against_label = _("Compared with the current statement to this audience")
    log = [
        {"entry": e, "message": timeline.describe(e.kind, e.data, e.text)}
        for e in TimelineEntry.objects.filter(incident=incident, kind=entries.STATEMENT, data__statement=statement.pk)
        .select_related("actor")
        .order_by("seq")
    ]
    return render(
        request,
        "crisis/statement.html",
        {
            "incident": incident,
            "statement": statement,
            "actions": services.statement_actions(user, statement, incident),
            "diff": diff_against(statement.title, statement.body, before),
            "against_label": against_label,
            "revisions": list(statement.revisions.select_related("edited_by").order_by("-number")),
            "log": log,
            "edit_form": edit_form
            or EditForm(initial={"title": statement.title, "body": statement.body, "version": statement.version}),
            **_customers_context(user, incident, statement),
        },
        status=status,
    )


def _customers_context(user, incident: Incident, statement: Statement) -> dict[str, Any]:
    """A published statement for customers can go to them by SMS (not in a drill)."""
    if statement.audience != "customers" or statement.state != StatementState.PUBLISHED:
        return {}
    return {
        "customer_counts": outreach.counts(statement),
        "may_send_to_customers": not incident.exercise and outreach.SEND_TO_CUSTOMERS(user, incident),
    }


@require_POST
def statement_send_to_customers(request: HttpRequest, pk: int, sid: int) -> HttpResponse:
    _statement_or_404(request, pk, sid)
    sent = call_service(request, None, lambda: outreach.send_to_customers(sid, by=request.user))
    if sent is not None:
        messages.success(
            request,
            _("Queued for %(queued)s customers (%(opted_out)s opted out); each gets it once.") % sent,
        )
    return redirect("crisis:statement", pk=pk, sid=sid)


def statement_detail(request: HttpRequest, pk: int, sid: int) -> HttpResponse:
    incident, statement = _statement_or_404(request, pk, sid)
    return _statement_page(request, incident, statement)


STATEMENT_STEPS = ("edit", "submit", "approve", "second_review", "reject", "publish", "withdraw")


@require_POST
def statement_action(request: HttpRequest, pk: int, sid: int, action: str) -> HttpResponse:
    if action not in STATEMENT_STEPS:
        raise Http404(_("No such action."))
    incident, statement = _statement_or_404(request, pk, sid)
    user = request.user
    detail = reverse("crisis:statement", args=[pk, sid])
    if action == "edit":
        form = EditForm(request.POST)
        if form.is_valid():
            done = call_service(request, form, lambda: services.edit_statement(sid, by=user, **form.cleaned_data))
            if done is not None:
                messages.success(request, _("Saved (version %(n)s).") % {"n": done.version})
                return redirect(detail)
        statement.refresh_from_db()
        return _statement_page(request, incident, statement, edit_form=form, status=400)

    form: Any = {"approve": VersionForm, "second_review": VersionForm, "reject": CommentForm,
                 "withdraw": ReasonForm}.get(action)  # fmt: skip
    form = form(request.POST) if form else None
    if form is not None and not form.is_valid():
        errors_as_messages(request, form)
        return _back(request, detail)
    data = form.cleaned_data if form is not None else {}
    calls = {
        "submit": lambda: services.submit_statement(sid, by=user),
        "approve": lambda: services.approve_statement(sid, by=user, version=data.get("version")),
        "second_review": lambda: services.second_review_statement(sid, by=user, version=data.get("version")),
        "reject": lambda: services.reject_statement(sid, by=user, comment=data.get("comment", "")),
        "publish": lambda: services.publish_statement(sid, by=user),
        "withdraw": lambda: services.withdraw_statement(sid, by=user, reason=data.get("reason", "")),
    }
    done = call_service(request, form, calls[action])
    if done is not None:
        messages.success(request, _success_message(action, done))
    elif form is not None:
        errors_as_messages(request, form)
    return _back(request, detail)


def _success_message(action: str, statement: Statement) -> str:
    if action == "submit":
        return _("Submitted for approval.")
    if action in ("approve", "second_review"):
        if statement.state == StatementState.APPROVED:
            return _("Approved. It can now be published.")
        return _("Your approval is recorded; it still needs the other reviewer.")
    if action == "reject":
        return _("Sent back to the drafter.")
    if action == "publish":
        return _("Published. It is now the current statement to %(audience)s.") % {
            "audience": statement.get_audience_display()
        }
    return _("Withdrawn.")


# --- Q&A lines ------------------------------------------------------------------------------------------


def qa_print(request: HttpRequest, pk: int) -> HttpResponse:
    """The approved lines, read-only and printable, for front-line staff."""
    incident = _incident_or_404(request, pk)
    lines = list(services.current_lines(incident).select_related("approved_by"))
    spokesperson = incident.spokesperson or incident.commander
    return render(
        request,
        "crisis/qa_print.html",
        {
            "incident": incident,
            "lines": lines,
            "printed_at": timezone.now(),
            "spokesperson": display_name(spokesperson),
            "may_manage": services.may_draft(request.user, incident) or services.may_approve(request.user, incident),
        },
    )


def qa_manage(request: HttpRequest, pk: int) -> HttpResponse:
    incident = _incident_or_404(request, pk)
    user = request.user
    lines = list(
        QALine.objects.filter(incident=incident)
        .select_related("drafted_by", "approved_by", "rejected_by")
        .order_by("order", "pk")
    )
    for line in lines:
        line.actions = services.line_actions(user, line, incident)
        if "edit" in line.actions:
            line.edit_form = EditLineForm(
                initial={"question": line.question, "answer": line.answer, "version": line.version},
                prefix=f"line{line.pk}",
            )
        if "revise" in line.actions:
            line.revise_form = LineForm(
                initial={"question": line.question, "answer": line.answer}, prefix=f"rev{line.pk}"
            )
    groups = [
        (_("In force"), [x for x in lines if x.state == QALineState.APPROVED], "approved"),
        (_("Awaiting approval"), [x for x in lines if x.state == QALineState.IN_REVIEW], "in_review"),
        (_("Drafts"), [x for x in lines if x.state in (QALineState.DRAFT, QALineState.REJECTED)], "draft"),
        (_("History"), [x for x in lines if x.state in (QALineState.SUPERSEDED, QALineState.WITHDRAWN)], "history"),
    ]
    unseeded = 0
    if incident.playbook_version_id:
        seeded = {x.source_id for x in lines if x.source_id}
        unseeded = PlaybookQALine.objects.filter(version_id=incident.playbook_version_id).exclude(pk__in=seeded).count()
    may_draft = services.may_draft(user, incident) and incident.is_open
    language = services.language_of(request.LANGUAGE_CODE)
    return render(
        request,
        "crisis/qa_manage.html",
        {
            "incident": incident,
            "groups": groups,
            "may_draft": may_draft,
            "unseeded": unseeded,
            "seed_form": SeedForm(initial={"language": language}),
            "new_form": NewLineForm(initial={"language": language}),
        },
    )


@require_POST
def qa_seed(request: HttpRequest, pk: int) -> HttpResponse:
    _incident_or_404(request, pk)
    form = SeedForm(request.POST)
    if form.is_valid():
        created = call_service(request, form, lambda: services.seed_lines(pk, by=request.user, **form.cleaned_data))
        if created is not None:
            if created:
                messages.success(request, _("%(n)s lines copied from the playbook as drafts.") % {"n": len(created)})
            else:
                messages.info(request, _("Every line of the playbook is already here."))
    errors_as_messages(request, form)
    return redirect("crisis:qa-manage", pk=pk)


@require_POST
def qa_new(request: HttpRequest, pk: int) -> HttpResponse:
    _incident_or_404(request, pk)
    submit(request, NewLineForm(request.POST), partial(services.create_line, pk, by=request.user), _("Line drafted."))
    return redirect("crisis:qa-manage", pk=pk)


LINE_STEPS = ("edit", "revise", "submit", "approve", "reject", "withdraw")


@require_POST
def qa_action(request: HttpRequest, pk: int, lid: int, action: str) -> HttpResponse:
    if action not in LINE_STEPS:
        raise Http404(_("No such action."))
    incident = _incident_or_404(request, pk)
    if not QALine.objects.filter(pk=lid, incident=incident).exists():
        raise Http404(_("No such line."))
    user = request.user
    form_class: Any = {
        "edit": EditLineForm, "revise": LineForm, "approve": VersionForm, "reject": CommentForm, "withdraw": ReasonForm,
    }.get(action)  # fmt: skip
    prefix = {"edit": f"line{lid}", "revise": f"rev{lid}"}.get(action)
    form = form_class(request.POST, prefix=prefix) if form_class else None
    if form is not None and not form.is_valid():
        errors_as_messages(request, form)
        return redirect(f"{reverse('crisis:qa-manage', args=[pk])}#line-{lid}")
    data = form.cleaned_data if form is not None else {}
    calls = {
        "edit": lambda: services.edit_line(lid, by=user, **data),
        "revise": lambda: services.revise_line(lid, by=user, **data),
        "submit": lambda: services.submit_line(lid, by=user),
        "approve": lambda: services.approve_line(lid, by=user, version=data.get("version")),
        "reject": lambda: services.reject_line(lid, by=user, comment=data.get("comment", "")),
        "withdraw": lambda: services.withdraw_line(lid, by=user, reason=data.get("reason", "")),
    }
    done = call_service(request, form, calls[action])
    if done is not None:
        messages.success(
            request,
            {
                "edit": _("Line saved."),
                "revise": _("Revision drafted; the line in force stays until it is approved."),
                "submit": _("Submitted for approval."),
                "approve": _("Approved: the line is in force."),
                "reject": _("Sent back to the drafter."),
                "withdraw": _("Withdrawn."),
            }[action],
        )
        lid = done.pk
    elif form is not None:
        errors_as_messages(request, form)
    return redirect(f"{reverse('crisis:qa-manage', args=[pk])}#line-{lid}")
