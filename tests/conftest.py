import pytest

pytest_plugins = ["tests.plugins.sandbox", "tests.plugins.worker", "tests.plugins.tenants"]


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
