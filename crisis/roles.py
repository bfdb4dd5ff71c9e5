"""The console's groups and what each may do. The README's permission table mirrors this, and
tests/crisis/test_permission_table.py checks the two against each other and against behaviour."""

from __future__ import annotations

ADMINS = "admins"
COMMANDERS = "commanders"
PR_STAFF = "pr_staff"
RESPONDERS = "responders"
EXECUTIVES = "executives"
# The complaint escalation ladder (settings.CRISIS_COMPLAINT_LADDER_GROUPS, bottom rung first).
COMPLAINT_HANDLERS = "complaint_handlers"
BUSINESS_MANAGERS = "business_managers"
BRANCH_HEADS = "branch_heads"
GENERAL_MANAGEMENT = "general_management"
SENIOR_MANAGEMENT = "senior_management"
LADDER = (COMPLAINT_HANDLERS, BUSINESS_MANAGERS, BRANCH_HEADS, GENERAL_MANAGEMENT, SENIOR_MANAGEMENT)

_PLAYBOOK_MODELS = (
    "playbook",
    "playbookversion",
    "step",
    "deadlinerule",
    "statementtemplate",
    "qaline",
    "drillscript",
    "drillinject",
)
_PLAYBOOK_EDITING = [
    f"playbooks.{action}_{model}" for model in _PLAYBOOK_MODELS for action in ("add", "change", "delete", "view")
]

GROUP_PERMISSIONS: dict[str, list[str]] = {
    ADMINS: [
        "incidents.declare_incident",
        "incidents.command_incident",
        "incidents.administer_incident",
        "incidents.view_restricted_incident",
        *_PLAYBOOK_EDITING,
        *[
            f"{app}.{action}_{model}"
            for app, model in (
                ("clock", "calendarday"),
                ("notify", "webhookendpoint"),
                ("notify", "chatrobot"),
                ("notify", "notificationpreference"),
                ("complaints", "escalationrule"),
                ("complaints", "timelimitprofile"),
                ("voice", "companyprofile"),
                ("oncall", "dutyrotation"),
                ("oncall", "dutyrotationmember"),
                ("oncall", "dutyoverride"),
                ("contacts", "contact"),
                ("voice", "customeroptout"),
                ("incidents", "escalationpolicy"),
            )
            for action in ("add", "change", "delete", "view")
        ],
        # One voice: admins may draft, and are the second (legal) reviewers where a template asks
        # for one. The commander's approval needs no permission: it comes with command.
        "voice.draft_statement",
        "voice.review_statement_legal",
    ],
    COMMANDERS: ["incidents.declare_incident", "incidents.command_incident"],
    PR_STAFF: ["incidents.declare_incident", "voice.draft_statement"],
    RESPONDERS: ["incidents.declare_incident"],
    EXECUTIVES: ["incidents.view_restricted_incident"],
    # Complaint staff may declare an incident when a complaint needs one before any rule fires;
    # what they may do with complaints follows from their rung (incidents.complaints.access).
    **{group: ["incidents.declare_incident"] for group in LADDER},
}


def _permissions(names: list[str]) -> list:
    from django.contrib.auth.models import Permission

    found = []
    for name in names:
        app_label, codename = name.split(".", 1)
        perm = Permission.objects.filter(content_type__app_label=app_label, codename=codename).first()
        if perm is not None:  # a model added by a later migration appears after that migration
            found.append(perm)
    return found


def sync_groups() -> None:
    from django.contrib.auth.models import Group

    for name, perms in GROUP_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.set(_permissions(perms))


def sync_groups_after_migrate(sender, **kwargs) -> None:
    sync_groups()
