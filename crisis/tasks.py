"""The console's scheduled work: the periodic reports (the beat runs it hourly; see crisis.reports)."""

from __future__ import annotations

from celery import shared_task

from . import reports


@shared_task(name="reports.make_due_reports", ignore_result=True)
def make_due_reports() -> int:
    return len(reports.make_due_reports())
