"""What a new installation starts with: the default escalation rules of DOMAIN.md §3 (VIP
complainers, risk of harm, repeats, online spread, owners acting together) and the time-limit
profile of the source documents. Admins edit both. The data migration and the intake benchmark
create them with these functions, which take the model class (a migration's historical one)."""

from __future__ import annotations

DEFAULT_RULES = [
    # order, trigger, zh, en, crisis kind, severity, vip flags, opens in triage
    (
        10,
        "injury",
        "人身伤害、火灾、事故或健康风险",
        "Risk of injury, fire, accident or health harm",
        "site_safety",
        2,
        [],
        True,  # a risk of injury is not yet an accident: no one-hour report until confirmed
    ),
    # Owners acting together and a complaint already spreading online are public already.
    (20, "mass", "业主群体投诉", "Owners complaining together", "owner_protest", 2, [], False),
    (30, "online", "投诉在网上发酵", "Complaint spreading online", "online_outrage", 2, [], False),
    (
        40,
        "vip",
        "媒体记者、政府官员或公众人物投诉",
        "Media reporter, government official or public figure",
        "online_outrage",
        3,
        ["media_reporter", "government_official", "public_figure"],
        True,  # a local dispute stays local (内紧外松) until the commander decides
    ),
    (
        50,
        "repeat",
        "同一楼盘同类投诉反复出现",
        "Same complaint at the same project, again and again",
        "owner_protest",
        3,
        [],
        True,
    ),
]


def create_default_rules(escalation_rule_model) -> int:
    """The default rules, unless there are rules already. Returns how many it created."""
    if escalation_rule_model.objects.exists():
        return 0
    # An older migration's model has no triage field yet; the migration that adds it sets it.
    has_triage = any(f.name == "opens_in_triage" for f in escalation_rule_model._meta.get_fields())
    for order, trigger, zh, en, kind, severity, flags, triage in DEFAULT_RULES:
        escalation_rule_model.objects.create(
            **({"opens_in_triage": triage} if has_triage else {}),
            order=order,
            trigger=trigger,
            name_zh=zh,
            name_en=en,
            crisis_kind=kind,
            severity=severity,
            vip_flags=flags,
            threshold=5,
            window_hours=24,
        )
    return len(DEFAULT_RULES)


def create_default_time_limits(profile_model) -> bool:
    """The source documents' limits (the model's field defaults), unless a profile exists."""
    if profile_model.objects.exists():
        return False
    profile_model.objects.create(name="默认时限 Default time limits", in_force=True)
    return True


def set_default_triage(escalation_rule_model) -> None:
    """Rules made before triage existed: the triggers that are public already do not triage."""
    public_already = {trigger for _o, trigger, *_rest, triage in DEFAULT_RULES if not triage}
    escalation_rule_model.objects.filter(trigger__in=public_already).update(opens_in_triage=False)
