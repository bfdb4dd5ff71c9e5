"""The war room: one incident, live. The page is server-rendered in panels; crisis/static/crisis/
warroom.js keeps it live over the websocket, appending timeline entries and re-fetching a panel
when an event changes what it shows. Actions post to the views below, which call the services
and answer an htmx request with the panel to swap in (or a redirect without JavaScript)."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.db.models import Count, F, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from incidents import permissions, policy, services, timeline
from incidents.alarms import FIRST_HOUR_AFTER
from incidents.contacts.models import Contact
from incidents.models import Deadline, Incident, ReportChannel, RoleAssignment, Task, TaskState, TimelineEntry
from incidents.notify import delivery as notify
from playbooks.models import Audience, DeadlineNature, Phase

from .complaint_views import complaints_panel_context
from .forms import (
    ConfirmForm,
    GuardedTransitionForm,
    MeetForm,
    NoteForm,
    PromiseForm,
    ReportForm,
    RoleForm,
    TaskForm,
    TransitionForm,
    WaiveForm,
)
from .service_calls import call_service, errors_as_messages, submit
from .views import _incident_or_404
from .voice_panel import voice_context

TIMELINE_WINDOW = 100


def _timeline_items(entries: list[TimelineEntry]) -> list[dict[str, Any]]:
    return [{"entry": e, "message": timeline.describe(e.kind, e.data, e.text)} for e in entries]


def _window(incident: Incident, before: int | None = None) -> list[TimelineEntry]:
    """The newest TIMELINE_WINDOW entries (before a sequence number), oldest first: the page never
    loads the whole history, so it costs the same with ten entries or ten thousand."""
    entries = TimelineEntry.objects.filter(incident=incident).select_related("actor")
    if before is not None:
        entries = entries.filter(seq__lt=before)
    window = list(entries.order_by("-seq")[:TIMELINE_WINDOW])
    window.reverse()
    return window


def header_context(request: HttpRequest, incident: Incident) -> dict[str, Any]:
    labels = services.transition_labels()
    user = request.user
    allowed = services.allowed_transitions(incident, user)
    return {
        # Confirming has its own form (when the company learned of it, the severity); the guarded
        # steps have their own page that says what happens and asks why.
        "transitions": [(name, labels.get(name, name)) for name in allowed if name != "confirm"],
        "guarded": services.NEEDS_A_REASON,
        "confirm_form": (
            ConfirmForm(initial={"learned_at": timezone.localtime(incident.detected_at), "severity": incident.severity})
            if "confirm" in allowed
            else None
        ),
        "may_change_command": permissions.may_change_command(user, incident) and incident.is_open,
        "first_hour_ends": incident.declared_at + FIRST_HOUR_AFTER,
        "muted": notify.is_muted(user, "incident", incident.pk),
        "may_take_command": incident.is_open and incident.commander_id is None and policy.TAKE_COMMAND(user),
        **first_hour_progress(incident),
    }


def first_hour_progress(incident: Incident) -> dict[str, Any]:
    """What the first hour still needs: the next open step (soonest due first) and how many of the
    first-hour steps are done or skipped."""
    steps = Task.objects.filter(incident=incident)
    counts = steps.filter(phase=Phase.FIRST_HOUR).aggregate(
        total=Count("pk"), done=Count("pk", filter=~Q(state=TaskState.OPEN))
    )
    next_task = (
        steps.filter(state=TaskState.OPEN)
        .select_related("assignee")
        .order_by(F("due_at").asc(nulls_last=True), "order", "pk")
        .first()
    )
    return {"next_task": next_task, "first_hour_total": counts["total"], "first_hour_done": counts["done"]}


def deadlines_context(request: HttpRequest, incident: Incident) -> dict[str, Any]:
    deadlines = list(Deadline.objects.filter(incident=incident).select_related("met_by").order_by("due_at", "pk"))
    may_meet = incident.is_open and policy.MEET_DEADLINE(request.user, incident)
    for deadline in deadlines:
        # A report to an authority is met by reporting (usually a call): its form asks how, to
        # which authority, who took it and when. Other deadlines are met with a line of evidence.
        deadline.report_form = (
            ReportForm(auto_id=f"d{deadline.pk}-%s", initial={"channel": ReportChannel.PHONE})
            if may_meet and deadline.audience == Audience.REGULATOR and deadline.nature == DeadlineNature.DUTY
            else None
        )
    return {
        "deadlines": deadlines,
        "may_meet": may_meet,
        "promise_form": PromiseForm(auto_id="promise-%s") if policy.RECORD_PROMISE(request.user, incident) else None,
    }


def checklist_context(request: HttpRequest, incident: Incident) -> dict[str, Any]:
    tasks = list(
        Task.objects.filter(incident=incident).select_related("assignee", "completed_by").order_by("order", "pk")
    )
    assignments = list(incident.assignments.filter(ended_at__isnull=True).values_list("user_id", "role"))
    user, directs = request.user, permissions.directs(request.user, incident)
    my_roles = {role for user_id, role in assignments if user_id == user.pk}
    for task in tasks:
        # The same rule as policy.works_task, from rows already loaded (no query per task).
        task.workable = incident.is_open and (directs or task.assignee_id == user.pk or task.owner_role in my_roles)
    return {"tasks": tasks}


def roles_context(request: HttpRequest, incident: Incident) -> dict[str, Any]:
    return {"roles": incident.assignments.filter(ended_at__isnull=True).select_related("user"), "role_form": RoleForm()}


def pins_context(request: HttpRequest, incident: Incident) -> dict[str, Any]:
    """The decisions pinned at the top of the timeline."""
    seqs = services.pinned_seqs(incident)
    entries = {e.seq: e for e in TimelineEntry.objects.filter(incident=incident, seq__in=seqs).select_related("actor")}
    return {
        "pins": _timeline_items([entries[seq] for seq in seqs if seq in entries]),
        "may_pin": policy.PIN_DECISION(request.user, incident),
    }


def contacts_context(request: HttpRequest, incident: Incident) -> dict[str, Any]:
    """Who to call for the incident's project (its location), the project's own first, then those
    serving every project."""
    found = list(Contact.objects.filter(active=True).for_project(incident.location.strip())[: CONTACTS_SHOWN + 1])
    return {"contacts": found[:CONTACTS_SHOWN], "contacts_more": len(found) > CONTACTS_SHOWN}


CONTACTS_SHOWN = 12


PANEL_CONTEXT: dict[str, Callable[[HttpRequest, Incident], dict[str, Any]]] = {
    "header": header_context,
    "deadlines": deadlines_context,
    "checklist": checklist_context,
    "roles": roles_context,
    "voice": voice_context,
    "complaints": complaints_panel_context,
    "pins": pins_context,
    "contacts": contacts_context,
}


def _base(request: HttpRequest, incident: Incident) -> dict[str, Any]:
    return {
        "incident": incident,
        "now": timezone.now(),
        "directs": permissions.directs(request.user, incident),
        "time_zone": settings.TIME_ZONE,
    }


def incident_detail(request: HttpRequest, pk: int) -> HttpResponse:
    incident = _incident_or_404(request, pk)
    context = _base(request, incident)
    for build in PANEL_CONTEXT.values():
        context.update(build(request, incident))
    window = _window(incident)
    context.update(
        {
            "playbook_version": incident.playbook_version,
            "timeline": _timeline_items(window),
            "timeline_first": window[0].seq if window else 0,
            "may_note": permissions.may_note(request.user, incident),
            "may_pin": policy.PIN_DECISION(request.user, incident),
            "note_form": NoteForm(),
        }
    )
    return TemplateResponse(request, "crisis/incident.html", context)


def panel(request: HttpRequest, pk: int, name: str) -> HttpResponse:
    if name not in PANEL_CONTEXT:
        raise Http404
    incident = _incident_or_404(request, pk)
    context = {**_base(request, incident), **PANEL_CONTEXT[name](request, incident)}
    return TemplateResponse(request, f"crisis/panels/{name}.html", context)


def timeline_page(request: HttpRequest, pk: int) -> HttpResponse:
    """Older history, a window at a time (?before=SEQ), for the timeline's infinite scroll."""
    incident = _incident_or_404(request, pk)
    try:
        before = int(request.GET.get("before", ""))
    except ValueError:
        return HttpResponse(_("“before” must be a whole number."), status=400)
    window = _window(incident, before=max(before, 1))
    return TemplateResponse(
        request,
        "crisis/panels/timeline_entries.html",
        {
            "timeline": _timeline_items(window),
            "timeline_first": window[0].seq if window else 0,
            "older_page": True,
            "may_pin": policy.PIN_DECISION(request.user, incident),
        },
    )


