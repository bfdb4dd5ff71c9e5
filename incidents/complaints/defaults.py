"""What a new installation starts with: the default escalation rules of DOMAIN.md §3 (VIP
complainers, risk of harm, repeats, online spread, owners acting together), the time-limit
profile of the source documents and, beside it and not in force, the banking and insurance one.
Admins edit them. The data migrations and the intake benchmark create them with these functions,
which take the model class (a migration's historical one)."""

from __future__ import annotations

from .models import phone_key_of

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


# 银行业保险业消费投诉处理管理办法 (2020) ◐: decide and tell the complainant within 15 days, complex
# cases within 30, and with senior approval at most 60. Calendar days. The acknowledgement, the rungs
# above (each again from when it climbs) and the follow-up are the house's own practice.
BANKING_PROFILE = {
    "name": "银行业保险业 Banking & insurance (15/30/60 days)",
    "in_force": False,
    "day_unit": "calendar",
    "acknowledge_working_days": 2,
    "resolve_general_working_days": 15,
    "resolve_complex_working_days": 30,
    "higher_acknowledge_working_days": 2,
    "higher_resolve_working_days": 15,
    "extension_limit_days": 60,
    "follow_up_days": 7,
}


def create_banking_profile(profile_model) -> bool:
    """The banking and insurance profile, not in force (an admin switches), unless it exists."""
    if profile_model.objects.filter(name=BANKING_PROFILE["name"]).exists():
        return False
    profile_model.objects.create(**BANKING_PROFILE)
    return True


def remove_banking_profile(profile_model) -> None:
    profile_model.objects.filter(name=BANKING_PROFILE["name"], in_force=False).delete()


def fill_phone_keys(complaint_model, batch: int = 1000) -> int:
    """Complaints taken in before the phone key existed get theirs (for the frequent-complainer
    count); each keeps the profile that was in force, which their clocks were counted by."""
    profile_model = complaint_model._meta.get_field("time_limits").related_model
    in_force = profile_model.objects.filter(in_force=True).values_list("pk", flat=True).first()
    changed = []
    done = 0
    rows = complaint_model.objects.exclude(customer_phone="").only("pk", "customer_phone", "phone_key")
    for complaint in rows.iterator(chunk_size=batch):
        complaint.phone_key = phone_key_of(complaint.customer_phone)
        changed.append(complaint)
        if len(changed) >= batch:
            complaint_model.objects.bulk_update(changed, ["phone_key"])
            done += len(changed)
            changed = []
    if changed:
        complaint_model.objects.bulk_update(changed, ["phone_key"])
        done += len(changed)
    if in_force is not None:
        complaint_model.objects.filter(time_limits__isnull=True).update(time_limits=in_force)
    return done
