import pytest

pytest_plugins = ["tests.plugins.processes", "tests.plugins.sandbox", "tests.plugins.worker", "tests.plugins.tenants"]


def pytest_configure(config):
    """The SQLite test database lives in VAR_DIR, and WhiteNoise warns on a missing STATIC_ROOT; settings make neither."""
    from django.conf import settings

    for folder in (settings.VAR_DIR, settings.STATIC_ROOT):
        folder.mkdir(parents=True, exist_ok=True)


@pytest.fixture(autouse=True)
def _eager_celery_by_default():
    """Unit and service tests run tasks inline; end-to-end tests switch this off and start a real worker."""
    from config.celery import app

    app.conf.task_always_eager = True
    app.conf.task_eager_propagates = True
    yield
    app.conf.task_always_eager = True


@pytest.fixture(autouse=True)
def _no_axes_lockouts(settings):
    settings.AXES_ENABLED = False


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def sandbox(ak_sandbox, settings):
    """The ActionKit sandbox, reset, with its host allowed over http, and no rate limit on the test connection."""
    ak_sandbox.reset()
    ak_sandbox.set_limits(per_minute=0, max_concurrent=0)
    settings.ACTIONKIT_INSECURE_HOSTS = [*settings.ACTIONKIT_INSECURE_HOSTS, ak_sandbox.host]
    settings.ACTIONKIT_DEFAULT_RECORDS_PER_MINUTE = 0
    return ak_sandbox


@pytest.fixture
def api(cast):
    """A DRF client holding an API key of entity A. A server error comes back as a 500 response, for the assertion
    to show."""
    from rest_framework.test import APIClient

    from integrations.services.api_keys import api_credential_create

    _, key = api_credential_create(entity=cast.entity_a, name="test", actor=None)
    client = APIClient(raise_request_exception=False)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return client


@pytest.fixture(autouse=True)
def _sends_inline(settings):
    """Sender threads have their own database connections, which cannot see a test's uncommitted rows."""
    settings.DELIVERY_SENDS_IN_FLIGHT = 1


@pytest.fixture(autouse=True)
def _no_scheduler_flags():
    """A send-scheduler flag left by a test that queued a turn without a worker would hold back the next test's
    sends until it expires."""
    from django.core.cache import cache

    from integrations.services.outcomes import turn_flag

    keys = [turn_flag(lane) + suffix for lane in ("live", "backfill") for suffix in ("", ":helper", ":later")]
    cache.delete_many(keys)
    yield
    cache.delete_many(keys)
