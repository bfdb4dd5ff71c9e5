import sys
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from playbooks.exchange import PlaybookFileError, import_text


class _DryRun(Exception):
    pass


class Command(BaseCommand):
    help = "Import a playbook version from a YAML or JSON file as a new draft (or --publish it). All or nothing."

    def add_arguments(self, parser):
        parser.add_argument("file", help="path to the file, or - for standard input")
        parser.add_argument("--publish", action="store_true", help="publish the imported version at once")
        parser.add_argument("--check", action="store_true", help="only check the file; change nothing")

    def handle(self, *args, file, publish, check, **options):
        try:
            text = sys.stdin.read() if file == "-" else Path(file).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"Cannot read {file}: {exc}") from exc
        try:
            if check:
                # The whole import, publication checks included, then roll it all back.
                try:
                    with transaction.atomic():
                        import_text(text, publish=True)
                        raise _DryRun
                except _DryRun:
                    self.stdout.write(f"{file}: OK")
                return
            version = import_text(text, publish=publish)
        except PlaybookFileError as exc:
            for problem in exc.problems:
                self.stderr.write(f"{file}:{problem}")
            raise CommandError(f"{len(exc.problems)} problem(s); nothing was imported.") from None
        except ValidationError as exc:
            for message in exc.messages:
                self.stderr.write(f"{file}: {message}")
            raise CommandError("The version cannot be published; nothing was imported.") from None
        self.stdout.write(f"Imported {version.playbook.slug} v{version.number} ({version.get_state_display()})")
