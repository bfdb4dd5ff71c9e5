"""Complaint pages: the list, staff intake, and the handling form (处理单) with its steps, replies to
the customer and attachments; plus the complaint-volume chart of the board and the complaints panel
of the war room. Thin, like the other pages: forms shape input, incidents.complaints.services
decides, refusals become messages or field errors, and a step the user may not take is a 403.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from config.errors import RuleBroken
from incidents import permissions
from incidents.complaints import access, ladder, services
from incidents.complaints.models import (
    DISPUTABLE_STATES,
    TOP_INTERNAL_LEVEL,
    Complaint,
    ComplaintAttachment,
    ComplaintCategory,
    ComplaintChannel,
    ComplaintDeadline,
    ComplaintDeadlineKind,
    ComplaintDeadlineState,
    ComplaintEventKind,
    ComplaintReply,
    ComplaintState,
    ComplaintView,
    DayUnit,
    Level,
    ReplyMethod,
    ReportClass,
    VipFlag,
)
from incidents.models import Incident

from . import charts
from .complaint_forms import (
    AttachmentForm,
    ComplainedAboutForm,
    ComplaintFilterForm,
    ExtendForm,
    IntakeForm,
    ReplyConfirmForm,
    ReplyForm,
    ReplyTextForm,
    reply_given_form,
    step_form,
)
from .service_calls import call_service, errors_as_messages

PAGE_SIZE = 25
PANEL_LIMIT = 12

STEP_LABELS = {
    "take": gettext_lazy("Take it on"),
    "acknowledge": gettext_lazy("Acknowledge"),
    "investigate": gettext_lazy("Start investigating"),
    "propose": gettext_lazy("Propose a solution"),
    "approve": gettext_lazy("Approve the promise"),
    "agree": gettext_lazy("The customer agrees"),
    "implement": gettext_lazy("Implemented"),
    "follow_up": gettext_lazy("Followed up"),
    "close": gettext_lazy("Close the complaint"),
    "dispute": gettext_lazy("The customer disputes: up the ladder"),
}
STEP_HELP = {
    "acknowledge": gettext_lazy("Tell the customer the complaint is received and who handles it."),
    "investigate": gettext_lazy("Go to the real site, the real thing, the real facts; separate facts from emotions."),
    "propose": gettext_lazy("Root cause and the options; nobody promises beyond their authority."),
    "approve": gettext_lazy("The promise is beyond the handler's authority: approve it before the customer is told."),
    "agree": gettext_lazy("The customer accepts the solution."),
    "implement": gettext_lazy("The solution is carried out. A follow-up is due within a week."),
    "follow_up": gettext_lazy("Call the customer back: is it resolved, how satisfied are they?"),
    "close": gettext_lazy(
        "Analyse and prevent recurrence, report to the supervisor (category 1 orally, category 2 in writing), "
        "then close."
    ),
    "dispute": gettext_lazy("The customer does not accept the result: the next level takes it on afresh."),
}
# Colours of the categories in the board's chart (distinct in hue and in lightness).
CATEGORY_COLOURS = {
    ComplaintCategory.SERVICE_ATTITUDE: "#1f4e8c",
    ComplaintCategory.PRODUCT_QUALITY: "#c2410c",
    ComplaintCategory.PRICE_FEES: "#d4a017",
    ComplaintCategory.PURCHASE_CONTRACT: "#7b3fa0",
    ComplaintCategory.REPAIR: "#1e7a46",
    ComplaintCategory.PARTS: "#6fa8dc",
    ComplaintCategory.RECEPTION: "#b8336a",
    ComplaintCategory.MULTIPLE: "#4d4d4d",
    ComplaintCategory.OTHER: "#9aa6b8",
}


# --- Helpers ------------------------------------------------------------------------------------------


def _complaint_or_404(request: HttpRequest, pk: int) -> Complaint:
    try:
        return services.get_complaint(pk, request.user)
    except Complaint.DoesNotExist:
        raise Http404(_("No such complaint.")) from None


def _must_handle(request: HttpRequest, complaint: Complaint) -> None:
    """Permission before the body: a step the user may not take is refused whatever they sent."""
    access.HANDLE.check(request.user, complaint)


def _attempt(request: HttpRequest, form, call: Callable[[], Any]) -> Any | None:
    """A service call from a complaint page; a refusal is the 403 page, not a message."""
    return call_service(request, form, call, refusal_as_message=False)


def _when(value: Any) -> str:
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return value
    if not isinstance(value, datetime):
        return ""
    if timezone.is_aware(value):
        value = timezone.localtime(value)
    return formats.date_format(value, "Y-m-d H:i")


def _label(choices, value: Any) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return str(value or "")


def _level_label(value: Any) -> str:
    try:
        return str(Level(int(value)).label)
    except (TypeError, ValueError):
        return str(value or "")


def _cause(cause: str) -> str:
    if cause == "dispute":
        return _("the customer disputes the result")
    if cause.startswith("breach:"):
        return _("time limit missed: %(kind)s") % {"kind": _label(ComplaintDeadlineKind, cause.split(":", 1)[1])}
    return cause


def describe_event(event) -> str:
    """One line of the complaint's own log, in the reader's language."""
    d = event.data if isinstance(event.data, dict) else {}
    kind = event.kind
    if kind == ComplaintEventKind.RECEIVED:
        return _("Received via %(channel)s") % {"channel": _label_channel(d.get("channel"))}
    if kind == ComplaintEventKind.ASSIGNED:
        handler = d.get("handler") or {}
        return _("Handler: %(name)s") % {"name": handler.get("name") or handler.get("username") or "—"}
    if kind == ComplaintEventKind.STEP:
        text = _("Step: %(step)s") % {"step": STEP_LABELS.get(d.get("action"), d.get("action") or "")}
        if d.get("compensation"):
            text += " · " + _("compensation %(amount)s yuan") % {"amount": d["compensation"]}
        if d.get("approval_needed"):
            text += " · " + _("needs approval from the level above")
        if d.get("satisfaction"):
            text += " · " + _("satisfaction %(n)s/5") % {"n": d["satisfaction"]}
        if d.get("late"):
            text += " · " + _("after the time limit")
        if d.get("report_class"):
            text += " · " + _report_line(d.get("report_class"), d.get("reported_to") or "")
        return text
    if kind == ComplaintEventKind.APPROVED:
        return _("Promise approved (compensation %(amount)s yuan)") % {"amount": d.get("compensation") or "—"}
    if kind == ComplaintEventKind.ESCALATED:
        text = _("Up the ladder: %(from)s → %(to)s (%(cause)s)") % {
            "from": _level_label(d.get("from")),
            "to": _level_label(d.get("to")),
            "cause": _cause(str(d.get("cause") or "")),
        }
        if d.get("outside_body"):
            text += " · " + d["outside_body"]
        superseded = d.get("superseded") if isinstance(d.get("superseded"), dict) else {}
        if superseded.get("solution"):
            text += " · " + _("offer set aside: %(solution)s") % {"solution": superseded["solution"]}
        if superseded.get("compensation"):
            text += " · " + _("compensation %(amount)s yuan") % {"amount": superseded["compensation"]}
        return text
    if kind == ComplaintEventKind.REMINDER:
        return _("Reminder: %(kind)s due %(due)s") % {
            "kind": _label(ComplaintDeadlineKind, d.get("kind")),
            "due": _when(d.get("due_at")),
        }
    if kind == ComplaintEventKind.BREACH:
        return _("Time limit missed: %(kind)s (due %(due)s)") % {
            "kind": _label(ComplaintDeadlineKind, d.get("kind")),
            "due": _when(d.get("due_at")),
        }
    if kind == ComplaintEventKind.REPLY:
        if d.get("given"):
            return _("Reply to the customer given")
        if d.get("text_changed"):
            text = _("Text of the written reply changed")
            if d.get("confirmation_lapsed"):
                text += " · " + _("it must be confirmed again")
            return text
        text = _("Reply promised: %(method)s at %(at)s") % {
            "method": _label(ReplyMethod, d.get("method")),
            "at": _when(d.get("scheduled_for")),
        }
        if d.get("moved_to_business_hours"):
            text += " · " + _("moved into business hours")
        return text
    if kind == ComplaintEventKind.ATTACHMENT:
        return _("Attached %(name)s") % {"name": d.get("name") or ""}
    if kind == ComplaintEventKind.INCIDENT:
        if d.get("opened"):
            return _("Escalated: opened incident #%(id)s") % {"id": d.get("incident")}
        return _("Escalated: joined incident #%(id)s") % {"id": d.get("incident")}
    if kind == ComplaintEventKind.FREQUENT:
        return _("Frequent complainer: %(n)s earlier complaints from the same phone number within %(days)s days") % {
            "n": d.get("earlier", "?"),
            "days": d.get("days", "?"),
        }
    if kind == ComplaintEventKind.COMPLAINED_ABOUT:
        named = d.get("user") if isinstance(d.get("user"), dict) else None
        if named is None:
            return _("The complaint is about no staff member in particular")
        text = _("The complaint is about %(name)s: kept off the case") % {
            "name": named.get("name") or named.get("username") or "—"
        }
        if d.get("handler_removed"):
            text += " · " + _("no longer its handler")
        return text
    if kind == ComplaintEventKind.REPLY_CONFIRMED:
        return _("Written reply confirmed")
    if kind == ComplaintEventKind.EXTENDED:
        return _("Resolution limit extended: %(before)s → %(after)s (%(days)s %(unit)s from receipt, %(profile)s)") % {
            "before": _when(d.get("from")),
            "after": _when(d.get("to")),
            "days": d.get("days", "?"),
            "unit": _label(DayUnit, d.get("unit")).lower(),
            "profile": d.get("profile") or "—",
        }
    return event.get_kind_display()


def _report_line(report_class: Any, reported_to: str) -> str:
    label = _label(ReportClass, report_class)
    if reported_to:
        return _("%(report)s to %(whom)s") % {"report": label, "whom": reported_to}
    return label


def _label_channel(value: Any) -> str:
    return _label(ComplaintChannel, value)


def _visible_incidents(request: HttpRequest, ids) -> set[int]:
    ids = {i for i in ids if i}
    if not ids:
        return set()
    return set(Incident.objects.visible_to(request.user).filter(pk__in=ids).values_list("pk", flat=True))


def _mask(complaint: Complaint) -> None:
    complaint.masked_name = access.mask_name(complaint.customer_name)
    complaint.masked_phone = access.mask_phone(complaint.customer_phone)


# --- The list -----------------------------------------------------------------------------------------


def complaint_list(request: HttpRequest) -> HttpResponse:
    form = ComplaintFilterForm(request.GET or None)
    form.is_valid()  # a bad filter is ignored, not an error page
    f = getattr(form, "cleaned_data", {}) if form.is_bound else {}
    show = f.get("show") or "open"
    pending = ComplaintDeadline.objects.filter(complaint=OuterRef("pk"), state=ComplaintDeadlineState.PENDING).order_by(
        "due_at", "pk"
    )
    complaints = services.visible_complaints(request.user).annotate(
        next_due=Subquery(pending.values("due_at")[:1]),
        next_kind=Subquery(pending.values("kind")[:1]),
    )
    if f.get("state"):
        complaints = complaints.filter(state=f["state"])
    elif show == "open":
        complaints = complaints.exclude(state=ComplaintState.CLOSED)
    if f.get("category"):
        complaints = complaints.filter(category=f["category"])
    if f.get("project"):
        complaints = complaints.filter(project__icontains=f["project"])
    if f.get("mine"):
        complaints = complaints.filter(handler=request.user)
    if f.get("incident"):
        complaints = complaints.filter(incident_id=f["incident"])
    page = Paginator(complaints.order_by("-received_at", "-pk"), PAGE_SIZE).get_page(request.GET.get("page"))
    rows = list(page.object_list)
    visible = _visible_incidents(request, [c.incident_id for c in rows])
    for c in rows:
        _mask(c)
        c.incident_visible = c.incident_id in visible
        c.next_kind_label = _label(ComplaintDeadlineKind, c.next_kind) if c.next_kind else ""
    projects = list(
        services.visible_complaints(request.user)
        .exclude(project="")
        .order_by("project")
        .values_list("project", flat=True)
        .distinct()[:200]
    )
    return render(
        request,
        "crisis/complaints/list.html",
        {
            "page": page,
            "complaints": rows,
            "filters": form,
            "show": show,
            "selected": f,
            "states": ComplaintState.choices,
            "categories": ComplaintCategory.choices,
            "projects": projects,
            "now": timezone.now(),
            "is_staff_member": access.is_complaint_staff(request.user),
        },
    )


# --- Intake -------------------------------------------------------------------------------------------


def complaint_new(request: HttpRequest) -> HttpResponse:
    access.LOG.check(request.user)
    form = IntakeForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            result = _attempt(request, form, lambda: _intake(request, form))
        except _FormAlreadyUsed as exc:
            messages.info(
                request,
                format_html(
                    '{} <a href="{}">#{}</a>',
                    _("This form was already used to log a complaint; check it before logging another:"),
                    reverse("crisis:complaint", args=[exc.complaint_id]),
                    exc.complaint_id,
                ),
            )
            form = IntakeForm(
                initial={k: v for k, v in form.cleaned_data.items() if k not in ("form_key", "attachment")}
            )
            result = None
        if result is not None:
            complaint, created = result
            if not created:
                messages.info(request, _("This complaint was already logged (the form was sent twice)."))
            else:
                messages.success(
                    request,
                    _("Complaint #%(id)s logged. Acknowledge it within 2 working days.") % {"id": complaint.pk},
                )
            if complaint.incident_id is not None:
                messages.warning(
                    request,
                    format_html(
                        '{} <a href="{}">{}</a>',
                        _("An escalation rule made this complaint part of incident #%(id)s.")
                        % {"id": complaint.incident_id},
                        reverse("crisis:incident", args=[complaint.incident_id]),
                        _("Open the war room"),
                    ),
                )
            return redirect("crisis:complaint", pk=complaint.pk)
    return render(request, "crisis/complaints/new.html", {"form": form}, status=400 if form.errors else 200)


class _FormAlreadyUsed(Exception):
    def __init__(self, complaint_id: int) -> None:
        super().__init__(complaint_id)
        self.complaint_id = complaint_id


def _intake(request: HttpRequest, form: IntakeForm) -> tuple[Complaint, bool]:
    """The complaint and its attachment, both or neither."""
    upload = form.cleaned_data.get("attachment")
    with transaction.atomic():
        try:
            complaint, created = services.intake(
                by=request.user, data=form.intake_data(), idempotency_key=form.cleaned_data.get("form_key") or ""
            )
        except RuleBroken as exc:
            # The same form sent again with other details (back button, edit, send): not a conflict
            # the user can do anything about but look at what was logged, and start afresh.
            if exc.details.get("complaint"):
                raise _FormAlreadyUsed(exc.details["complaint"]) from None
            raise
        if created and upload:
            try:
                services.add_attachment(complaint.pk, by=request.user, upload=upload)
            except ValidationError as exc:
                raise ValidationError({"attachment": exc.messages}) from None
    return complaint, created


# --- The handling form (处理单) -------------------------------------------------------------------------


def _ladder(complaint: Complaint) -> list[dict[str, Any]]:
    return [
        {
            "level": value,
            "label": label,
            "current": value == complaint.level,
            "done": value < complaint.level,
            "outside": value > TOP_INTERNAL_LEVEL,
        }
        for value, label in Level.choices
    ]


def _step_forms(complaint: Complaint, actions: list[str], bound: dict[str, Any]) -> list[dict[str, Any]]:
    steps = []
    for action in actions:
        if action == "take":
            continue
        form = bound.get(action)
        if form is None:
            initial = {"facts": complaint.facts} if action == "propose" else None
            form = step_form(action, initial=initial)
        steps.append(
            {
                "action": action,
                "label": STEP_LABELS[action],
                "help": STEP_HELP.get(action, ""),
                "form": form,
                "secondary": action == "dispute",
                "open": action in bound,
            }
        )
    return steps


def _detail_page(
    request: HttpRequest, complaint: Complaint, *, bound: dict[str, Any] | None = None, status: int = 200
) -> HttpResponse:
    user = request.user
    bound = bound or {}
    complaint = (
        Complaint.objects.select_related("handler", "incident", "logged_by", "approved_by", "escalation_rule")
        .filter(pk=complaint.pk)
        .first()
    )
    if complaint is None:
        raise Http404(_("No such complaint."))
    personal = services.personal_details(complaint, user, via="page")  # once per view: it may be logged
    actions = services.allowed_actions(complaint, user)
    may_handle = access.may_handle(user, complaint)
    replies = list(complaint.replies.select_related("created_by", "confirmed_by").order_by("scheduled_for", "pk"))
    may_confirm = access.manager_on_the_case(user, complaint) and complaint.is_open
    for reply in replies:
        if reply.done_at is None and may_handle:
            reply.given_form = bound.get(f"given-{reply.pk}") or reply_given_form(reply)
            if reply.needs_confirmation:
                reply.text_form = bound.get(f"text-{reply.pk}") or ReplyTextForm(
                    auto_id=f"text-{reply.pk}-%s", initial={"text": reply.text}
                )
        if reply.done_at is None and reply.needs_confirmation and may_confirm:
            reply.confirm_form = bound.get(f"confirm-{reply.pk}") or ReplyConfirmForm(
                auto_id=f"confirm-{reply.pk}-%s", initial={"text": reply.text}
            )
    attachments = list(complaint.attachments.select_related("uploaded_by"))
    for attachment in attachments:
        attachment.complaint = complaint
        attachment.downloadable = services.may_download(user, attachment)
    events = list(complaint.events.select_related("actor").order_by("at", "pk"))
    for event in events:
        event.description = describe_event(event)
    is_admin = permissions.is_admin(user)
    access_log = (
        list(ComplaintView.objects.filter(complaint=complaint).select_related("user")[:100]) if is_admin else []
    )
    deadlines = list(complaint.deadlines.order_by("due_at", "pk"))
    incident_visible = bool(complaint.incident_id and _visible_incidents(request, [complaint.incident_id]))
    awaiting_approval = (
        complaint.state == ComplaintState.PROPOSED and complaint.approval_needed and complaint.approved_at is None
    )
    limits = ladder.limits_for(complaint)
    may_name = complaint.is_open and access.manager_on_the_case(user, complaint)
    pending_resolve = next(
        (d for d in deadlines if d.kind == ComplaintDeadlineKind.RESOLVE and d.state == ComplaintDeadlineState.PENDING),
        None,
    )
    may_extend = (
        complaint.is_open
        and pending_resolve is not None
        and bool(limits.extension_limit_days)
        and access.may_extend(user, complaint)
    )
    about_form = ComplainedAboutForm(auto_id="about-%s", initial={"user": complaint.complained_about_id})
    context = {
        "complaint": complaint,
        "personal": personal,
        "ladder": _ladder(complaint),
        "actions": actions,
        "may_take": "take" in actions,
        "steps": _step_forms(complaint, actions, bound),
        "may_handle": may_handle,
        "deadlines": deadlines,
        "replies": replies,
        "reply_form": bound.get("reply") or ReplyForm(prefix="reply"),
        "may_reply": may_handle and complaint.is_open,
        "attachments": attachments,
        "attachment_form": bound.get("attachment") or AttachmentForm(prefix="attachment"),
        "may_attach": may_handle or complaint.logged_by_id == user.pk,
        "events": events,
        "is_admin": is_admin,
        "access_log": access_log,
        "incident_visible": incident_visible,
        "awaiting_approval": awaiting_approval,
        # A proposal stands from "proposed" on; after a climb the old one is history (the record).
        "proposal_stands": complaint.state in DISPUTABLE_STATES or complaint.state == ComplaintState.CLOSED,
        "approval_limit": settings.CRISIS_COMPLAINT_APPROVAL_ABOVE,
        "vip_labels": [_vip_label(v) for v in complaint.vip or []],
        "now": timezone.now(),
        "kept_off": access.is_complained_about(user, complaint),
        "complained_about_form": bound.get("complained_about") or (about_form if may_name else None),
        "limits": limits,
        "limits_in_force": limits.pk is None or limits.in_force,
        "extend_form": bound.get("extend") or (ExtendForm(auto_id="extend-%s") if may_extend else None),
        "report_classes": ReportClass,
    }
    return render(request, "crisis/complaints/detail.html", context, status=status)


def _vip_label(value: str) -> str:
    return _label(VipFlag, value)


def complaint_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail_page(request, _complaint_or_404(request, pk))


@require_POST
def complaint_take(request: HttpRequest, pk: int) -> HttpResponse:
    complaint = _complaint_or_404(request, pk)
    _must_handle(request, complaint)
    if _attempt(request, None, lambda: services.take(pk, by=request.user)) is not None:
        messages.success(request, _("You handle this complaint now."))
    return redirect("crisis:complaint", pk=pk)


@require_POST
def complaint_step(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    if action not in STEP_LABELS or action == "take":
        raise Http404(_("No such step."))
    complaint = _complaint_or_404(request, pk)
    _must_handle(request, complaint)
    form = step_form(action, request.POST)
    done = None
    if form.is_valid():
        data = {k: ("" if v is None else str(v)) for k, v in form.cleaned_data.items()}
        done = _attempt(request, form, lambda: services.act(pk, by=request.user, action=action, data=data))
    if done is not None:
        messages.success(request, _step_message(action, done))
        return redirect("crisis:complaint", pk=pk)
    if form.errors:
        if action in services.allowed_actions(complaint, request.user):
            # Keep what was typed, with the errors beside the fields.
            return _detail_page(request, complaint, bound={action: form}, status=400)
        errors_as_messages(request, form, with_labels=True)  # the page shows no form for this step now
    return redirect("crisis:complaint", pk=pk)


def _step_message(action: str, complaint: Complaint) -> str:
    if action == "dispute":
        if complaint.level > TOP_INTERNAL_LEVEL:
            return _("The complaint goes to an outside body: %(body)s.") % {"body": complaint.outside_body}
        return _("Up the ladder: %(level)s acknowledges within 2 working days and resolves within 5.") % {
            "level": access.level_name(complaint.level)
        }
    if action == "approve":
        return _("Promise approved (compensation %(amount)s yuan)") % {"amount": complaint.compensation}
    if action == "propose" and complaint.approval_needed:
        return _(
            "Solution proposed. Compensation above %(limit)s yuan needs approval from the level above "
            "before the customer is told."
        ) % {"limit": settings.CRISIS_COMPLAINT_APPROVAL_ABOVE}
    return _("%(step)s: done. The complaint is now “%(state)s”.") % {
        "step": STEP_LABELS[action],
        "state": complaint.get_state_display(),
    }


@require_POST
def complaint_reply(request: HttpRequest, pk: int) -> HttpResponse:
    complaint = _complaint_or_404(request, pk)
    _must_handle(request, complaint)
    form = ReplyForm(request.POST, prefix="reply")
    reply = None
    if form.is_valid():
        data = form.cleaned_data
        reply = _attempt(
            request,
            form,
            lambda: services.schedule_reply(
                pk,
                by=request.user,
                method=data["method"],
                at=data["at"],
                urgent=data["urgent"],
                promised=data["promised"],
                text=data["text"],
            ),
        )
    if reply is not None:
        if reply.moved_to_business_hours:
            messages.warning(
                request,
                _("Phone calls are made in business hours: scheduled for %(at)s instead of %(requested)s.")
                % {"at": _when(reply.scheduled_for), "requested": _when(reply.requested_for)},
            )
        else:
            messages.success(request, _("Reply scheduled for %(at)s.") % {"at": _when(reply.scheduled_for)})
        return redirect(reverse("crisis:complaint", args=[pk]) + "#replies")
    if form.errors:
        if complaint.is_open:
            return _detail_page(request, complaint, bound={"reply": form}, status=400)
        errors_as_messages(request, form, with_labels=True)
    return redirect(reverse("crisis:complaint", args=[pk]) + "#replies")


def _reply_or_404(complaint: Complaint, rid: int) -> ComplaintReply:
    reply = ComplaintReply.objects.filter(pk=rid, complaint=complaint).first()
    if reply is None:
        raise Http404(_("No such reply."))
    return reply


@require_POST
def complaint_reply_given(request: HttpRequest, pk: int, rid: int) -> HttpResponse:
    complaint = _complaint_or_404(request, pk)
    reply = _reply_or_404(complaint, rid)
    _must_handle(request, complaint)
    form = reply_given_form(reply, request.POST)
    done = None
    if form.is_valid():
        given = form.cleaned_data.get("given", "")
        done = _attempt(request, form, lambda: services.record_reply(rid, by=request.user, given=given))
    if done is not None:
        messages.success(request, _("Reply recorded."))
        return redirect(reverse("crisis:complaint", args=[pk]) + "#replies")
    if form.errors:
        if ComplaintReply.objects.filter(pk=rid, done_at__isnull=True).exists():
            return _detail_page(request, complaint, bound={f"given-{rid}": form}, status=400)
        errors_as_messages(request, form, with_labels=True)
    return redirect(reverse("crisis:complaint", args=[pk]) + "#replies")


def _submit(
    request: HttpRequest,
    complaint: Complaint,
    form,
    *,
    key: str,
    call: Callable[[dict[str, Any]], Any],
    success: Callable[[Any], str],
    anchor: str,
    form_still_shown: Callable[[], bool],
) -> HttpResponse:
    """One small command form of the complaint's page: valid input goes to the service (its refusals
    become messages); errors are shown on the form when the page still shows it, else as messages."""
    done = None
    if form.is_valid():
        done = _attempt(request, form, lambda: call(form.cleaned_data))
    target = reverse("crisis:complaint", args=[complaint.pk]) + anchor
    if done is not None:
        messages.success(request, success(done))
        return redirect(target)
    if form.errors and form_still_shown():
        return _detail_page(request, complaint, bound={key: form}, status=400)
    errors_as_messages(request, form, with_labels=True)
    return redirect(target)


def _reply_to_go(rid: int) -> Callable[[], bool]:
    return lambda: ComplaintReply.objects.filter(pk=rid, done_at__isnull=True).exists()


@require_POST
def complaint_reply_text(request: HttpRequest, pk: int, rid: int) -> HttpResponse:
    """The handler writes (or rewrites) a written reply's text; a changed text needs confirming again."""
    complaint = _complaint_or_404(request, pk)
    _reply_or_404(complaint, rid)
    _must_handle(request, complaint)
    return _submit(
        request,
        complaint,
        ReplyTextForm(request.POST, auto_id=f"text-{rid}-%s"),
        key=f"text-{rid}",
        call=lambda data: services.reply_text(rid, by=request.user, **data),
        success=lambda reply: (
            _("Text saved; it is the confirmed one.")
            if reply.is_confirmed
            else _("Text saved. A business manager confirms it before it goes.")
        ),
        anchor="#replies",
        form_still_shown=_reply_to_go(rid),
    )


