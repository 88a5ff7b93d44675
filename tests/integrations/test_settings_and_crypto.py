import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.db import connection as db

from integrations import crypto
from integrations.models import Connection, Entity

ROOT = Path(__file__).resolve().parents[2]


def _settings_in_subprocess(env: dict) -> subprocess.CompletedProcess:
    code = "import django, os; os.environ.setdefault('DJANGO_SETTINGS_MODULE','config.settings'); django.setup(); " \
           "from django.conf import settings; print(settings.DATABASES['default']['ENGINE'], settings.CELERY_BROKER_URL.split(':')[0], settings.DEBUG)"
    base = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "ENVIRONMENT", "SECRET_KEY"}}
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env={**base, **env}, capture_output=True, text=True)


def test_it_defaults_to_sqlite_and_the_filesystem_broker():
    result = _settings_in_subprocess({"VAR_DIR": str(ROOT / "var" / "test-settings")})
    assert result.stdout.split() == ["django.db.backends.sqlite3", "filesystem", "True"], result.stderr


def test_it_reads_postgres_and_redis_from_the_environment():
    result = _settings_in_subprocess({"DATABASE_URL": "postgres://u@127.0.0.1:5432/x", "REDIS_URL": "redis://127.0.0.1:6379/9"})
    assert result.stdout.split() == ["django.db.backends.postgresql", "redis", "True"], result.stderr


@pytest.mark.parametrize("missing", ["SECRET_KEY", "SECRETS_FERNET_KEYS", "ALLOWED_HOSTS"])
def test_it_refuses_to_start_production_without_real_secrets(missing):
    env = {"ENVIRONMENT": "production", "SECRET_KEY": "x" * 60, "SECRETS_FERNET_KEYS": Fernet.generate_key().decode(),
           "ALLOWED_HOSTS": "example.org"}
    env.pop(missing)
    result = _settings_in_subprocess(env)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and missing in result.stderr


@pytest.mark.django_db
def test_it_encrypts_secrets_at_rest_and_rotates_keys(settings):
    old_key, new_key = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.SECRETS_FERNET_KEYS = [old_key]
    entity = Entity.objects.create(name="E", slug="e")
    conn = Connection.objects.create(entity=entity, kind="actblue_actionkit", host="ak.example.org",
                                     secrets={"password": "hunter2-secret"})
    with db.cursor() as cursor:
        cursor.execute("SELECT secrets FROM integrations_connection WHERE id = %s", [conn.pk])
        stored = cursor.fetchone()[0]
    assert "hunter2" not in stored

    settings.SECRETS_FERNET_KEYS = [new_key, old_key]
    call_command("secrets_rotate", stdout=open(os.devnull, "w"))  # noqa: SIM115
    settings.SECRETS_FERNET_KEYS = [new_key]  # The old key is gone; rotated rows still open.
    assert Connection.objects.get(pk=conn.pk).secrets == {"password": "hunter2-secret"}


@pytest.mark.django_db
def test_it_refuses_to_hide_an_undecryptable_secret(settings):
    entity = Entity.objects.create(name="E", slug="e")
    conn = Connection.objects.create(entity=entity, kind="k", host="h", secrets={"password": "p"})
    settings.SECRETS_FERNET_KEYS = [Fernet.generate_key().decode()]
    crypto._fernet.cache_clear()
    with pytest.raises(Exception, match="cannot be decrypted"):
        Connection.objects.get(pk=conn.pk)
