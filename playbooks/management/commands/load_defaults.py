from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Load the default playbooks (idempotent)."

    def handle(self, *args, **options):
        from playbooks.defaults import load_default_playbooks

        loaded = load_default_playbooks()
        self.stdout.write(f"Default playbooks ready: {', '.join(loaded) or 'none'}")