@require_POST
def complaint_reply_confirm(request: HttpRequest, pk: int, rid: int) -> HttpResponse:
    """A business manager (or higher) confirms exactly the text of a written reply before it goes."""
    complaint = _complaint_or_404(request, pk)
    _reply_or_404(complaint, rid)
    access.CONFIRM_REPLY.check(request.user, complaint)
    return _submit(
        request,
        complaint,
        ReplyConfirmForm(request.POST, auto_id=f"confirm-{rid}-%s"),
        key=f"confirm-{rid}",
        call=lambda data: services.confirm_reply(rid, by=request.user, **data),
        success=lambda reply: _("Written reply confirmed: it may go with exactly this text."),
        anchor="#replies",
        form_still_shown=_reply_to_go(rid),
    )


def _about_message(complaint: Complaint) -> str:
    if complaint.complained_about_id:
        person = complaint.complained_about
        return _("The complaint is about %(name)s, who is kept off the case.") % {
            "name": person.get_full_name() or person.username
        }
    return _("The complaint is about no staff member in particular.")


@require_POST
def complaint_complained_about(request: HttpRequest, pk: int) -> HttpResponse:
    """A business manager (or higher) says which staff member the complaint is about."""
    complaint = _complaint_or_404(request, pk)
    access.NAME_COMPLAINED_ABOUT.check(request.user, complaint)
    return _submit(
        request,
        complaint,
        ComplainedAboutForm(request.POST, auto_id="about-%s"),
        key="complained_about",
        call=lambda data: services.set_complained_about(pk, by=request.user, **data),
        success=_about_message,
        anchor="",
        form_still_shown=lambda: complaint.is_open,
    )


