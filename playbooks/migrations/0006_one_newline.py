"""Line breaks as "\n" only in every stored playbook text: the admin's textareas had saved
"\r\n", which made every later diff mostly noise. Published versions included: only the line
breaks change, never a word."""

from django.db import migrations
from django.db.models import TextField

MODELS = ("Playbook", "PlaybookVersion", "Step", "DeadlineRule", "StatementTemplate", "QALine")


def one_newline(apps, schema_editor):
    for name in MODELS:
        model = apps.get_model("playbooks", name)
        fields = [f.attname for f in model._meta.concrete_fields if isinstance(f, TextField)]
        for row in model.objects.filter().values("pk", *fields).iterator():
            changed = {
                f: row[f].replace("\r\n", "\n").replace("\r", "\n")
                for f in fields
                if isinstance(row[f], str) and "\r" in row[f]
            }
            if changed:
                model.objects.filter(pk=row["pk"]).update(**changed)


class Migration(migrations.Migration):
    dependencies = [("playbooks", "0005_statement_template_use_when")]

    operations = [migrations.RunPython(one_newline, migrations.RunPython.noop)]
