"""Password reset by email (allauth's flow)."""

import pytest
from django.test import Client

from tests.accounts.conftest import link_in, log_in

NEW = "a-brand-new-password-7"


def test_it_resets_a_password_from_the_emailed_link(cast, mailoutbox):
    client = Client()
    response = client.post("/password/reset/", {"email": "Alice@example.org"})
    assert response["Location"] == "/password/reset/done/"
    link = link_in(mailoutbox, "/password/reset/key/")
    form = client.get(link, follow=True)  # allauth moves the key out of the URL into the session first.
    response = client.post(form.redirect_chain[-1][0], {"password1": NEW, "password2": NEW})
    assert response["Location"] == "/password/reset/key/done/"
    cast.alice.refresh_from_db()
    assert cast.alice.check_password(NEW)
    assert log_in(Client(), "alice", NEW).status_code == 302
    assert Client().get(link, follow=True).context["token_fail"]  # The link works once.


@pytest.mark.django_db
def test_an_unknown_address_gets_the_same_answer(mailoutbox):
    response = Client().post("/password/reset/", {"email": "nobody@example.org"})
    assert response["Location"] == "/password/reset/done/"
    assert "/password/reset/key/" not in "".join(m.body for m in mailoutbox)
