# Two commands on a fresh machine: `make run` and `make test`. Both are safe to re-run.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
SANDBOX_PORT ?= 8001
STAMP := $(VENV)/.installed
VAR_DIR ?= var

.PHONY: run test install migrate demo sandbox worker-live worker-bulk worker-backfills beat web lint bench clean

$(PY):
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "Python 3.11 is required (set PYTHON=/path/to/python3.11)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

# Reinstall only when the dependency files change.
$(STAMP): $(PY) pyproject.toml constraints.txt
	$(PY) -m pip install --quiet -c constraints.txt -e '.[dev]'
	@touch $(STAMP)

# Settings create no folder, so every target (all depend on this one) finds VAR_DIR made for SQLite and beat.
install: $(STAMP)
	@mkdir -p $(VAR_DIR)

migrate: install
	$(PY) manage.py migrate --noinput

demo: migrate
	$(PY) manage.py seed_demo --sandbox-host 127.0.0.1:$(SANDBOX_PORT) --app-url http://127.0.0.1:$(PORT)

# Web, the three worker pools, beat and the ActionKit sandbox on the embedded default (SQLite + filesystem broker). Ctrl-C, SIGTERM or
# a closed terminal stops all; a second run on the same var/ refuses. `exec` makes run.py make's own child, so make
# passes SIGTERM straight to it and run.py stops when make dies.
run: install
	PORT=$(PORT) SANDBOX_PORT=$(SANDBOX_PORT) exec $(PY) scripts/run.py

sandbox: install
	$(PY) -m actionkit.sandbox serve --host 127.0.0.1 --port $(SANDBOX_PORT) --db var/sandbox.sqlite3

web: install
	$(PY) -m gunicorn config.wsgi:application --bind 0.0.0.0:$(PORT) --workers 2 --threads 4

# Two pools, each in its own terminal (or container): live work always has a free slot. See docs/operations.md.
worker-live: install
	$(PY) -m celery -A config worker -Q live,housekeeping -n live@%h --concurrency 2 --loglevel INFO

worker-bulk: install
	$(PY) -m celery -A config worker -Q polls,imports -n bulk@%h --concurrency 2 --loglevel INFO

worker-backfills: install
	$(PY) -m celery -A config worker -Q backfills -n backfills@%h --concurrency 2 --loglevel INFO

beat: install
	$(PY) -m celery -A config beat --loglevel INFO --schedule $(VAR_DIR)/celerybeat-schedule

test: install
	$(PY) scripts/ensure_browser.py
	VAR_DIR=$(CURDIR)/var/test $(PY) -m pytest -q

lint: install
	$(VENV)/bin/ruff check .

bench: install
	$(PY) bench/run_all.py

clean:
	rm -rf $(VENV) var staticfiles
