"""Operator-facing signals: Prometheus metrics, worker/beat liveness beacons and Celery correlation ids."""