def _after_action(request: HttpRequest, pk: int, panel_name: str | None, anchor: str = "") -> HttpResponse:
    """htmx gets the panel to swap in (messages included); a plain form post gets the page."""
    if request.htmx and panel_name:
        response = panel(request, pk, panel_name)
        response.render()
        return response
    if request.htmx:
        return HttpResponse(status=204)
    return redirect(reverse("crisis:incident", args=[pk]) + anchor)


@require_POST
def incident_transition(request: HttpRequest, pk: int) -> HttpResponse:
    _incident_or_404(request, pk)
    form = TransitionForm(request.POST)
    if form.is_valid():
        done = call_service(
            request, None, lambda: services.transition_incident(pk, by=request.user, **form.cleaned_data)
        )
        if done is not None:
            messages.success(request, _("Status is now %(status)s.") % {"status": done.get_status_display()})
    else:
        messages.error(request, _("That request was not understood."))
    return redirect("crisis:incident", pk=pk)


# What each guarded step does, said before it is done.
CONSEQUENCES = {
    "stand_down": gettext_lazy(
        "Stand down: this was a false alarm, or nothing more needs doing. Every clock stops, the page is "
        "called off and the incident leaves the board. Say why: the timeline keeps it."
    ),
    "resolve": gettext_lazy(
        "Resolve: the situation is under control and the response is over. The clocks still run until it "
        "is closed. Say what resolved it."
    ),
    "close": gettext_lazy(
        "Close: the incident ends. Every clock stops, no complaint can join it any more, and everyone who "
        "took part is told. Write the closing summary: what happened, what was done, what is left."
    ),
}


