"""CSRF on every form and a strict Content-Security-Policy on every page."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import NoReverseMatch, reverse

from tests.plugins.tenants import isolation_registry
from tests.security.urlwalk import all_patterns

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
# Views that may skip CSRF, and why. A new csrf_exempt view fails the test until it is listed here.
CSRF_EXEMPT = {
    "api-schema": "read-only schema (GET)",
    "strive_activity_hooks:page-action": "ActionKit's page webhook: authenticated by the secret token in its URL",
    "actblue-hooks:webhook": "ActBlue's webhook: HTTP Basic credentials plus the token in its URL; no session is read",
}
API_PREFIX = "api/v1/"  # Token-authenticated only: a session cookie never authenticates the API (tested below).


def test_no_view_is_csrf_exempt_without_a_reason():
    exempt = {name for route, name, view in all_patterns()
              if getattr(view, "csrf_exempt", False) and not route.startswith(API_PREFIX)}
    assert exempt <= set(CSRF_EXEMPT), f"csrf_exempt views need a reason in CSRF_EXEMPT: {sorted(exempt - set(CSRF_EXEMPT))}"


@pytest.mark.django_db
def test_every_form_view_rejects_a_post_without_a_csrf_token(cast):
    client = Client(enforce_csrf_checks=True)
    client.force_login(cast.alice)
    registered = isolation_registry()
    urls = ["/login/", "/logout/", "/", "/ops/connections/", "/admin/login/", "/admin/logout/"]
    for _route, name, _view in all_patterns():
        if name in registered:
            try:
                urls.append(reverse(name, kwargs={"entity_slug": cast.entity_a.slug, **registered[name](cast)}))
            except NoReverseMatch:
                pytest.fail(f"{name} cannot be reversed with its isolation kwargs")
    assert len(urls) > 20
    for url in urls:
        response = client.post(url, {"name": "x"})
        assert response.status_code == 403, f"POST {url} without a CSRF token answered {response.status_code}"
        assert b"CSRF" in response.content


@pytest.mark.django_db
def test_the_api_ignores_session_cookies(cast):
    """API views are csrf_exempt, which is safe only because a logged-in browser session cannot use them."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(cast.alice)
    for route, _name, _view in all_patterns():
        if route.startswith(API_PREFIX):
            url = "/" + re.sub(r"<int:\w+>", "1", route)
            assert client.post(url, {}, content_type="application/json").status_code == 401, url
            assert client.get(url).status_code in (401, 405), url


def test_every_post_form_in_a_template_carries_the_csrf_token():
    missing = []
    for path in TEMPLATES.rglob("*.html"):
        text = path.read_text()
        for match in re.finditer(r"<form\b[^>]*method=[\"']?post[\"']?[^>]*>(.*?)</form>", text, re.S | re.I):
            if "{% csrf_token %}" not in match.group(1):
                missing.append(f"{path.relative_to(TEMPLATES)} at offset {match.start()}")
    assert not missing, f"POST forms without {{% csrf_token %}}: {missing}"


def test_the_policy_is_strict():
    policy = dict(part.strip().split(" ", 1) for part in settings.CONTENT_SECURITY_POLICY.split(";") if part.strip())
    assert policy["default-src"] == "'self'" and policy["script-src"] == "'self'" and policy["style-src"] == "'self'"
    assert policy["object-src"] == "'none'" and policy["frame-ancestors"] == "'none'" and policy["base-uri"] == "'self'"
    assert "unsafe" not in settings.CONTENT_SECURITY_POLICY


@pytest.mark.django_db
def test_every_page_carries_the_policy(cast):
    alice = cast.client_for(cast.alice)
    registered = isolation_registry()
    urls = ["/login/", "/healthz", "/no-such-page/"] + [
        reverse(name, kwargs={"entity_slug": cast.entity_a.slug, **extra(cast)}) for name, extra in registered.items()]
    for url in urls:
        response = alice.get(url)
        assert response["Content-Security-Policy"] == settings.CONTENT_SECURITY_POLICY, url
        assert response["X-Frame-Options"] == "DENY" and response["X-Content-Type-Options"] == "nosniff", url


def test_templates_have_no_inline_script_or_style():
    """The policy would block them in the browser; catching them here names the file."""
    offenders = []
    for path in TEMPLATES.rglob("*.html"):
        text = path.read_text()
        if re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text, re.I):
            offenders.append(f"{path.name}: inline <script>")
        if re.search(r"\sstyle\s*=", text, re.I) or re.search(r"<style\b", text, re.I):
            offenders.append(f"{path.name}: inline style")
        if re.search(r"\son[a-z]+\s*=\s*[\"']", text, re.I):
            offenders.append(f"{path.name}: inline event handler")
    assert not offenders, offenders