@require_POST
def complaint_extend(request: HttpRequest, pk: int) -> HttpResponse:
    """Senior management extends the resolution limit, as far as the complaint's profile allows."""
    complaint = _complaint_or_404(request, pk)
    access.EXTEND.check(request.user, complaint)
    return _submit(
        request,
        complaint,
        ExtendForm(request.POST, auto_id="extend-%s"),
        key="extend",
        call=lambda data: services.extend_resolution(pk, by=request.user, **data),
        success=lambda deadline: _("Resolution limit extended to %(due)s.") % {"due": _when(deadline.due_at)},
        anchor="#deadlines",
        form_still_shown=lambda: complaint.is_open,
    )


@require_POST
def complaint_attach(request: HttpRequest, pk: int) -> HttpResponse:
    complaint = _complaint_or_404(request, pk)
    access.ATTACH.check(request.user, complaint)
    form = AttachmentForm(request.POST, request.FILES, prefix="attachment")
    attachment = None
    if form.is_valid():
        attachment = _attempt(
            request, form, lambda: services.add_attachment(pk, by=request.user, upload=form.cleaned_data["file"])
        )
    if attachment is not None:
        messages.success(request, _("Attached “%(name)s”.") % {"name": attachment.name})
        return redirect(reverse("crisis:complaint", args=[pk]) + "#attachments")
    if form.errors:
        return _detail_page(request, complaint, bound={"attachment": form}, status=400)
    return redirect(reverse("crisis:complaint", args=[pk]) + "#attachments")