def transition_confirm(request: HttpRequest, pk: int, name: str) -> HttpResponse:
    """The guarded steps — stand down, resolve, close — are confirmed on their own page, which says
    what will happen and asks why (closing: the summary, and what to do with what is still open)."""
    incident = _incident_or_404(request, pk)
    if name not in services.NEEDS_A_REASON:
        raise Http404
    policy.CHANGE_STATUS.check(request.user, incident)
    label = services.transition_labels().get(name, name)
    form = GuardedTransitionForm(request.POST or None, initial={"transition": name}, closing=name == "close")
    if request.method == "POST" and form.is_valid():
        data = {**form.cleaned_data, "name": name}
        done = call_service(request, form, lambda: services.transition_incident(pk, by=request.user, **data))
        if done is not None:
            messages.success(request, _("Status is now %(status)s.") % {"status": done.get_status_display()})
            return redirect("crisis:incident", pk=pk)
    return TemplateResponse(
        request,
        "crisis/transition_confirm.html",
        {
            "incident": incident,
            "name": name,
            "label": label,
            "consequence": CONSEQUENCES[name],
            "form": form,
            "open_tasks": Task.objects.filter(incident=incident, state=TaskState.OPEN).count(),
            "pending_deadlines": Deadline.objects.filter(incident=incident, state="pending").count(),
        },
        status=400 if form.errors else 200,
    )


@require_POST
def incident_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    _incident_or_404(request, pk)
    submit(
        request,
        ConfirmForm(request.POST),
        partial(services.confirm_incident, pk, by=request.user),
        _("Confirmed. The playbook's tasks and deadlines now run."),
    )
    return redirect("crisis:incident", pk=pk)


@require_POST
def incident_promise(request: HttpRequest, pk: int) -> HttpResponse:
    _incident_or_404(request, pk)
    submit(
        request,
        PromiseForm(request.POST),
        partial(services.record_promised, pk, by=request.user),
        _("Promise recorded: it is now a deadline."),
    )
    return _after_action(request, pk, "deadlines", "#panel-deadlines")


