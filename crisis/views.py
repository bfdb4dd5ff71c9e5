"""Console pages. Thin: forms validate, services decide, errors become messages."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from config.errors import RuleBroken
from incidents import permissions, services
from incidents.describe import describe
from incidents.models import (
    OPEN_STATUSES,
    Deadline,
    Incident,
    Notification,
    NotificationPreference,
    Status,
    Task,
    TimelineEntry,
)
from playbooks.models import CrisisKind

from .forms import (
    DeadlineForm,
    DeclareForm,
    HandoverForm,
    NoteForm,
    PreferenceForm,
    RoleForm,
    TaskForm,
    TransitionForm,
)

TIMELINE_WINDOW = 100


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if request.path_info.startswith("/api/"):
        return JsonResponse({"detail": _("Not found.")}, status=404)
    return render(request, "404.html", status=404)


def _incident_or_404(request: HttpRequest, pk: int) -> Incident:
    try:
        return services.get_visible_incident(pk, request.user)
    except Incident.DoesNotExist:
        raise Http404(_("No such incident.")) from None


def _call_service(request: HttpRequest, form, call: Callable[[], Any]) -> Any | None:
    """Run a service call for a form; turn the service's refusals into errors the user reads."""
    try:
        return call()
    except ValidationError as exc:
        if hasattr(exc, "error_dict") and form is not None:
            for field, errors in exc.message_dict.items():
                target = field if field in form.fields else None
                for error in errors:
                    form.add_error(target, error)
        else:
            for error in exc.messages:
                messages.error(request, error)
    except RuleBroken as exc:
        messages.error(request, exc.message)
    except PermissionDenied as exc:
        messages.error(request, str(exc) or _("You may not do that."))
    return None


def board(request: HttpRequest) -> HttpResponse:
    incidents = Incident.objects.visible_to(request.user).select_related("commander")
    status_filter = request.GET.getlist("status")
    kind_filter = request.GET.getlist("kind")
    statuses = [s for s in status_filter if s in Status.values] or list(OPEN_STATUSES)
    incidents = incidents.filter(status__in=statuses)
    kinds = [k for k in kind_filter if k in CrisisKind.values]
    if kinds:
        incidents = incidents.filter(kind__in=kinds)
    return render(
        request,
        "crisis/board.html",
        {
            "incidents": incidents.order_by("severity", "-declared_at")[:200],
            "statuses": Status.choices,
            "kinds": CrisisKind.choices,
            "selected_statuses": statuses,
            "selected_kinds": kinds,
            "may_declare": permissions.may_declare(request.user),
        },
    )


def declare(request: HttpRequest) -> HttpResponse:
    if not permissions.may_declare(request.user):
        raise PermissionDenied(_("You may not declare incidents."))
    form = DeclareForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        incident = _call_service(request, form, lambda: services.declare_incident(by=request.user, **form.cleaned_data))
        if incident is not None:
            messages.success(request, _("Incident declared. The first-hour clock is running."))
            return redirect("crisis:incident", pk=incident.pk)
    return render(request, "crisis/declare.html", {"form": form}, status=400 if form.errors else 200)


def incident_context(request: HttpRequest, incident: Incident) -> dict[str, Any]:
    user = request.user
    window = list(
        TimelineEntry.objects.filter(incident=incident).select_related("actor").order_by("-seq")[:TIMELINE_WINDOW]
    )
    window.reverse()
    labels = services.transition_labels()
    tasks = list(
        Task.objects.filter(incident=incident).select_related("assignee", "completed_by").order_by("order", "pk")
    )
    deadlines = list(Deadline.objects.filter(incident=incident).order_by("due_at", "pk"))
    directs = permissions.directs(user, incident)
    for task in tasks:
        task.workable = incident.is_open and services.may_work_task(user, incident, task)
    may_meet = incident.is_open and services.may_meet_deadline(user, incident)
    return {
        "tasks": tasks,
        "deadlines": deadlines,
        "may_meet": may_meet,
        "now": timezone.now(),
        "playbook_version": incident.playbook_version,
        "incident": incident,
        "roles": incident.assignments.filter(ended_at__isnull=True).select_related("user"),
        "timeline": [{"entry": e, "message": describe(e.kind, e.data, e.text)} for e in window],
        "timeline_more": bool(window) and window[0].seq > 1,
        "transitions": [(name, labels.get(name, name)) for name in services.allowed_transitions(incident, user)],
        "may_change_command": permissions.may_change_command(user, incident) and incident.is_open,
        "directs": directs,
        "may_note": permissions.may_note(user, incident),
        "note_form": NoteForm(),
        "role_form": RoleForm(),
    }


def incident_detail(request: HttpRequest, pk: int) -> HttpResponse:
    incident = _incident_or_404(request, pk)
    return TemplateResponse(request, "crisis/incident.html", incident_context(request, incident))


