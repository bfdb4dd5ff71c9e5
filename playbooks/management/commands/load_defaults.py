from django.core.management.base import BaseCommand

from playbooks.defaults import load_default_playbooks


class Command(BaseCommand):
    help = "Load the default playbooks (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--upgrade",
            action="store_true",
            help="publish a shipped playbook that differs from the published one as its next version "
            "(the replaced version, an admin's edits included, stays as a retired version)",
        )

    def handle(self, *args, upgrade=False, **options):
        loaded = load_default_playbooks(upgrade=upgrade)
        self.stdout.write(f"Default playbooks ready: {', '.join(loaded) or 'none'}")
