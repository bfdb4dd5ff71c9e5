from django.core.management.base import BaseCommand

from crisis.demo import DEMO_PASSWORD, load_demo_users


class Command(BaseCommand):
    help = "Create or refresh the demo users (idempotent). Password for all: demo-pass-123."

    def handle(self, *args, **options):
        names = load_demo_users()
        self.stdout.write(f"Demo users ready ({DEMO_PASSWORD}): {', '.join(names)}")
