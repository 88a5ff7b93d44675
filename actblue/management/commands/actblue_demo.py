from django.core.management.base import BaseCommand, CommandError

from actblue.demo import seed_demo
from integrations.models import Entity


class Command(BaseCommand):
    help = "Generate demo ActBlue data and an ActionKit connection to the sandbox for one entity. Safe to re-run."

    def add_arguments(self, parser):
        parser.add_argument("--entity", required=True, help="The entity's slug.")
        parser.add_argument("--sandbox-host", default="127.0.0.1:8001")

    def handle(self, *args, entity, sandbox_host, **options):
        target = Entity.objects.filter(slug=entity).first()
        if target is None:
            raise CommandError(f"No entity with slug {entity!r}.")
        seed_demo(entity=target, sandbox_host=sandbox_host, stdout=self.stdout)
