"""Brute-force protection on the login form (django-axes), including the admin's login.

/login/ is allauth's form, whose field is `login` (a username or an email). The admin's login sends people there
(config/urls.py, secure_admin_login), so the same lockout covers it.
"""

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.test import Client

PASSWORD = "the-Right-password-42"
FIELD = {"/login/": "login"}


@pytest.fixture
def axes_on(settings):
    from axes.models import AccessAttempt

    settings.AXES_ENABLED = True  # tests/conftest.py turns it off for every other test.
    AccessAttempt.objects.all().delete()
    cache.clear()  # allauth's per-address request limits live in the cache; start each test from zero.
    return settings


def _victim(**extra):
    user = get_user_model().objects.create_user(username="victim", email="victim@example.org", password=PASSWORD, **extra)
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return user


def _post(client, url, username, password):
    return client.post(url, {FIELD[url]: username, "password": password})


@pytest.mark.django_db
@pytest.mark.parametrize("login_url", ["/login/"])
def test_login_locks_out_after_repeated_failures(axes_on, login_url):
    user = _victim(is_staff=True)
    client = Client(REMOTE_ADDR="203.0.113.7")
    for _ in range(axes_on.AXES_FAILURE_LIMIT - 1):
        response = _post(client, login_url, user.username, "guess")
        assert response.status_code == 200  # The form again, with an error.
    assert _post(client, login_url, user.username, "guess").status_code == 429  # Locked now.
    locked = _post(client, login_url, user.username, PASSWORD)
    assert locked.status_code == 429, "the right password must not work while the account+IP is locked"
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_the_admin_login_checks_no_password_of_its_own(axes_on):
    user = _victim(is_staff=True)
    client = Client(REMOTE_ADDR="203.0.113.7")
    response = client.post("/admin/login/", {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302 and response["Location"].startswith("/login/?next=")
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_a_lockout_is_per_username_and_address(axes_on):
    _victim()
    attacker = Client(REMOTE_ADDR="203.0.113.7")
    for _ in range(axes_on.AXES_FAILURE_LIMIT):
        _post(attacker, "/login/", "victim", "guess")
    owner = Client(REMOTE_ADDR="198.51.100.9")
    response = _post(owner, "/login/", "victim", PASSWORD)
    assert response.status_code == 302 and "_auth_user_id" in owner.session  # The owner elsewhere still gets in.


@pytest.mark.django_db
def test_a_success_before_the_limit_resets_the_count(axes_on):
    _victim()
    client = Client(REMOTE_ADDR="203.0.113.7")
    for _ in range(axes_on.AXES_FAILURE_LIMIT - 1):
        _post(client, "/login/", "victim", "guess")
    assert _post(client, "/login/", "victim", PASSWORD).status_code == 302
    client.logout()
    for _ in range(axes_on.AXES_FAILURE_LIMIT - 1):
        _post(client, "/login/", "victim", "guess")
    assert _post(client, "/login/", "victim", PASSWORD).status_code == 302
    assert "_auth_user_id" in client.session


@pytest.mark.django_db
def test_a_lockout_also_counts_logins_by_email(axes_on):
    _victim()
    client = Client(REMOTE_ADDR="203.0.113.7")
    for _ in range(axes_on.AXES_FAILURE_LIMIT):
        _post(client, "/login/", "victim@example.org", "guess")
    assert _post(client, "/login/", "victim@example.org", PASSWORD).status_code == 429


@pytest.mark.django_db
def test_the_login_form_never_refills_the_password(axes_on):
    response = Client().post("/login/", {"login": "nobody", "password": "typed-Secret-991"})
    assert b"typed-Secret-991" not in response.content
