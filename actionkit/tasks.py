"""Thin tasks for the ActionKit compatibility check; each calls the service of its name (polls queue)."""

from celery import shared_task


@shared_task(name="actionkit.compat_check_all")
def compat_check_all() -> int:
    import actionkit.services

    return actionkit.services.compat_check_all()


@shared_task(name="actionkit.compat_check")
def compat_check(connection_id: int) -> dict | None:
    import actionkit.services

    return actionkit.services.compat_check(connection_id=connection_id)