@require_POST
def incident_note(request: HttpRequest, pk: int) -> HttpResponse:
    _incident_or_404(request, pk)
    form = NoteForm(request.POST)
    if form.is_valid():
        call_service(request, form, lambda: services.add_note(pk, by=request.user, **form.cleaned_data))
    if form.errors and request.htmx:
        return HttpResponse(" ".join(e for errors in form.errors.values() for e in errors), status=400)
    errors_as_messages(request, form)
    # The note reaches every open war room, this one included, through the websocket.
    return _after_action(request, pk, None, "#timeline")


@require_POST
def take_command(request: HttpRequest, pk: int) -> HttpResponse:
    """One click for whoever may command an incident that has no commander."""
    _incident_or_404(request, pk)
    done = call_service(request, None, lambda: services.change_command(pk, by=request.user, to=request.user))
    if done is not None:
        messages.success(request, _("You command this incident now."))
    return _after_action(request, pk, "header", "")


@require_POST
def pin_toggle(request: HttpRequest, pk: int) -> HttpResponse:
    """Pin a timeline entry as a decision, or unpin it (pinned=0)."""
    _incident_or_404(request, pk)
    try:
        seq = int(request.POST.get("seq", ""))
    except ValueError:
        messages.error(request, _("That request was not understood."))
        return _after_action(request, pk, "pins", "#timeline")
    pinned = request.POST.get("pinned", "1") != "0"
    call_service(request, None, lambda: services.pin_entry(pk, by=request.user, seq=seq, pinned=pinned))
    return _after_action(request, pk, "pins", "#timeline")


@require_POST
def incident_mute(request: HttpRequest, pk: int) -> HttpResponse:
    """Mute an incident one only follows (what merely informs falls silent; pages and what asks
    one to act still come), or unmute it."""
    _incident_or_404(request, pk)
    muted = notify.set_muted(request.user, "incident", pk, request.POST.get("muted") == "1")
    messages.success(request, _("Muted: only pages and what asks you to act.") if muted else _("Unmuted."))
    return _after_action(request, pk, "header", "")


@require_POST
def incident_role(request: HttpRequest, pk: int) -> HttpResponse:
    _incident_or_404(request, pk)
    submit(request, RoleForm(request.POST), partial(services.assign_role, pk, by=request.user), _("Role assigned."))
    return _after_action(request, pk, "roles", "#panel-roles")


@require_POST
def role_end(request: HttpRequest, pk: int, assignment_id: int) -> HttpResponse:
    _incident_or_404(request, pk)
    get_object_or_404(RoleAssignment, pk=assignment_id, incident_id=pk)
    if call_service(request, None, lambda: services.end_role(assignment_id, by=request.user)) is not None:
        messages.success(request, _("Role ended."))
    return _after_action(request, pk, "roles", "#panel-roles")


@require_POST
def task_update(request: HttpRequest, pk: int, task_id: int) -> HttpResponse:
    _incident_or_404(request, pk)
    get_object_or_404(Task, pk=task_id, incident_id=pk)
    submit(request, TaskForm(request.POST), partial(services.update_task, task_id, by=request.user))
    return _after_action(request, pk, "checklist", "#panel-checklist")


@require_POST
def deadline_update(request: HttpRequest, pk: int, deadline_id: int) -> HttpResponse:
    _incident_or_404(request, pk)
    get_object_or_404(Deadline, pk=deadline_id, incident_id=pk)
    # One text box, two commands: the button pressed says which, and the text is its input. A
    # report to an authority posts the whole report (channel, authority, officer, minute).
    text = request.POST.get("text", "")
    if "channel" in request.POST:
        form, service = ReportForm(request.POST), services.meet_deadline
    elif request.POST.get("action") == "waive":
        form, service = WaiveForm({"reason": text}), services.waive_deadline
    else:
        form, service = MeetForm({"evidence": text}), services.meet_deadline
    submit(request, form, partial(service, deadline_id, by=request.user), _("Deadline updated."))
    return _after_action(request, pk, "deadlines", "#panel-deadlines")
