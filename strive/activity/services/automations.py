"""Automations: one message template per synced page, sent through the configured SMS backend."""

import logging

from django.db import transaction

from integrations.services.audit import audit_record
from strive.activity.mapping import merge_context, render_template
from strive.activity.models import Automation, AutomationRun, OutboxMessage, Page
from strive.activity.sms import backend_path, get_backend

logger = logging.getLogger(__name__)
MAX_TEMPLATE = 1600  # Characters: ten SMS segments is already a lot to send someone.


@transaction.atomic
def automation_save(*, page: Page, template: str, enabled: bool, actor) -> Automation:
    if not page.synced:
        raise ValueError("Sync the page first: only synced pages trigger automations.")
    automation, created = Automation.objects.update_or_create(
        page=page, defaults={"template": template[:MAX_TEMPLATE], "enabled": enabled})
    audit_record(entity=page.connection.entity, actor=actor, action="strive.automation.saved",
                 target=f"page {page.name}", changes={"enabled": enabled, "created": created})
    return automation


@transaction.atomic
def automation_delete(*, automation: Automation, actor) -> None:
    page = automation.page
    automation.delete()
    audit_record(entity=page.connection.entity, actor=actor, action="strive.automation.deleted",
                 target=f"page {page.name}")


def automation_runs_send(*, run_ids: list[int]) -> int:
    """Send the messages of these runs (the automations one batch of actions triggered). Returns how many went out."""
    return sum(1 for run_id in run_ids if automation_run_send(run_id=run_id))


def automation_run_send(*, run_id: int) -> OutboxMessage | None:
    """Render and hand one run's message to the backend, once: the message row is unique per run."""
    with transaction.atomic():
        run = (AutomationRun.objects.select_for_update(of=("self",)).select_related(
            "automation__page__connection", "action__member").filter(pk=run_id).first())
        if run is None or OutboxMessage.objects.filter(run=run).exists() or run.action.member is None:
            return None
        member, page = run.action.member, run.automation.page
        body = render_template(run.automation.template,
                               merge_context(member=member, page=page, action_fields=run.action.fields))
        message = OutboxMessage.objects.create(entity_id=page.connection.entity_id, member=member, run=run,
                                               to_phone=member.phone, body=body, backend=backend_path())
    return _hand_to_backend(message)


def _hand_to_backend(message: OutboxMessage) -> OutboxMessage:
    try:
        result = get_backend().send(message=message)
    except Exception as exc:  # A provider bug must not lose the record of what we tried to send.
        logger.exception("sms.send.crashed", extra={"message_id": message.pk})
        message.status, message.error = OutboxMessage.Status.FAILED, type(exc).__name__
    else:
        message.provider_ref, message.error = result.provider_ref[:200], result.error[:500]
        if not result.ok:
            message.status = OutboxMessage.Status.FAILED
        elif result.delivered:
            message.status = OutboxMessage.Status.SENT
    message.save(update_fields=["status", "provider_ref", "error"])
    return message
