"""docker-compose.yml ships closed (the API's secrets required, never defaulted) and lets ops edits
reach every service (one templates volume)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

COMPOSE_FILE = Path(__file__).resolve().parents[2] / "docker-compose.yml"
REQUIRED = re.compile(r"^\$\{(?P<name>\w+):\?(?P<why>.+)\}$")


def app_environment() -> dict[str, Any]:
    compose = yaml.safe_load(COMPOSE_FILE.read_text())
    environment: dict[str, Any] = compose["services"]["api"]["environment"]
    return environment


def test_compose_requires_both_secrets_of_the_api() -> None:
    environment = app_environment()
    for name in ("NOTIFIER_INGEST_SECRET", "NOTIFIER_OPS_TOKEN"):
        required = REQUIRED.match(str(environment[name]))
        assert required is not None, f"{name} must be ${{{name}:?…}} in docker-compose.yml"
        assert required["name"] == name and name in required["why"]


def test_compose_gives_no_secret_a_default() -> None:
    text = COMPOSE_FILE.read_text()
    for name in ("NOTIFIER_INGEST_SECRET", "NOTIFIER_OPS_TOKEN"):
        assert f"${{{name}:-" not in text and f"${{{name}-" not in text


def test_api_worker_and_scheduler_share_one_writable_templates_volume() -> None:
    compose = yaml.safe_load(COMPOSE_FILE.read_text())
    for name in ("api", "worker", "scheduler"):
        mounts = [str(volume) for volume in compose["services"][name]["volumes"]]
        assert "templates:/app/templates" in mounts, f"{name} does not mount the templates"
    assert "templates" in compose["volumes"]
    dockerfile = (COMPOSE_FILE.parent / "Dockerfile").read_text()
    # the volume is seeded from the image with its ownership: the app user must own them
    assert "COPY --chown=notifier:notifier templates/ ./templates/" in dockerfile
