"""Console pages. Thin: forms validate, services decide, errors become messages."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, F, OuterRef, Q, Subquery
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from incidents import permissions, policy, services
from incidents.models import OPEN_STATUSES, Deadline, DeadlineState, Incident, Status
from incidents.notify import delivery as notify
from incidents.oncall import roster
from incidents.oncall.models import DutyPosition
from playbooks.models import CrisisKind

from . import search
from .complaint_views import volume_context
from .forms import (
    DeclareForm,
    HandoverForm,
    PreferenceForm,
)
from .service_calls import call_service

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


# One-click views of the board and its orders (the filters' checkboxes narrow further).
BOARD_VIEWS = {
    "mine": gettext_lazy("Mine"),
    "unled": gettext_lazy("No commander"),
    "breached": gettext_lazy("Deadline missed"),
    "severe": gettext_lazy("Severity I–II"),
}
BOARD_SORTS = {
    "severity": (gettext_lazy("Severity"), ("severity", "-declared_at")),
    "due": (gettext_lazy("Next deadline"), (F("next_due").asc(nulls_last=True), "severity")),
    "newest": (gettext_lazy("Newest"), ("-declared_at",)),
}


def _board_view(incidents, view: str, user):
    if view == "mine":
        mine = Q(reported_by=user) | Q(assignments__user=user, assignments__ended_at__isnull=True)
        return incidents.filter(pk__in=Incident.objects.filter(mine).values("pk"))
    if view == "unled":
        return incidents.filter(commander__isnull=True)
    if view == "breached":
        return incidents.filter(breached__gt=0)
    if view == "severe":
        return incidents.filter(severity__lte=2)
    return incidents


def board_incidents(request: HttpRequest) -> tuple[list[Incident], dict[str, Any]]:
    """The open incidents the viewer may see, filtered, each with its next pending deadline and
    how many are breached — one query, however many incidents and deadlines there are."""
    statuses = [s for s in request.GET.getlist("status") if s in Status.values] or list(OPEN_STATUSES)
    kinds = [k for k in request.GET.getlist("kind") if k in CrisisKind.values]
    view = request.GET.get("view", "") if request.GET.get("view", "") in BOARD_VIEWS else ""
    sort = request.GET.get("sort", "") if request.GET.get("sort", "") in BOARD_SORTS else "severity"
    pending = Deadline.objects.filter(incident=OuterRef("pk"), state=DeadlineState.PENDING).order_by("due_at")
    incidents = (
        Incident.objects.visible_to(request.user)
        .filter(status__in=statuses)
        .select_related("commander")
        .annotate(
            next_due=Subquery(pending.values("due_at")[:1]),
            next_title_zh=Subquery(pending.values("title_zh")[:1]),
            next_title_en=Subquery(pending.values("title_en")[:1]),
            breached=Count("deadlines", filter=Q(deadlines__state=DeadlineState.BREACHED), distinct=True),
        )
    )
    if kinds:
        incidents = incidents.filter(kind__in=kinds)
    incidents = _board_view(incidents, view, request.user)
    rows = list(incidents.order_by(*BOARD_SORTS[sort][1])[:200])
    zh = (translation.get_language() or "").startswith("zh")
    for row in rows:
        row.next_title = (row.next_title_zh or row.next_title_en) if zh else (row.next_title_en or row.next_title_zh)
    links = {
        "views": [
            (code, label, _board_query(request, view=code)) for code, label in [("", _("All")), *BOARD_VIEWS.items()]
        ],
        "sorts": [(code, spec[0], _board_query(request, sort=code)) for code, spec in BOARD_SORTS.items()],
    }
    return rows, {"selected_statuses": statuses, "selected_kinds": kinds, "view": view, "sort": sort, **links}


def _board_query(request: HttpRequest, **change: str) -> str:
    query = request.GET.copy()
    for key, value in change.items():
        if value:
            query[key] = value
        else:
            query.pop(key, None)
    return "?" + query.urlencode() if query else "?"


def board(request: HttpRequest) -> HttpResponse:
    incidents, filters = board_incidents(request)
    return render(
        request,
        "crisis/board.html",
        {
            "incidents": incidents,
            "statuses": Status.choices,
            "kinds": CrisisKind.choices,
            "may_declare": permissions.may_declare(request.user),
            "now": timezone.now(),
            "volume": volume_context(),
            "duty": duty_strip(),
            **filters,
        },
    )


def duty_strip() -> list[dict]:
    """Who is on duty as commander now and next, for every kind of crisis without its own rotation."""
    return [
        {"position": DutyPosition(position).label, "now": now, "next": following}
        for position, (now, following) in roster.on_duty().items()
    ]


def board_table(request: HttpRequest) -> HttpResponse:
    incidents, filters = board_incidents(request)
    return render(request, "crisis/panels/board_table.html", {"incidents": incidents, "now": timezone.now(), **filters})


def declare(request: HttpRequest) -> HttpResponse:
    policy.DECLARE.check(request.user)
    form = DeclareForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        incident = call_service(request, form, lambda: services.declare_incident(by=request.user, **form.cleaned_data))
        if incident is not None:
            messages.success(request, _("Incident declared. The first-hour clock is running."))
            return redirect("crisis:incident", pk=incident.pk)
    return render(request, "crisis/declare.html", {"form": form}, status=400 if form.errors else 200)


def handover(request: HttpRequest, pk: int) -> HttpResponse:
    incident = _incident_or_404(request, pk)
    policy.CHANGE_COMMAND.check(request.user, incident)
    form = HandoverForm(request.POST or None, incident=incident)
    if request.method == "POST" and form.is_valid():
        done = call_service(request, form, lambda: services.change_command(pk, by=request.user, **form.cleaned_data))
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


def search_page(request: HttpRequest) -> HttpResponse:
    """Search incidents, timelines, statements and complaints (what the searcher may see)."""
    try:
        query = search.clean_query(request.GET.get("q", ""))
    except ValidationError as exc:
        return render(request, "crisis/search.html", {"q": "", "error": exc.messages[0]}, status=400)
    return render(request, "crisis/search.html", {"q": query, **search.search(request.user, query)})


def my_notifications(request: HttpRequest) -> HttpResponse:
    preference = notify.preferences([request.user])[request.user.pk]  # stored, or the defaults
    initial = {
        "email": preference.email,
        "email_kinds": preference.email_kinds,
        "sms_pages": preference.sms_pages,
        "phone": preference.phone,
        "quiet_from": preference.quiet_from,
        "quiet_until": preference.quiet_until,
        "language": preference.language or request.LANGUAGE_CODE,
    }
    form = PreferenceForm(request.POST or None, initial=initial)
    if (
        request.method == "POST"
        and form.is_valid()
        and call_service(request, form, lambda: notify.set_preference(request.user, **form.cleaned_data))
    ):
        messages.success(request, _("Saved."))
        return redirect("crisis:notifications")
    notifications = list(notify.inbox(request.user)[:100])
    notify.mark_read(request.user)
    return render(
        request,
        "crisis/notifications.html",
        {"form": form, "notifications": notifications},
        status=400 if form.errors else 200,
    )


@require_POST
def notification_ack(request: HttpRequest, nid: int) -> HttpResponse:
    """The tray's and the notifications page's "Acknowledge" without JavaScript (with it, the page
    calls POST /api/notifications/{id}/ack/). Someone else's notification is 404."""
    try:
        notify.acknowledge(nid, request.user)
    except notify.Notification.DoesNotExist:
        raise Http404 from None
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, {request.get_host()}, require_https=request.is_secure()):
        back = reverse("crisis:notifications")
    return redirect(back)
