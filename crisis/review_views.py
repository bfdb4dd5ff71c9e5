"""The review page (复盘) of a closed incident: what the record says, what people write, their
feedback and the action items. Each form posts to a view that calls one review command."""

from __future__ import annotations

from functools import partial

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from config.errors import RuleBroken
from config.forms import DATETIME_LOCAL, SerializerForm
from crisis.reviews import policy
from crisis.reviews import services as reviews
from crisis.reviews.data import actions_visible_to, review_data
from crisis.reviews.models import ActionState, ReviewAction, ReviewState
from crisis.reviews.serializers import (
    ActionCreateSerializer,
    ActionFinishSerializer,
    FeedbackWriteSerializer,
    ReviewEditSerializer,
)
from incidents.timeline import display_name

from .service_calls import submit
from .views import _incident_or_404


class ReviewForm(SerializerForm):
    serializer_class = ReviewEditSerializer
    fields_order = (*reviews.TEXT_FIELDS, "rating")
    widgets = {name: forms.Textarea(attrs={"rows": 3}) for name in reviews.TEXT_FIELDS}


class EvaluationForm(SerializerForm):
    """A drill's evaluation sheet: the page posts met_<i> (yes, no or empty) and note_<i> per
    question; validated as the API's `evaluation` list."""

    serializer_class = ReviewEditSerializer
    fields_order = ()

    def __init__(self, post, *args, **kwargs) -> None:
        rows = []
        while len(rows) < 100 and (f"met_{len(rows)}" in post or f"note_{len(rows)}" in post):
            i = len(rows)
            rows.append({"met": post.get(f"met_{i}", ""), "note": post.get(f"note_{i}", "")})
        super().__init__({"evaluation": rows}, *args, **kwargs)


class FeedbackForm(SerializerForm):
    serializer_class = FeedbackWriteSerializer
    widgets = {"text": forms.Textarea(attrs={"rows": 2})}


class ActionForm(SerializerForm):
    serializer_class = ActionCreateSerializer
    widgets = {"due_at": DATETIME_LOCAL}

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        people = get_user_model().objects.filter(is_active=True).order_by("first_name", "username")
        self.fields["owner"] = forms.TypedChoiceField(
            label=self.fields["owner"].label, coerce=int, choices=[(u.pk, display_name(u)) for u in people]
        )


class FinishForm(SerializerForm):
    serializer_class = ActionFinishSerializer


def review_page(request: HttpRequest, pk: int) -> HttpResponse:
    incident = _incident_or_404(request, pk)
    try:
        review = reviews.review_of(pk, request.user)
    except RuleBroken as exc:
        messages.info(request, exc.message)
        return redirect("crisis:incident", pk=pk)
    user = request.user
    is_open = review.state == ReviewState.OPEN
    data = review_data(review)
    initial = {name: getattr(review, name) for name in (*reviews.TEXT_FIELDS, "rating")}
    mine = review.feedback.filter(author=user).first()
    actions = list(review.actions.select_related("owner").order_by("due_at", "pk"))
    return TemplateResponse(
        request,
        "crisis/review.html",
        {
            "incident": incident,
            "review": review,
            "data": data,
            "late": {i for i, m in enumerate(data["key_moments"]) if _late(m)},
            "form": ReviewForm(initial=initial) if is_open and policy.WRITE_REVIEW(user, incident) else None,
            "may_evaluate": bool(review.evaluation) and is_open and policy.WRITE_REVIEW(user, incident),
            "feedback_form": (
                FeedbackForm(initial={"rating": mine.rating, "text": mine.text} if mine else None)
                if is_open and policy.GIVE_FEEDBACK(user, incident)
                else None
            ),
            "may_sign_off": is_open and policy.SIGN_OFF(user, incident),
            "action_form": ActionForm() if policy.ADD_ACTION(user, incident) else None,
            "actions": [
                {
                    "action": a,
                    "finish": FinishForm() if a.state == ActionState.OPEN and policy.FINISH_ACTION(user, a) else None,
                }
                for a in actions
            ],
        },
    )


def _late(moment: dict) -> bool:
    took, target = moment["minutes_from_detection"], moment["target_minutes"]
    return target is not None and (took is None or took > target)


def _back(pk: int, anchor: str = "") -> HttpResponse:
    response = redirect("crisis:review", pk=pk)
    response["Location"] += anchor
    return response


@require_POST
def review_write(request: HttpRequest, pk: int) -> HttpResponse:
    _incident_or_404(request, pk)
    form = ReviewForm(request.POST)
    submit(request, form, partial(reviews.edit_review, pk, by=request.user), _("The review is saved."))
    return _back(pk, "#review-texts")


@require_POST
def review_evaluation(request: HttpRequest, pk: int) -> HttpResponse:
    _incident_or_404(request, pk)
    submit(
        request,
        EvaluationForm(request.POST),
        partial(reviews.edit_review, pk, by=request.user),
        _("The evaluation sheet is saved."),
    )
    return _back(pk, "#review-evaluation")


@require_POST
def review_sign_off(request: HttpRequest, pk: int) -> HttpResponse:
    _incident_or_404(request, pk)
    submit(
        request,
        forms.Form(request.POST),
        partial(reviews.sign_off, pk, by=request.user),
        _("The review is signed off."),
    )
    return _back(pk)


@require_POST
def review_feedback(request: HttpRequest, pk: int) -> HttpResponse:
    _incident_or_404(request, pk)
    submit(
        request,
        FeedbackForm(request.POST),
        partial(reviews.give_feedback, pk, by=request.user),
        _("Thank you for your feedback."),
    )
    return _back(pk, "#review-feedback")


@require_POST
def review_action_add(request: HttpRequest, pk: int) -> HttpResponse:
    _incident_or_404(request, pk)

    def add(title, owner, due_at, change_playbook):
        return reviews.add_action(
            pk, by=request.user, title=title, owner_id=owner, due_at=due_at, change_playbook=change_playbook
        )

    submit(request, ActionForm(request.POST), add, _("The action item is added."))
    return _back(pk, "#review-actions")


@require_POST
def review_action_finish(request: HttpRequest, pk: int, action_id: int) -> HttpResponse:
    _incident_or_404(request, pk)
    if not ReviewAction.objects.filter(pk=action_id, review__incident_id=pk).exists():
        messages.error(request, _("Not found."))
        return _back(pk, "#review-actions")
    submit(
        request,
        FinishForm(request.POST),
        partial(reviews.finish_action, action_id, by=request.user),
        _("The action item is closed."),
    )
    return _back(pk, "#review-actions")


def my_actions(request: HttpRequest) -> HttpResponse:
    """Action items from reviews: the signed-in person's own open ones first, then every other open
    one they may see, soonest due first (an item outlives its incident; this is where it is found)."""
    visible = actions_visible_to(request.user).filter(state=ActionState.OPEN).order_by("due_at", "pk")
    return TemplateResponse(
        request,
        "crisis/my_actions.html",
        {
            "mine": list(visible.filter(owner=request.user)[:200]),
            "others": list(visible.exclude(owner=request.user)[:200]),
            "now": timezone.now(),
        },
    )
