"""The media and online-opinion log of one incident (舆情监测): the totals, reach over time as a
chart, every item (rumours with what answers them), and a form to log one."""

from __future__ import annotations

from functools import partial

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from config.forms import DATETIME_LOCAL, SerializerForm
from crisis.media import services as media
from crisis.media.api import MediaWriteSerializer
from crisis.media.models import MediaItem
from incidents.policy import ADD_NOTE

from . import charts
from .service_calls import submit
from .views import _incident_or_404


class MediaForm(SerializerForm):
    serializer_class = MediaWriteSerializer
    widgets = {"summary": forms.Textarea(attrs={"rows": 3}), "seen_at": DATETIME_LOCAL, "callback_by": DATETIME_LOCAL}


def media_page(request: HttpRequest, pk: int) -> HttpResponse:
    incident = _incident_or_404(request, pk)
    points = media.reach_over_time(pk)
    chart = None
    if len(points) > 1:
        labels = [date_format(timezone.localtime(at), "m-d H:i") for at, _total in points]
        chart = charts.line(labels, [total for _at, total in points], _("Reach so far"))
    items = MediaItem.objects.filter(incident=incident).select_related("answered_by", "rebutted_by", "callback")
    return TemplateResponse(
        request,
        "crisis/media.html",
        {
            "incident": incident,
            "totals": media.totals(pk),
            "chart": chart,
            "points": points,
            "items": items[:300],
            "form": MediaForm() if ADD_NOTE(request.user, incident) and incident.is_open else None,
        },
    )


def media_log(request: HttpRequest, pk: int) -> HttpResponse:
    _incident_or_404(request, pk)
    if request.method == "POST":
        submit(request, MediaForm(request.POST), partial(media.log_item, pk, by=request.user), _("Logged."))
    return redirect("crisis:media", pk=pk)
