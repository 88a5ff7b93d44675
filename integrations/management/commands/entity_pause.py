from django.core.management.base import BaseCommand, CommandError

from integrations.models import Entity
from integrations.services.deliveries import deliveries_sweep_queue
from integrations.services.tenancy import entity_set_paused


class Command(BaseCommand):
    help = ("Pause a tenant: nothing is sent or polled for it and its deliveries wait in the ledger. "
            "--resume lets them go; the sweeper re-queues the waiting rows within a sweep interval.")

    def add_arguments(self, parser):
        parser.add_argument("slug", help="The entity's slug, as in /e/<slug>/.")
        parser.add_argument("--resume", action="store_true")

    def handle(self, *args, slug, resume, **options):
        entity = Entity.objects.filter(slug=slug).first()
        if entity is None:
            raise CommandError(f"No entity with slug {slug!r}.")
        paused = not resume
        if entity.paused == paused:
            self.stdout.write(f"{entity.name} is already {'paused' if paused else 'running'}.")
            return
        entity_set_paused(entity=entity, paused=paused, actor=None)
        if not paused:
            deliveries_sweep_queue()  # Start the waiting rows now rather than at the next periodic sweep.
        self.stdout.write(self.style.SUCCESS(f"{'Paused' if paused else 'Resumed'} {entity.name} ({entity.slug})."))

