"""Brute-force protection on the login form (django-axes), including the admin's login."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

PASSWORD = "the-Right-password-42"


@pytest.fixture
def axes_on(settings):
    from axes.models import AccessAttempt

    settings.AXES_ENABLED = True  # tests/conftest.py turns it off for every other test.
    AccessAttempt.objects.all().delete()
    return settings


@pytest.mark.django_db
@pytest.mark.parametrize("login_url", ["/login/", "/admin/login/"])
def test_login_locks_out_after_repeated_failures(axes_on, login_url):
    user = get_user_model().objects.create_user(username="victim", password=PASSWORD, is_staff=True)
    client = Client(REMOTE_ADDR="203.0.113.7")
    for _ in range(axes_on.AXES_FAILURE_LIMIT - 1):
        response = client.post(login_url, {"username": user.username, "password": "guess"})
        assert response.status_code == 200  # The form again, with an error.
    assert client.post(login_url, {"username": user.username, "password": "guess"}).status_code == 429  # Locked now.
    locked = client.post(login_url, {"username": user.username, "password": PASSWORD})
    assert locked.status_code == 429, "the right password must not work while the account+IP is locked"
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_a_lockout_is_per_username_and_address(axes_on):
    get_user_model().objects.create_user(username="victim", password=PASSWORD)
    attacker = Client(REMOTE_ADDR="203.0.113.7")
    for _ in range(axes_on.AXES_FAILURE_LIMIT):
        attacker.post("/login/", {"username": "victim", "password": "guess"})
    owner = Client(REMOTE_ADDR="198.51.100.9")
    response = owner.post("/login/", {"username": "victim", "password": PASSWORD})
    assert response.status_code == 302 and "_auth_user_id" in owner.session  # The owner elsewhere still gets in.


@pytest.mark.django_db
def test_a_success_before_the_limit_resets_the_count(axes_on):
    get_user_model().objects.create_user(username="victim", password=PASSWORD)
    client = Client(REMOTE_ADDR="203.0.113.7")
    for _ in range(axes_on.AXES_FAILURE_LIMIT - 1):
        client.post("/login/", {"username": "victim", "password": "guess"})
    assert client.post("/login/", {"username": "victim", "password": PASSWORD}).status_code == 302
    client.logout()
    for _ in range(axes_on.AXES_FAILURE_LIMIT - 1):
        client.post("/login/", {"username": "victim", "password": "guess"})
    assert client.post("/login/", {"username": "victim", "password": PASSWORD}).status_code == 302


@pytest.mark.django_db
def test_the_login_form_never_refills_the_password(axes_on):
    response = Client().post("/login/", {"username": "nobody", "password": "typed-Secret-991"})
    assert b"typed-Secret-991" not in response.content
