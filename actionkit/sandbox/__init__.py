"""An ActionKit-compatible HTTP server for tests, demos and benchmarks (stdlib sqlite3 + WSGI, run by gunicorn).

Demo staff login: ``demo-staff`` / ``demo-staff-password``. Run ``python -m actionkit.sandbox serve``.
"""

DEMO_USERNAME = "demo-staff"
DEMO_PASSWORD = "demo-staff-password"
