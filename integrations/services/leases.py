"""Database leases: a named lock with an expiry, so a crashed holder frees it by itself."""

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from integrations.models import Lease


def lease_acquire(*, name: str, ttl_seconds: int, holder: str | None = None) -> str | None:
    """Take the lease if it is free or expired. Returns the holder token, or None when someone else holds it."""
    holder = holder or uuid.uuid4().hex
    now = timezone.now()
    expires = now + timedelta(seconds=ttl_seconds)
    taken = Lease.objects.filter(name=name, expires_at__lte=now).update(holder=holder, expires_at=expires)
    if taken:
        return holder
    try:
        with transaction.atomic():
            Lease.objects.create(name=name, holder=holder, expires_at=expires)
        return holder
    except IntegrityError:
        return None


def lease_renew(*, name: str, holder: str, ttl_seconds: int) -> bool:
    expires = timezone.now() + timedelta(seconds=ttl_seconds)
    return Lease.objects.filter(name=name, holder=holder).update(expires_at=expires) == 1


def lease_release(*, name: str, holder: str) -> None:
    Lease.objects.filter(name=name, holder=holder).delete()


@contextmanager
def lease(name: str, *, ttl_seconds: int) -> Iterator[str | None]:
    """`with lease("strive-poll:7", ttl_seconds=540) as held:` — held is None when another run owns it."""
    holder = lease_acquire(name=name, ttl_seconds=ttl_seconds)
    try:
        yield holder
    finally:
        if holder:
            lease_release(name=name, holder=holder)
