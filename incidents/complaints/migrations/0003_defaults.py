"""The default escalation rules and time-limit profile (incidents.complaints.defaults). Admins
edit them afterwards; this runs once."""

from django.db import migrations

from incidents.complaints.defaults import create_default_rules, create_default_time_limits


def create(apps, schema_editor):
    create_default_rules(apps.get_model("complaints", "EscalationRule"))
    create_default_time_limits(apps.get_model("complaints", "TimeLimitProfile"))


class Migration(migrations.Migration):
    dependencies = [("complaints", "0002_initial")]
    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
