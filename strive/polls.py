"""Extra per-connection poll tasks that strive.poll_all fans out besides the user poll (see README)."""

EXTRA_POLL_TASKS: list[str] = []


def poll_register(task_name: str) -> None:
    if task_name not in EXTRA_POLL_TASKS:
        EXTRA_POLL_TASKS.append(task_name)
