"""Trigram indexes for the console's search (crisis.search): statements."""

from django.db import migrations

from config.trigram import trigram_indexes


class Migration(migrations.Migration):
    dependencies = [("voice", "0002_company_profile")]

    operations = [trigram_indexes(("voice_statement", "title"), ("voice_statement", "body"))]
