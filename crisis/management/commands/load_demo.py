from datetime import time, timedelta

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.utils import timezone

from crisis.demo import DEMO_PASSWORD, load_demo_users
from crisis.voice.models import CompanyProfile
from incidents.oncall.models import DutyPosition, DutyRotation, HandoverPeriod

# A made-up company for the demo, so that statements drafted from templates name someone; its name
# says it is a demo. A real installation fills in its own profile in the admin.
DEMO_COMPANY = {
    "name_zh": "示例置业有限公司（演示）",
    "name_en": "Example Properties Ltd. (demo)",
    "hotline": "400-000-0000",
    "address_zh": "示例市示例区示例路1号",
    "address_en": "1 Example Road, Example District",
}


class Command(BaseCommand):
    help = "Create or refresh the demo users (idempotent), and a demo company profile if there is none."

    def handle(self, *args, **options):
        names = load_demo_users()
        if not CompanyProfile.objects.exists():
            CompanyProfile.objects.create(**DEMO_COMPANY)
        if not DutyRotation.objects.exists():
            load_demo_roster()
        self.stdout.write(f"Demo users ready ({DEMO_PASSWORD}): {', '.join(names)}")


def load_demo_roster() -> None:
    """`commander` on duty as primary and `commander2` as backup, handing over daily at 09:00 —
    each a rotation of one, which an admin extends in the admin site."""
    users = get_user_model().objects
    since = timezone.localdate() - timedelta(days=1)
    for position, username, name in (
        (DutyPosition.PRIMARY, "commander", "值班指挥 Primary commander (demo)"),
        (DutyPosition.BACKUP, "commander2", "备班指挥 Backup commander (demo)"),
    ):
        rotation = DutyRotation.objects.create(
            name=name, position=position, period=HandoverPeriod.DAILY, handover_time=time(9, 0), starts_on=since
        )
        rotation.members.create(user=users.get(username=username), order=0)