@require_POST
def incident_transition(request: HttpRequest, pk: int) -> HttpResponse:
    _incident_or_404(request, pk)
    form = TransitionForm(request.POST)
    if form.is_valid():
        done = _call_service(
            request,
            None,
            lambda: services.transition_incident(
                pk, by=request.user, name=form.cleaned_data["transition"], note=form.cleaned_data["note"]
            ),
        )
        if done is not None:
            messages.success(request, _("Status is now %(status)s.") % {"status": done.get_status_display()})
    else:
        messages.error(request, _("That request was not understood."))
    return redirect("crisis:incident", pk=pk)


@require_POST
def incident_note(request: HttpRequest, pk: int) -> HttpResponse:
    _incident_or_404(request, pk)
    form = NoteForm(request.POST)
    if form.is_valid():
        _call_service(request, form, lambda: services.add_note(pk, by=request.user, text=form.cleaned_data["text"]))
    for error in form.errors.get("text", []):
        messages.error(request, error)
    return redirect("crisis:incident", pk=pk)


@require_POST
def incident_role(request: HttpRequest, pk: int) -> HttpResponse:
    _incident_or_404(request, pk)
    form = RoleForm(request.POST)
    if form.is_valid():
        done = _call_service(request, form, lambda: services.assign_role(pk, by=request.user, **form.cleaned_data))
        if done is not None:
            messages.success(request, _("Role assigned."))
    for field_errors in form.errors.values():
        for error in field_errors:
            messages.error(request, error)
    return redirect("crisis:incident", pk=pk)


@require_POST
def role_end(request: HttpRequest, pk: int, assignment_id: int) -> HttpResponse:
    _incident_or_404(request, pk)
    if _call_service(request, None, lambda: services.end_role(assignment_id, by=request.user)) is not None:
        messages.success(request, _("Role ended."))
    return redirect("crisis:incident", pk=pk)


def handover(request: HttpRequest, pk: int) -> HttpResponse:
    incident = _incident_or_404(request, pk)
    if not permissions.may_change_command(request.user, incident):
        raise PermissionDenied(_("Only the commander or an admin may hand over command."))
    form = HandoverForm(request.POST or None, incident=incident)
    if request.method == "POST" and form.is_valid():
        done = _call_service(
            request,
            form,
            lambda: services.change_command(
                pk, by=request.user, to=form.cleaned_data["user"], briefing=form.cleaned_data["briefing"]
            ),
        )
        if done is not None:
            messages.success(
                request,
                _("%(name)s commands this incident now.") % {"name": services.display_name(done.commander)},
            )
            return redirect("crisis:incident", pk=pk)
    return render(
        request,
        "crisis/handover.html",
        {"incident": incident, "form": form},
        status=400 if form.errors else 200,
    )


@require_POST
def task_update(request: HttpRequest, pk: int, task_id: int) -> HttpResponse:
    _incident_or_404(request, pk)
    form = TaskForm(request.POST)
    if form.is_valid():
        done = _call_service(
            request,
            form,
            lambda: services.update_task(
                task_id, by=request.user, state=form.cleaned_data["state"], note=form.cleaned_data["note"]
            ),
        )
        if done is not None:
            messages.success(request, _("Checklist updated."))
    for errors in form.errors.values():
        for error in errors:
            messages.error(request, error)
    return redirect(f"{reverse('crisis:incident', args=[pk])}#checklist")


@require_POST
def deadline_update(request: HttpRequest, pk: int, deadline_id: int) -> HttpResponse:
    _incident_or_404(request, pk)
    form = DeadlineForm(request.POST)
    if form.is_valid():
        text = form.cleaned_data["text"]
        if form.cleaned_data["action"] == "meet":
            call = lambda: services.meet_deadline(deadline_id, by=request.user, evidence=text)  # noqa: E731
        else:
            call = lambda: services.waive_deadline(deadline_id, by=request.user, reason=text)  # noqa: E731
        if _call_service(request, form, call) is not None:
            messages.success(request, _("Deadline updated."))
    for errors in form.errors.values():
        for error in errors:
            messages.error(request, error)
    return redirect(f"{reverse('crisis:incident', args=[pk])}#deadlines")


def my_notifications(request: HttpRequest) -> HttpResponse:
    preference = NotificationPreference.objects.filter(user=request.user).first()
    initial = {"email": preference.email if preference else True,
               "language": preference.language if preference else request.LANGUAGE_CODE}  # fmt: skip
    form = PreferenceForm(request.POST or None, initial=initial)
    if (
        request.method == "POST"
        and form.is_valid()
        and _call_service(
            request, form, lambda: services.set_notification_preference(request.user, **form.cleaned_data)
        )
    ):
        messages.success(request, _("Saved."))
        return redirect("crisis:notifications")
    notifications = list(
        Notification.objects.filter(recipient=request.user, channel="in_app").select_related("incident")[:100]
    )
    unread = {n.pk for n in notifications if n.read_at is None}
    services.mark_notifications_read(request.user)
    return render(
        request,
        "crisis/notifications.html",
        {"form": form, "notifications": notifications, "unread": unread},
        status=400 if form.errors else 200,
    )
