"""Every stored playbook text as the editor's form leaves it: nothing blank at either end (imported
YAML blocks kept a final newline, which the first save in the editor dropped — a diff of lines
nobody touched). Published versions included: only the blank ends change, never a word."""

from django.db import migrations
from django.db.models import CharField, TextField

MODELS = ("Playbook", "PlaybookVersion", "Step", "DeadlineRule", "StatementTemplate", "QALine")


def strip_ends(apps, schema_editor):
    for name in MODELS:
        model = apps.get_model("playbooks", name)
        fields = [f.attname for f in model._meta.concrete_fields if isinstance(f, (TextField, CharField))]
        for row in model.objects.values("pk", *fields).iterator():
            changed = {f: row[f].strip() for f in fields if isinstance(row[f], str) and row[f] != row[f].strip()}
            if changed:
                model.objects.filter(pk=row["pk"]).update(**changed)


class Migration(migrations.Migration):
    dependencies = [("playbooks", "0007_field_names_in_both_languages")]

    operations = [migrations.RunPython(strip_ends, migrations.RunPython.noop)]
