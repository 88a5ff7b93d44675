"""Telling an entity's admins that an integration needs them, by email.

Sent after the transaction that found the problem commits, to the entity's admins and the staff who hold the
Integrations permission. The reason is the status text the details page shows; it never holds a secret.
"""

import logging
from functools import partial

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction

from integrations import registry
from integrations.models import Connection, Membership

logger = logging.getLogger(__name__)


def connection_admins_emails(connection: Connection) -> list[str]:
    memberships = Membership.objects.filter(entity_id=connection.entity_id).select_related("user")
    return sorted({m.user.email for m in memberships if m.user.email and m.user.is_active and m.may_manage_integrations})


def connection_paused_tell(*, connection: Connection, reason: str) -> None:
    """Email the people who can fix the connection, once the pause is committed."""
    transaction.on_commit(partial(_send, connection.pk, reason))


def _send(connection_id: int, reason: str) -> None:
    connection = Connection.objects.select_related("entity").filter(pk=connection_id).first()
    recipients = connection_admins_emails(connection) if connection else []
    if not recipients:
        return
    title = _kind_title(connection.kind)
    subject = f"{connection.entity.name}: {title} is paused"
    body = (f"{title} for {connection.entity.name} ({connection.host}) stopped sending.\n\n{reason}\n\n"
            "Nothing is lost: events wait until the connection works again. Open Integrations in AKbridge, then "
            f"{title}, to reconnect.\n")
    try:
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, recipients)
    except Exception:  # The status on the details page says the same; a mail outage must not hide it.
        logger.exception("connection.paused.mail_failed", extra={"connection_id": connection_id})


def _kind_title(slug: str) -> str:
    try:
        return registry.get_kind(slug).title
    except LookupError:
        return slug
