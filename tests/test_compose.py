"""docker-compose.yml and the Dockerfile run the same commands as the Makefile and `make run`, and every command
exists; each pool has its own container, and production admits no insecure ActionKit host."""

import importlib
import re
import shlex
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]
APP_SERVICES = [name for name, spec in SERVICES.items() if spec.get("build") or spec.get("image", "").startswith("akbridge")]
DEMO = yaml.safe_load((ROOT / "docker-compose.demo.yml").read_text())
POOL_SERVICES = {"worker-live": "live", "worker-bulk": "bulk", "worker-backfills": "backfills"}  # compose service: run.py pool


def _make_command(target: str) -> list[str]:
    """The recipe of a Makefile target, with $(PY) read as `python` and make variables left as placeholders."""
    text = (ROOT / "Makefile").read_text()
    match = re.search(rf"^{target}:[^\n]*\n\t([^\n]+)", text, re.M)
    assert match, f"Makefile has no {target} target"
    return shlex.split(match.group(1).replace("$(PY)", "python"))


def test_the_stack_has_every_process():
    assert {"postgres", "redis", "web", *POOL_SERVICES, "beat", "sandbox", "migrate"} <= set(SERVICES)
    assert set(APP_SERVICES) == {"web", *POOL_SERVICES, "beat", "sandbox", "migrate"}


@pytest.mark.parametrize("service", ["web", *POOL_SERVICES, "beat", "sandbox"])
def test_each_service_runs_what_make_runs(service):
    compose = SERVICES[service]["command"]
    make = _make_command(service)
    # Same program and options; only the values make fills from variables ($(PORT), var/ paths) may differ.
    assert compose[:3] == make[:3], (compose, make)
    assert [a for a in compose if a.startswith("-")] == [a for a in make if a.startswith("-")]
    for compose_arg, make_arg in zip(compose, make, strict=True):
        if "$(" not in make_arg and make_arg not in ("var/sandbox.sqlite3", "var/celerybeat-schedule", "127.0.0.1"):
            assert compose_arg == make_arg, (service, compose_arg, make_arg)


def test_the_web_entry_point_imports():
    command = SERVICES["web"]["command"]
    module, _, attribute = command[command.index("gunicorn") + 1].partition(":")
    assert callable(getattr(importlib.import_module(module), attribute))


@pytest.mark.parametrize("service", [*POOL_SERVICES, "beat"])
def test_celery_commands_name_the_real_app(service):
    command = SERVICES[service]["command"]
    assert command[:4] == ["python", "-m", "celery", "-A"]
    app_module = importlib.import_module(command[4])
    assert app_module.celery_app.main == "config"


def _run_py():
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        return importlib.import_module("run")
    finally:
        sys.path.remove(str(ROOT / "scripts"))


def _queues(command: list[str]) -> list[str]:
    return command[command.index("-Q") + 1].split(",")


def test_every_queue_has_exactly_one_pool_and_make_run_has_the_same_pools():
    from config.celery import Queues

    pools = {service: _queues(SERVICES[service]["command"]) for service in POOL_SERVICES}
    consumed = [queue for queues in pools.values() for queue in queues]
    assert sorted(consumed) == sorted(Queues.ALL), "a queue nobody consumes would never drain"
    assert "live" in pools["worker-live"] and not {"polls", "backfills", "imports"} & set(pools["worker-live"])
    assert pools["worker-backfills"] == ["backfills"]  # A sync or an import never holds the slot a backfill sends from.
    run = _run_py()
    for service, pool in POOL_SERVICES.items():
        assert tuple(pools[service]) == run.POOLS[pool]
        assert _queues(run.SERVICES[service][0]) == pools[service]
        node = SERVICES[service]["command"][SERVICES[service]["command"].index("-n") + 1]
        assert node == f"{pool}@%h"  # Unique per replica (%h is the container's hostname): /healthz tells them apart.


def test_each_pool_and_beat_run_in_their_own_container():
    for name, spec in SERVICES.items():
        assert "network_mode" not in spec, name
    for name in POOL_SERVICES:
        assert "container_name" not in SERVICES[name]  # `docker compose up --scale <pool>=N` needs none.


def test_the_sandbox_module_serves():
    command = SERVICES["sandbox"]["command"]
    module = importlib.import_module(command[2] + ".__main__")
    assert command[3] == "serve" and "serve" in (ROOT / "actionkit" / "sandbox" / "__main__.py").read_text()
    assert module is not None


def test_management_commands_exist():
    from django.core.management import get_commands

    commands = get_commands()
    for service, spec in SERVICES.items():
        command = spec.get("command") or []
        if command[:2] == ["python", "manage.py"]:
            assert command[2] in commands, f"{service} runs unknown command {command[2]}"
    for name in ("migrate", "createsuperuser", "secrets_rotate", "deliveries_replay", "entity_pause"):
        assert name in commands  # The ones docs/operations.md tells operators to run.


def test_production_environment_and_secrets_come_from_env_file():
    text = (ROOT / "docker-compose.yml").read_text()
    for name in APP_SERVICES:
        env = SERVICES[name]["environment"]
        assert env["ENVIRONMENT"] == "production" and SERVICES[name]["env_file"] == ".env"
        assert env["DATABASE_URL"].startswith("postgres://") and env["REDIS_URL"].startswith("redis://redis:")
    assert "SECRET_KEY" not in text and "SECRETS_FERNET_KEYS" not in text  # Never written into the compose file.
    example = (ROOT / ".env.example").read_text()
    for required in ("SECRET_KEY=", "SECRETS_FERNET_KEYS=", "ALLOWED_HOSTS=", "POSTGRES_PASSWORD=", "METRICS_TOKEN="):
        assert required in example


def test_production_admits_no_insecure_actionkit_host_and_the_sandbox_is_a_demo():
    for name in APP_SERVICES:
        env = SERVICES[name]["environment"]
        assert "ACTIONKIT_INSECURE_HOSTS" not in env and "ACTIONKIT_INSECURE_ON_PRIVATE_NETWORK" not in env, name
    assert SERVICES["sandbox"]["profiles"] == ["demo"]
    assert all("profiles" not in SERVICES[name] for name in SERVICES if name != "sandbox")
    assert all(port.startswith("127.0.0.1:") for port in SERVICES["sandbox"]["ports"])  # Well-known passwords.


def test_the_demo_override_lets_every_process_that_calls_actionkit_reach_the_sandbox():
    command = SERVICES["sandbox"]["command"]
    sandbox = f"sandbox:{command[command.index('--port') + 1]}"
    for name in ("web", *POOL_SERVICES, "migrate"):
        env = DEMO["services"][name]["environment"]
        assert env["ACTIONKIT_INSECURE_HOSTS"] == sandbox and env["ACTIONKIT_INSECURE_ON_PRIVATE_NETWORK"] == "true"
    assert set(DEMO["services"]) <= set(SERVICES)


def test_the_image_installs_the_constrained_dependencies_and_keeps_env_files_out():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "pip install -c constraints.txt ." in dockerfile and "FROM python:3.11" in dockerfile
    assert "USER app" in dockerfile
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert ".env" in ignored and ".venv" in ignored
