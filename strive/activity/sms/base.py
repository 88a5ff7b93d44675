from dataclasses import dataclass


@dataclass(frozen=True)
class SendResult:
    ok: bool
    provider_ref: str = ""  # The provider's message id, for support tickets.
    error: str = ""  # Why it failed, without the phone number or body.
    delivered: bool = False  # False means "kept in our outbox only" (the default backend).


class SmsBackend:
    """Subclass and implement `send`; set STRIVE_SMS_BACKEND to the class's dotted path."""

    def send(self, *, message) -> SendResult:
        raise NotImplementedError
