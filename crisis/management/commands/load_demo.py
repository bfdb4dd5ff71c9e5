from datetime import time, timedelta

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.utils import timezone

from crisis.demo import DEMO_PASSWORD, load_demo_users
from crisis.voice.models import CompanyProfile
from incidents.contacts.exchange import import_csv
from incidents.contacts.models import Contact
from incidents.oncall.models import DutyPosition, DutyRotation, HandoverPeriod
from playbooks.models import DrillScript

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
    help = (
        "Create or refresh the demo users (idempotent), and a demo company profile, duty roster and drill "
        "script if there are none."
    )

    def handle(self, *args, **options):
        names = load_demo_users()
        if not CompanyProfile.objects.exists():
            CompanyProfile.objects.create(**DEMO_COMPANY)
        if not DutyRotation.objects.exists():
            load_demo_roster()
        if not DrillScript.objects.exists():
            load_demo_drill()
        if not Contact.objects.exists():
            import_csv(DEMO_CONTACTS.encode())
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


# A tabletop drill of the site-safety playbook: what the organisers push into the war room, when.
DEMO_INJECTS = [
    (5, "现场报告：一名工人被困脚手架下 / Site: a worker is trapped under the scaffold", ""),
    (15, "《都市报》记者来电询问伤亡人数 / A newspaper calls about casualties", "记者要求15分钟内回复。"),
    (30, "业主群流传现场视频 / A video of the site circulates in the owners' group", ""),
    (45, "区应急管理局来电核实情况 / The district emergency bureau calls to verify", ""),
]


def load_demo_drill() -> None:
    script = DrillScript.objects.create(
        name="脚手架坍塌桌面推演 / Scaffold collapse tabletop drill (demo)",
        kind="site_safety",
        scenario="上午10点，3号楼外脚手架局部坍塌，现场情况不明。 / 10:00, part of Block 3's scaffold collapses.",
    )
    for minutes, title, text in DEMO_INJECTS:
        script.injects.create(after_minutes=minutes, title=title, text=text)


# A made-up directory (the numbers are the national short numbers or obviously fake).
DEMO_CONTACTS = """kind,organisation,person,phone,project,jurisdiction,notes
emergency_management,示例区应急管理局（演示）,值班室,0000-0000001,,示例区,生产安全事故1小时内报告
housing_construction,示例区住房和城乡建设局（演示）,质安站,0000-0000002,,示例区,
market_regulation,示例区市场监督管理局（演示）,特种设备科,0000-0000003,,示例区,
police,公安,,110,,,
fire,消防救援,,119,,,
ambulance,急救中心,,120,,,
hospital,示例市第一人民医院（演示）,急诊科,0000-0000004,阳光花园,,距工地约3公里
general_contractor,示例建工集团（演示）,项目经理,0000-0000005,阳光花园,,
supervisor,示例监理公司（演示）,总监,0000-0000006,阳光花园,,
insurer,示例保险公司（演示）,理赔,0000-0000007,,,工程一切险
media,示例都市报（演示）,新闻热线,0000-0000008,,,
"""
