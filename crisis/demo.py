"""Demo users for a first look at the console (`manage.py load_demo`). Never for production."""

from __future__ import annotations

from . import roles

DEMO_PASSWORD = "demo-pass-123"

# username, display name, group, is_superuser
DEMO_USERS = [
    ("admin", "系统管理员 Admin", roles.ADMINS, True),
    ("commander", "张伟 Zhang Wei", roles.COMMANDERS, False),
    ("commander2", "李娜 Li Na", roles.COMMANDERS, False),
    ("pr", "王芳 Wang Fang", roles.PR_STAFF, False),
    ("responder", "刘强 Liu Qiang", roles.RESPONDERS, False),
    ("exec", "陈总 Chen (executive)", roles.EXECUTIVES, False),
    ("handler", "赵敏 Zhao Min (complaints)", roles.COMPLAINT_HANDLERS, False),
    ("manager", "孙经理 Sun (business manager)", roles.BUSINESS_MANAGERS, False),
]


def load_demo_users() -> list[str]:
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.db import transaction

    with transaction.atomic():
        return _load(get_user_model(), Group)


def _load(User, Group) -> list[str]:
    roles.sync_groups()
    names = []
    for username, display, group_name, superuser in DEMO_USERS:
        user, _ = User.objects.get_or_create(username=username)
        user.first_name = display
        user.last_name = ""
        user.email = f"{username}@example.com"
        user.is_active = True
        user.is_staff = superuser
        user.is_superuser = superuser
        user.set_password(DEMO_PASSWORD)
        user.save()
        user.groups.set([Group.objects.get(name=group_name)])
        names.append(username)
    return names