def attachment_download(request: HttpRequest, pk: int, aid: int) -> HttpResponse:
    """Attachments may hold personal details: served only through this check, never as media."""
    complaint = _complaint_or_404(request, pk)
    attachment = ComplaintAttachment.objects.filter(pk=aid, complaint=complaint).first()
    if attachment is None:
        raise Http404(_("No such attachment."))
    attachment.complaint = complaint
    try:
        handle = services.open_attachment(attachment, request.user, via="page")  # 403 unless allowed
    except (FileNotFoundError, ValueError):
        raise Http404(_("The file is missing.")) from None
    response = FileResponse(handle, as_attachment=True, filename=attachment.name, content_type=attachment.content_type)
    response["Cache-Control"] = "private, no-store"
    return response


# --- The board: complaint volume ------------------------------------------------------------------------


def volume_context(days: int = 14) -> dict[str, Any]:
    """The board's chart of complaints per day by category (pygal, as an SVG image), its summary in
    words, and the busiest projects."""
    volume = services.volume(days=days)
    dates = [datetime.fromisoformat(d).date() for d in volume["days"]]
    totals = volume["totals"]
    categories = [(code, label, CATEGORY_COLOURS.get(code, "#999")) for code, label in ComplaintCategory.choices]
    total = sum(totals)
    today = totals[-1] if totals else 0
    earlier = totals[:-1]
    average = sum(earlier) / len(earlier) if earlier else 0.0
    rising = today >= 3 and today >= 2 * average
    used = [c for c in categories if any(volume["series"].get(c[0], []))]
    peak = max(range(len(totals)), key=lambda i: (totals[i], i)) if totals else 0
    summary = _(
        "%(total)s complaints in the last %(days)s days; %(today)s today (on average %(average)s a day before). "
        "Busiest day: %(peak_day)s with %(peak)s."
    ) % {
        "total": total,
        "days": len(dates),
        "today": today,
        "average": formats.number_format(average, 1),
        "peak_day": formats.date_format(dates[peak], "m-d") if dates else "—",
        "peak": totals[peak] if totals else 0,
    }
    projects = []
    for row in volume["projects"]:
        others = (row["total"] - row["last_24h"]) / max(len(dates) - 1, 1)
        top_categories = sorted(((n, code) for code, n in row["by_category"].items() if n), reverse=True)[:2]
        projects.append(
            {
                **row,
                "rising": row["last_24h"] >= 3 and row["last_24h"] >= 2 * others,
                "top_categories": [(_label(ComplaintCategory, code), n) for n, code in top_categories],
            }
        )
    x_labels = [formats.date_format(day, "m-d") for day in dates[:-1]] + ([_("today")] if dates else [])
    series = [(str(label), colour, volume["series"][code]) for code, label, colour in used]
    return {
        "days": len(dates),
        "chart": charts.stacked_columns(x_labels, series) if total else None,
        "legend": used or categories,
        "total": total,
        "today": today,
        "rising": rising,
        "summary": summary,
        "projects": projects,
        "table": [
            {"day": dates[i], "total": totals[i], "counts": [volume["series"][c[0]][i] for c in used]}
            for i in range(len(dates))
        ],
        "table_categories": used,
    }


# --- The war room: complaints that are part of the incident ----------------------------------------------


def complaints_panel_context(request: HttpRequest, incident: Incident) -> dict[str, Any]:
    linked = services.visible_complaints(request.user).filter(incident=incident).order_by("-received_at", "-pk")
    rows = list(linked[:PANEL_LIMIT])
    total = len(rows) if len(rows) < PANEL_LIMIT else linked.count()
    for c in rows:
        _mask(c)
    return {"linked_complaints": rows, "linked_total": total, "linked_more": total - len(rows)}
