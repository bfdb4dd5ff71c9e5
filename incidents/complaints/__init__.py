"""Complaints: intake from every channel, the handling form (处理单), working-day time limits,
the escalation ladder, and escalation into an incident (the first hour starts here).

Models live in `models.py` (registered with the `incidents` app), every write in `services.py`,
the escalation rules' evaluation in `rules.py`, the JSON API in `api.py`.
"""
