import pytest

pytest_plugins = ["tests.plugins.sandbox", "tests.plugins.worker", "tests.plugins.tenants"]


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
