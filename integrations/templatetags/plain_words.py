"""`{% load plain_words %}`: filters that word stored, technical values for people (see integrations/presenters.py)."""

from django import template

from integrations import audit_words, presenters

register = template.Library()

EVENT_LABELS = {
    "member.create": "New member",
    "member.update": "Member change",
    "contribution": "Contribution",
    "refund": "Refund",
    "cancellation": "Cancellation",
}


@register.filter
def response_sentence(delivery) -> str:
    return presenters.response_sentence(delivery)


@register.filter
def plain_reason(text) -> str:
    return presenters.plain_reason(text)


@register.filter
def event_label(event_type: str) -> str:
    return EVENT_LABELS.get(event_type) or str(event_type).replace("_", " ").replace(".", " ").capitalize()


@register.filter
def action_label(action: str) -> str:
    return audit_words.action_label(action)


@register.filter
def target_label(target) -> str:
    return audit_words.target_label(target)


@register.filter
def change_lines(changes) -> list[tuple[str, str]]:
    return audit_words.change_lines(changes if isinstance(changes, dict) else {})
