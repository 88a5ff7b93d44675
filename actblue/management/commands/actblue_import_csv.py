from django.core.management.base import BaseCommand, CommandError

from actblue.services.csv_import import KINDS, CsvFileError, csv_import
from integrations.models import Entity


class Command(BaseCommand):
    help = "Import an ActBlue paid, refunded or cancelled-recurring CSV export for one entity. Bad rows are reported."

    def add_arguments(self, parser):
        parser.add_argument("path")
        parser.add_argument("--entity", required=True, help="The entity's slug.")
        parser.add_argument("--kind", choices=KINDS, required=True)

    def handle(self, *args, path, entity, kind, **options):
        target = Entity.objects.filter(slug=entity).first()
        if target is None:
            raise CommandError(f"No entity with slug {entity!r}.")
        try:
            with open(path, encoding="utf-8-sig", newline="") as stream:
                report = csv_import(entity=target, stream=stream, kind=kind)
        except (OSError, UnicodeDecodeError, CsvFileError) as exc:
            raise CommandError(str(exc)) from exc
        for line, message in report.errors:
            self.stderr.write(f"line {line}: {message}")
        self.stdout.write(f"{report.imported} imported, {report.duplicates} already recorded, "
                          f"{report.error_count} rejected.")
        if report.error_count:
            raise CommandError(f"{report.error_count} row(s) rejected; the other rows were kept.", returncode=2)
