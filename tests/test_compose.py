"""docker-compose.yml and the Dockerfile run the same commands as the Makefile, and every command exists."""

import importlib
import re
import shlex
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]
APP_SERVICES = [name for name, spec in SERVICES.items() if spec.get("build") or spec.get("image", "").startswith("akbridge")]


def _make_command(target: str) -> list[str]:
    """The recipe of a Makefile target, with $(PY) read as `python` and make variables left as placeholders."""
    text = (ROOT / "Makefile").read_text()
    match = re.search(rf"^{target}:[^\n]*\n\t([^\n]+)", text, re.M)
    assert match, f"Makefile has no {target} target"
    return shlex.split(match.group(1).replace("$(PY)", "python"))


def test_the_stack_has_every_process():
    assert {"postgres", "redis", "web", "worker", "beat", "sandbox", "migrate"} <= set(SERVICES)
    assert set(APP_SERVICES) == {"web", "worker", "beat", "sandbox", "migrate"}


@pytest.mark.parametrize("service", ["web", "worker", "beat", "sandbox"])
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


@pytest.mark.parametrize("service", ["worker", "beat"])
def test_celery_commands_name_the_real_app_and_queues(service):
    from config.celery import Queues

    command = SERVICES[service]["command"]
    assert command[:4] == ["python", "-m", "celery", "-A"]
    app_module = importlib.import_module(command[4])
    assert app_module.celery_app.main == "config"
    if "-Q" in command:
        queues = command[command.index("-Q") + 1].split(",")
        assert set(queues) == set(Queues.ALL), "a queue nobody consumes would never drain"


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


def test_the_loopback_sandbox_is_reachable_from_every_sending_process():
    """The SSRF guard admits plain-http hosts on loopback only, so whoever calls ActionKit shares web's network."""
    for name in ("worker", "beat", "sandbox"):
        assert SERVICES[name]["network_mode"] == "service:web"
    assert SERVICES["web"]["environment"]["ACTIONKIT_INSECURE_HOSTS"] == "127.0.0.1:8001"
    assert "127.0.0.1" == SERVICES["sandbox"]["command"][SERVICES["sandbox"]["command"].index("--host") + 1]


def test_the_image_installs_the_constrained_dependencies_and_keeps_env_files_out():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "pip install -c constraints.txt ." in dockerfile and "FROM python:3.11" in dockerfile
    assert "USER app" in dockerfile
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert ".env" in ignored and ".venv" in ignored
