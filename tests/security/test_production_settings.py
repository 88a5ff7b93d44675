"""Production settings: `check --deploy` is clean, cookies are secure, and the app refuses to start without secrets."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parents[2]
DEV_FERNET_KEY = "ZGV2LWluc2VjdXJlLWZlcm5ldC1rZXktMDEyMzQ1NiE="


def _production_env(tmp_path, **overrides) -> dict:
    base = {k: v for k, v in os.environ.items()
            if k not in {"DATABASE_URL", "REDIS_URL", "ENVIRONMENT", "SECRET_KEY", "SECRETS_FERNET_KEYS", "DEBUG",
                         "ALLOWED_HOSTS", "METRICS_TOKEN"}}
    env = {**base, "ENVIRONMENT": "production", "SECRET_KEY": secrets.token_urlsafe(50),
           "SECRETS_FERNET_KEYS": Fernet.generate_key().decode(), "ALLOWED_HOSTS": "example.org",
           "DATABASE_URL": f"sqlite:///{tmp_path / 'prod.sqlite3'}", "VAR_DIR": str(tmp_path / "var"),
           "METRICS_TOKEN": "metrics-token-for-prod-check"}
    env.update(overrides)
    return {k: v for k, v in env.items() if v is not None}


def _run(args: list[str], env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


def test_deploy_security_checks_pass_with_production_settings(tmp_path):
    result = _run(["manage.py", "check", "--deploy", "--tag", "security", "--fail-level", "WARNING"], _production_env(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr


def test_check_deploy_passes_with_production_settings(tmp_path):
    result = _run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], _production_env(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_cookies_and_transport_are_secure(tmp_path):
    code = ("import django, os; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'config.settings'); django.setup(); "
            "from django.conf import settings as s; print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, "
            "s.SESSION_COOKIE_HTTPONLY, s.CSRF_COOKIE_HTTPONLY, s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS >= 31536000, "
            "s.DEBUG, s.X_FRAME_OPTIONS, s.SESSION_COOKIE_SAMESITE)")
    result = _run(["-c", code], _production_env(tmp_path))
    assert result.stdout.split() == ["True", "True", "True", "True", "True", "True", "False", "DENY", "Lax"], result.stderr


@pytest.mark.parametrize("override, message", [
    ({"SECRET_KEY": None}, "SECRET_KEY"),
    ({"SECRET_KEY": "too-short"}, "SECRET_KEY"),
    ({"SECRETS_FERNET_KEYS": None}, "SECRETS_FERNET_KEYS"),
    ({"SECRETS_FERNET_KEYS": DEV_FERNET_KEY}, "SECRETS_FERNET_KEYS"),
    ({"ALLOWED_HOSTS": None}, "ALLOWED_HOSTS"),
    ({"DEBUG": "true"}, "DEBUG"),
])
def test_production_refuses_to_start_without_real_secrets(tmp_path, override, message):
    result = _run(["manage.py", "check"], _production_env(tmp_path, **override))
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and message in result.stderr


def test_the_development_placeholder_key_cannot_be_used_in_production(tmp_path):
    dev_key = "dev-insecure-secret-key-not-for-production-0123456789abcdef"
    result = _run(["manage.py", "check"], _production_env(tmp_path, SECRET_KEY=dev_key))
    assert result.returncode != 0 and "SECRET_KEY" in result.stderr
