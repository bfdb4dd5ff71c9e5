"""Trigram indexes for the console's search (crisis.search): complaints, never by personal data."""

from django.db import migrations

from config.trigram import trigram_indexes


class Migration(migrations.Migration):
    dependencies = [("complaints", "0007_seeds_craft_data")]

    operations = [
        trigram_indexes(
            ("complaints_complaint", "description"),
            ("complaints_complaint", "project"),
            ("complaints_complaint", "wants"),
        )
    ]
