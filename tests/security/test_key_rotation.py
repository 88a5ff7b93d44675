"""`manage.py secrets_rotate`, end to end and exactly as docs/operations.md tells an operator to run it:
new key first, rotate, drop the old key, everything still decrypts."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.db import connection as db

from integrations import crypto
from integrations.models import Connection, Entity

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.django_db(transaction=True)


def _tokens() -> dict[int, str]:
    with db.cursor() as cursor:
        cursor.execute("SELECT id, secrets FROM integrations_connection ORDER BY id")
        return dict(cursor.fetchall())


def _manage(*args: str, keys: list[str]) -> subprocess.CompletedProcess:
    from tests.plugins.worker import test_database_url

    env = {**os.environ, "DATABASE_URL": test_database_url(), "SECRETS_FERNET_KEYS": ",".join(keys)}
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120)


def test_rotation_re_encrypts_everything_so_the_old_key_can_go(settings):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.SECRETS_FERNET_KEYS = [old]
    secrets = {}
    for i in range(25):
        entity = Entity.objects.create(name=f"E{i}", slug=f"e{i}")
        conn = Connection.objects.create(entity=entity, kind="actblue_actionkit", host="ak.example.org",
                                         secrets={"password": f"pw-{i}-Ω", "token": f"t{i}"})
        secrets[conn.pk] = {"password": f"pw-{i}-Ω", "token": f"t{i}"}
    empty = Connection.objects.create(entity=Entity.objects.create(name="X", slug="x"), kind="k", host="h")  # Disconnected.
    before = _tokens()

    result = _manage("secrets_rotate", keys=[new, old])  # Step 1: new key first, old key still present.
    assert result.returncode == 0, result.stderr
    assert "Re-encrypted 25 connection secrets" in result.stdout
    after = _tokens()
    assert all(after[pk] != before[pk] for pk in secrets) and after[empty.pk] == ""

    settings.SECRETS_FERNET_KEYS = [new]  # Step 2: the old key is removed everywhere.
    crypto._fernet.cache_clear()
    assert {c.pk: c.secrets for c in Connection.objects.exclude(pk=empty.pk)} == secrets
    with pytest.raises(Exception, match="cannot be decrypted"):  # And the old key alone opens nothing any more.
        settings.SECRETS_FERNET_KEYS = [old]
        Connection.objects.get(pk=next(iter(secrets)))
    assert _manage("secrets_rotate", keys=[new]).returncode == 0  # Re-running is harmless.


def test_rotation_refuses_when_a_secret_cannot_be_opened(settings):
    """A row written under a key nobody listed must stop the rotation loudly, not be skipped or corrupted."""
    lost, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.SECRETS_FERNET_KEYS = [lost]
    Connection.objects.create(entity=Entity.objects.create(name="E", slug="e"), kind="k", host="h",
                              secrets={"password": "p"})
    before = _tokens()
    result = _manage("secrets_rotate", keys=[new])
    assert result.returncode != 0
    assert _tokens() == before  # Nothing was half-rotated.
