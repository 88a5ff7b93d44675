import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django_application = get_wsgi_application()

from strive.activity.wsgi import with_page_hooks  # noqa: E402 - needs the app registry that setup just filled

# ActionKit page webhooks are answered before Django's middleware (see strive/activity/wsgi.py).
application = with_page_hooks(django_application)
