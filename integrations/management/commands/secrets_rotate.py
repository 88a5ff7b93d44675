from django.core.management.base import BaseCommand
from django.db import connection, transaction

from integrations.crypto import rotate
from integrations.models import Connection


class Command(BaseCommand):
    help = ("Re-encrypt every stored secret with the first key in SECRETS_FERNET_KEYS. "
            "Put the new key first, run this, then remove the old key.")

    def handle(self, *args, **options):
        table = Connection._meta.db_table
        # Tokens are rotated as tokens (MultiFernet.rotate), so the secret is never decoded into a Python object here.
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT id, secrets FROM {table} WHERE secrets <> ''")
            rows = cursor.fetchall()
        with transaction.atomic(), connection.cursor() as cursor:
            for pk, token in rows:
                cursor.execute(f"UPDATE {table} SET secrets = %s WHERE id = %s", [rotate(token), pk])
        self.stdout.write(self.style.SUCCESS(f"Re-encrypted {len(rows)} connection secrets with the newest key."))
