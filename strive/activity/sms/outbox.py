"""The default backend: the OutboxMessage row is the whole delivery, shown on the Outbox tab."""

from strive.activity.sms.base import SendResult, SmsBackend


class OutboxBackend(SmsBackend):
    def send(self, *, message) -> SendResult:
        return SendResult(ok=True, provider_ref=f"outbox-{message.pk}", delivered=False)
