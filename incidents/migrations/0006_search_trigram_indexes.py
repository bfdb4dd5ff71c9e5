"""Trigram indexes for the console's search (crisis.search): incidents and their timelines."""

from django.db import migrations

from config.trigram import trigram_indexes


class Migration(migrations.Migration):
    dependencies = [("incidents", "0005_paging_acknowledgement")]

    operations = [
        trigram_indexes(
            ("incidents_incident", "title"),
            ("incidents_incident", "summary"),
            ("incidents_incident", "location"),
            ("incidents_timelineentry", "text"),
        )
    ]
