"""Settings for the test suite: the real ones, with a file-based test database (so that the
Celery worker and ASGI server processes the tests start can share it), English as the default
language and a private Celery queue and channel prefix for each run."""

import os

os.environ.setdefault("DJANGO_DEBUG", "1")
# One name per suite run, shared with the worker and server processes the tests start.
os.environ.setdefault("CRISIS_TEST_RUN", str(os.getpid()))
os.environ.setdefault("CELERY_QUEUE", f"crisis-test-{os.environ['CRISIS_TEST_RUN']}")
os.environ.setdefault("CHANNEL_LAYER_PREFIX", f"crisis-test-{os.environ['CRISIS_TEST_RUN']}")

from config.settings import *  # noqa: F403
from config.settings import DATABASES, INSTALLED_APPS, VAR_DIR

LANGUAGE_CODE = "en"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    DATABASES["default"]["TEST"] = {"NAME": os.environ.get("TEST_SQLITE_PATH", str(VAR_DIR / "test.sqlite3"))}

EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"

# Connections are closed after each use, so that no thread-pool connection outlives the test
# database (PostgreSQL refuses to drop a database that still has sessions).
DATABASES["default"]["CONN_MAX_AGE"] = 0

# A domain that exists only here: it registers its own alarm owner type with the clock.
INSTALLED_APPS = [*INSTALLED_APPS, "tests.clockprobe"]

from config.settings import MIDDLEWARE  # noqa: E402

MIDDLEWARE = [*MIDDLEWARE, "tests.middleware.ForgetContentTypes"]

# Tests ask the public page far more often than a person would; the rate limit has its own test.
CRISIS_PUBLIC_RATE = "100000/m"
