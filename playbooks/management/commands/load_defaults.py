from django.core.management.base import BaseCommand

from playbooks.defaults import load_default_playbooks


class Command(BaseCommand):
    help = "Load the default playbooks (idempotent)."

    def handle(self, *args, **options):
        loaded = load_default_playbooks()
        self.stdout.write(f"Default playbooks ready: {', '.join(loaded) or 'none'}")
