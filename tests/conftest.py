from __future__ import annotations

import pytest
from django.conf import settings
from django.test import override_settings
from django.utils import translation
from rest_framework.test import APIClient

from config.redis_runtime import redis_answers

from . import factories
from .provider_doubles import ProviderDouble


def pytest_report_header(config):
    return [f"redis: {settings.REDIS_URL}", f"database: {settings.DATABASES['default']['ENGINE']}"]


@pytest.fixture(autouse=True)
def _each_test_starts_in_the_default_language():
    """A request with Accept-Language activates its language for the thread and nothing resets it;
    each test starts from settings.LANGUAGE_CODE, whatever the one before asked for."""
    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(scope="session", autouse=True)
def _redis_is_there():
    if not redis_answers(settings.REDIS_URL):
        pytest.exit(
            f"No Redis answers at {settings.REDIS_URL}. Run the suite with `make test`, which finds or starts one."
        )


@pytest.fixture
def admin(db):
    return factories.admin_user(username="admin1")


@pytest.fixture
def commander(db):
    return factories.commander_user(username="cmd1", first_name="Zhang Wei")


@pytest.fixture
def commander2(db):
    return factories.commander_user(username="cmd2", first_name="Li Na")


@pytest.fixture
def pr(db):
    return factories.pr_user(username="pr1", first_name="Wang Fang")


@pytest.fixture
def responder(db):
    return factories.responder_user(username="resp1", first_name="Liu Qiang")


@pytest.fixture
def executive(db):
    return factories.exec_user(username="exec1", first_name="Chen")


@pytest.fixture
def api():
    """An API client; `api.as_user(u)` signs in with a real token."""
    from rest_framework.authtoken.models import Token

    client = APIClient()

    def as_user(user):
        token, _ = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        return client

    client.as_user = as_user
    return client


@pytest.fixture
def sms_gateway():
    """A local SMS gateway that checks what the real one checks (tests/provider_doubles.py), and the
    settings that point the console at it: for pages and for customer messages alike."""
    server = ProviderDouble("sms", secret="gateway-key")
    with override_settings(
        CRISIS_SMS_GATEWAY_URL=server.url,
        CRISIS_SMS_GATEWAY_KEY="gateway-key",
        CRISIS_SMS_SIGN_NAME="阳光地产",
        CRISIS_SMS_TEMPLATE="SMS_0001",
    ):
        yield server
    server.close()


@pytest.fixture
def incident(commander):
    return factories.declare(commander, commander=commander)


@pytest.fixture(scope="session")
def timer_processes(django_db_setup, django_db_blocker, tmp_path_factory):
    """Real Celery workers — one for alarms, one for deliveries, as in production — and Celery beat,
    on the test database and the suite's private queues."""
    from types import SimpleNamespace

    from config.celery import app
    from tests.processes import celery_beat, celery_worker, test_database_env

    app.control.purge()  # messages left by earlier tests that ran without a worker
    env = test_database_env()
    worker = celery_worker(env, name="alarms", serve="alarms").start()
    delivery_worker = celery_worker(env, name="deliveries", serve="deliveries").start()
    beat = celery_beat(env, tmp_path_factory.mktemp("beat")).start()
    yield SimpleNamespace(worker=worker, delivery_worker=delivery_worker, beat=beat, env=env)
    beat.stop()
    delivery_worker.stop()
    worker.stop()
    app.control.purge()


@pytest.fixture(scope="session")
def asgi_servers(django_db_setup, django_db_blocker):
    """Two real uvicorn processes on the test database, sharing the suite's Redis."""
    from types import SimpleNamespace

    from config.redis_runtime import free_port
    from tests.processes import asgi_server, test_database_env

    env = test_database_env()
    servers = []
    for name in ("a", "b"):
        port = free_port()
        process = asgi_server(env, port, name).start()
        servers.append(SimpleNamespace(process=process, port=port, url=f"http://127.0.0.1:{port}"))
    yield servers
    for server in servers:
        server.process.stop()
