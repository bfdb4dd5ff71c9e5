"""The default escalation rules of DOMAIN.md §3: VIP complainers, risk of harm, repeats, online
spread, owners acting together. Admins edit or disable them; this runs once."""

from django.db import migrations

DEFAULT_RULES = [
    # order, trigger, zh, en, crisis kind, severity, vip flags
    (10, "injury", "人身伤害、火灾、事故或健康风险", "Risk of injury, fire, accident or health harm", "site_safety", 2, []),
    (20, "mass", "业主群体投诉", "Owners complaining together", "owner_protest", 2, []),
    (30, "online", "投诉在网上发酵", "Complaint spreading online", "online_outrage", 2, []),
    (
        40,
        "vip",
        "媒体记者、政府官员或公众人物投诉",
        "Media reporter, government official or public figure",
        "online_outrage",
        3,
        ["media_reporter", "government_official", "public_figure"],
    ),
    (50, "repeat", "同一楼盘同类投诉反复出现", "Same complaint at the same project, again and again", "owner_protest", 3, []),
]


def create(apps, schema_editor):
    EscalationRule = apps.get_model("incidents", "EscalationRule")
    if EscalationRule.objects.exists():
        return
    for order, trigger, zh, en, kind, severity, flags in DEFAULT_RULES:
        EscalationRule.objects.create(
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


class Migration(migrations.Migration):
    dependencies = [("incidents", "0003_complaints")]
    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
