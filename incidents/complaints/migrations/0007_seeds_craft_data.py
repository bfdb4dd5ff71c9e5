"""The banking and insurance time-limit profile (not in force: admins switch), and for complaints
taken in before: their phone key (the frequent-complainer count finds them) and the profile they
were held to (the one in force)."""

from django.db import migrations

from incidents.complaints.defaults import create_banking_profile, fill_phone_keys, remove_banking_profile


def forwards(apps, schema_editor):
    create_banking_profile(apps.get_model("complaints", "TimeLimitProfile"))
    fill_phone_keys(apps.get_model("complaints", "Complaint"))


def backwards(apps, schema_editor):
    remove_banking_profile(apps.get_model("complaints", "TimeLimitProfile"))


class Migration(migrations.Migration):
    dependencies = [("complaints", "0006_seeds_craft")]
    operations = [migrations.RunPython(forwards, backwards)]
