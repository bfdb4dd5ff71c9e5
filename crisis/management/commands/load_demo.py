from django.core.management.base import BaseCommand

from crisis.demo import DEMO_PASSWORD, load_demo_users
from crisis.voice.models import CompanyProfile

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
        self.stdout.write(f"Demo users ready ({DEMO_PASSWORD}): {', '.join(names)}")
