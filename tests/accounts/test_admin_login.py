"""The admin's login goes through allauth, so a staff user with an authenticator app needs its code there too."""

from allauth.mfa.totp.internal.auth import TOTP
from django.test import Client

from tests.accounts.conftest import log_in, totp_code
from tests.plugins.tenants import PASSWORD

SECRET = "JBSWY3DPEHPK3PXP"


def _staff(user):
    user.is_staff = user.is_superuser = True
    user.save(update_fields=["is_staff", "is_superuser"])
    return user


def test_the_admin_login_form_sends_people_to_ours(cast):
    _staff(cast.alice)
    client = Client()
    response = client.get("/admin/login/?next=/admin/")
    assert response.status_code == 302 and response["Location"].startswith("/login/?next=")
    # Posting a password straight to the admin's form signs nobody in: that form is no longer served.
    posted = client.post("/admin/login/", {"username": "alice", "password": PASSWORD, "next": "/admin/"})
    assert posted.status_code == 302 and "_auth_user_id" not in client.session


def test_a_staff_user_with_totp_reaches_the_admin_only_after_the_code(cast):
    TOTP.activate(_staff(cast.alice), SECRET)
    client = Client()
    login_url = client.get("/admin/", follow=True).redirect_chain[-1][0]
    assert login_url.startswith("/login/?next=")
    response = client.post(login_url, {"login": "alice", "password": PASSWORD})
    assert response["Location"] == "/2fa/authenticate/" and "_auth_user_id" not in client.session
    assert client.get("/admin/")["Location"].startswith("/admin/login/")  # Still signed out: no admin yet.
    response = client.post("/2fa/authenticate/", {"code": totp_code(SECRET)})
    assert response.status_code == 302 and response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_a_signed_in_member_who_is_not_staff_is_refused(cast):
    client = Client()
    log_in(client, "bob")
    assert client.get("/admin/login/").status_code == 403
