"""Rules that refuse deleting a group. Other apps register theirs from AppConfig.ready() (see strive/README.md).

A rule takes a ``strive.models.Group`` and returns why it cannot be deleted, or "" when it has no objection.
"""

from collections.abc import Callable

ProtectionRule = Callable[..., str]

PROTECTION_RULES: list[ProtectionRule] = []


def protection_register(rule: ProtectionRule) -> None:
    if rule not in PROTECTION_RULES:
        PROTECTION_RULES.append(rule)


def protection_reason(group) -> str:
    """The first registered rule's objection to deleting ``group``, or ""."""
    for rule in PROTECTION_RULES:
        reason = rule(group)
        if reason:
            return reason
    return ""
