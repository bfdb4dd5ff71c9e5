"""Celery finds one voice's tasks here: customer messages' delivery and their sweep."""

from .outreach import deliver_customer_messages, sweep_customer_messages

__all__ = ["deliver_customer_messages", "sweep_customer_messages"]
