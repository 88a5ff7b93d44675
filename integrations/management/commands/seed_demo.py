from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

from integrations import registry
from integrations.models import Entity, Membership

DEMO_USERNAME = "demo-admin"
DEMO_PASSWORD = "demo-admin-password"
DEMO_ENTITY_SLUG = "demo-pac"


class Command(BaseCommand):
    help = "Create (or refresh) the demo entity, its admin login and each integration's demo data. Safe to re-run."

    def add_arguments(self, parser):
        parser.add_argument("--sandbox-host", default=f"127.0.0.1:{settings.SANDBOX_PORT}")
        parser.add_argument("--app-url", default="", help="where this app answers, e.g. http://127.0.0.1:8000, so the "
                            "sandbox can push page actions to it (make run sets it)")

    @transaction.atomic
    def handle(self, *args, sandbox_host, app_url="", **options):
        entity, _ = Entity.objects.get_or_create(slug=DEMO_ENTITY_SLUG, defaults={"name": "Demo PAC"})
        user_model = get_user_model()
        user, created = user_model.objects.get_or_create(username=DEMO_USERNAME, defaults={"email": "admin@demo.example"})
        user.set_password(DEMO_PASSWORD)
        user.is_staff = user.is_superuser = True  # The demo admin may also open /admin/ to look around.
        user.save()
        # allauth lets only confirmed addresses log in; the demo's is confirmed here so its fixed login just works.
        EmailAddress.objects.update_or_create(user=user, email=user.email, defaults={"verified": True, "primary": True})
        Membership.objects.update_or_create(user=user, entity=entity, defaults={"role": Membership.Role.ADMIN})
        for kind in registry.kinds():
            if kind.seed_demo:
                kind.seed_demo(entity=entity, sandbox_host=sandbox_host, app_url=app_url, stdout=self.stdout)
        self.stdout.write(self.style.SUCCESS(f"Demo ready: entity '{entity.name}', login {DEMO_USERNAME} / {DEMO_PASSWORD}"))
