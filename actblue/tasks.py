"""The ActBlue app's Celery tasks: none of its own, and that is the point.

Every contribution, refund and cancellation is an outbox row, sent by the hub's `integrations.delivery_send`
through this kind's `send` (actblue/sender.py). Backfills run as `integrations.backfill_plan` and
`integrations.backfill_pump` through its planner (actblue/services/backfill.py). A task of this app alone would
go here, thin: ids in, one service call (docs/architecture.md, Tasks and services).
"""
