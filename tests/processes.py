"""Real processes for the tests, pointed at the test database and the suite's private Celery
queue and channel prefix."""

from config.processes import Process, asgi_server, celery_beat, celery_worker, child_env, wait_for

__all__ = ["Process", "asgi_server", "celery_beat", "celery_worker", "test_database_env", "wait_for"]


def test_database_env() -> dict[str, str]:
    """Environment that makes a child process use the database the tests are using now."""
    return child_env("tests.settings")
