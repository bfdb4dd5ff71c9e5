"""Complaint factories: complaints are logged through the intake service, as in real life."""

from __future__ import annotations

from typing import Any

from crisis import roles
from incidents.complaints import services
from incidents.complaints.models import EscalationRule, Trigger
from tests.factories import UserFactory


def handler_user(**kw):
    return UserFactory(group=roles.COMPLAINT_HANDLERS, **kw)


def manager_user(**kw):
    return UserFactory(group=roles.BUSINESS_MANAGERS, **kw)


def ladder_user(level: int, **kw):
    return UserFactory(group=roles.LADDER[level], **kw)


def body(**overrides: Any) -> dict[str, Any]:
    values = {
        "channel": "hotline",
        "customer_name": "王小明",
        "customer_phone": "13912345678",
        "unit": "3-1-1202",
        "project": "阳光花园 Sunrise Gardens",
        "category": "repair",
        "complexity": "general",
        "description": "卫生间漏水三周无人处理。Bathroom leak unrepaired for three weeks.",
        "wants": "apology",
    }
    values.update(overrides)
    return values


def log(by, **overrides: Any):
    complaint, _created = services.intake(by=by, data=body(**overrides))
    return complaint


def only_rule(trigger: str, **overrides: Any) -> EscalationRule:
    """Replace the rules with one of the given trigger, so a test sees only what it sets up."""
    EscalationRule.objects.all().delete()
    values = {
        "name_zh": "测试规则",
        "name_en": f"Test rule ({trigger})",
        "trigger": trigger,
        "crisis_kind": "online_outrage",
        "severity": 3,
        "vip_flags": ["media_reporter"] if trigger == Trigger.VIP else [],
        "threshold": 5,
        "window_hours": 24,
    }
    values.update(overrides)
    return EscalationRule.objects.create(**values)


def no_rules() -> None:
    EscalationRule.objects.all().delete()
