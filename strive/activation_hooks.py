"""What other apps start when Sync Accounts is turned on. They register from AppConfig.ready() (see strive/README.md).

A hook takes ``connection_id=`` and runs after the activation committed, right after the initial user poll was
queued, so it may queue its own tasks (strive.activity queues its first pull of pages and usergroups).
"""

from collections.abc import Callable

ActivationHook = Callable[[int], None]

ACTIVATION_HOOKS: list[ActivationHook] = []


def activation_hook_register(hook: ActivationHook) -> None:
    if hook not in ACTIVATION_HOOKS:
        ACTIVATION_HOOKS.append(hook)


def activation_hooks_run(connection_id: int) -> None:
    for hook in ACTIVATION_HOOKS:
        hook(connection_id=connection_id)
