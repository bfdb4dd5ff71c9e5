from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from playbooks.exchange import export_version
from playbooks.models import Playbook, VersionState


class Command(BaseCommand):
    help = "Export a playbook version as YAML (default) or JSON, for review in a pull request or sharing."

    def add_arguments(self, parser):
        parser.add_argument("slug", help="the playbook's identifier, e.g. site-safety")
        parser.add_argument("--number", type=int, help="version number (default: the published one)")
        parser.add_argument("--format", choices=["yaml", "json"], default="yaml")
        parser.add_argument("-o", "--output", help="file to write (default: standard output)")

    def handle(self, *args, slug, number, format, output, **options):
        version = number
        playbook = Playbook.objects.filter(slug=slug).first()
        if playbook is None:
            raise CommandError(
                f"No playbook “{slug}”. Known: {', '.join(Playbook.objects.values_list('slug', flat=True))}"
            )
        versions = playbook.versions.all()
        chosen = (
            versions.filter(number=version).first()
            if version
            else versions.filter(state=VersionState.PUBLISHED).first()
        )
        if chosen is None:
            raise CommandError(
                "No such version." if version else "This playbook has no published version; pass --version."
            )
        text = export_version(chosen, format)
        if output:
            Path(output).write_text(text, encoding="utf-8")
            self.stderr.write(f"Wrote {playbook.slug} v{chosen.number} to {output}")
        else:
            self.stdout.write(text, ending="")
