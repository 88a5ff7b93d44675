from django.core.management.base import BaseCommand, CommandError

from integrations.models import Connection, Delivery
from integrations.services.deliveries import delivery_retry

REPLAYABLE = (Delivery.Status.DEAD, Delivery.Status.FAILED, Delivery.Status.CANCELLED)


class Command(BaseCommand):
    help = ("Send a connection's dead (or failed, or cancelled) deliveries again, through the same service as the "
            "admin's 'Retry now'. Each row keeps its key, so ActionKit sees the same line item, never a new one.")

    def add_arguments(self, parser):
        parser.add_argument("--connection", type=int, required=True, help="Connection id (see the admin or /ops/connections/).")
        parser.add_argument("--status", choices=[s.value for s in REPLAYABLE], default=Delivery.Status.DEAD)
        parser.add_argument("--event-type", default="", help="Only rows of this event type.")
        parser.add_argument("--limit", type=int, default=0, help="At most this many rows (0: all).")
        parser.add_argument("--dry-run", action="store_true", help="Count the rows, change nothing.")

    def handle(self, *args, connection, status, event_type, limit, dry_run, **options):
        conn = Connection.objects.select_related("entity").filter(pk=connection).first()
        if conn is None:
            raise CommandError(f"No connection with id {connection}.")
        rows = Delivery.objects.filter(connection=conn, status=status).order_by("id")
        if event_type:
            rows = rows.filter(event_type=event_type)
        ids = list(rows.values_list("id", flat=True)[:limit] if limit else rows.values_list("id", flat=True))
        if dry_run:
            self.stdout.write(f"Would replay {len(ids)} {status} deliveries of connection {conn.pk} ({conn.entity.name}).")
            return
        replayed = 0
        for start in range(0, len(ids), 500):  # Batches keep memory flat on a large replay.
            for delivery in Delivery.objects.filter(id__in=ids[start:start + 500]).select_related("connection__entity"):
                delivery_retry(delivery=delivery, actor=None)
                replayed += 1
        note = "" if not (conn.halted or conn.entity.paused or conn.status == Connection.Status.DISCONNECTED) else (
            " They wait: the connection is halted, disconnected or its entity is paused.")
        self.stdout.write(self.style.SUCCESS(f"Queued {replayed} deliveries of connection {conn.pk} to send again.{note}"))
