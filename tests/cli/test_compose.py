"""docker-compose.yml, the Dockerfile and .env.example agree with the CLI and the contract."""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import unavailable

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"
ENV_EXAMPLE = ROOT / ".env.example"

REQUIRED_SERVICES = ("redis", "postgres", "migrate", "worker", "api", "scheduler")
APP_SERVICES = ("migrate", "worker", "api", "scheduler")
LONG_RUNNING_APP_SERVICES = ("worker", "api", "scheduler")

# CONTRACT.md §2, every variable of the settings table.
CONTRACT_SETTINGS = (
    "NOTIFIER_DATABASE_URL",
    "NOTIFIER_BROKER_URL",
    "NOTIFIER_TEMPLATES_DIR",
    "NOTIFIER_POLICY_FILE",
    "NOTIFIER_DEFAULT_LOCALE",
    "NOTIFIER_DEFAULT_TIMEZONE",
    "NOTIFIER_INGEST_SECRET",
    "TWILIO_ACCOUNT_SID",
    "TWILIO_AUTH_TOKEN",
    "TWILIO_SMS_FROM",
    "TWILIO_MESSAGING_SERVICE_SID",
    "TWILIO_WHATSAPP_FROM",
    "NOTIFIER_TWILIO_BASE_URL",
    "NOTIFIER_PUBLIC_URL",
    "NOTIFIER_SMTP_URL",
    "NOTIFIER_EMAIL_FROM",
    "NOTIFIER_SUPPORT_EMAIL",
    "NOTIFIER_SUPPORT_WEBHOOK_URL",
    "SHOPIFY_WEBHOOK_SECRET",
    "WOOCOMMERCE_WEBHOOK_SECRET",
    "TIENDANUBE_APP_SECRET",
    "TIENDANUBE_ACCESS_TOKEN",
    "VTEX_ACCOUNT",
    "VTEX_APP_KEY",
    "VTEX_APP_TOKEN",
    "VTEX_HOOK_KEY",
    "MERCADOLIBRE_ACCESS_TOKEN",
    "MERCADOLIBRE_APP_ID",
    "NOTIFIER_SHOPIFY_BASE_URL",
    "NOTIFIER_WOOCOMMERCE_BASE_URL",
    "NOTIFIER_VTEX_BASE_URL",
    "NOTIFIER_TIENDANUBE_BASE_URL",
    "NOTIFIER_MERCADOLIBRE_BASE_URL",
)

# `VAR=value` or a commented-out `# VAR=value`.
_ENV_LINE = re.compile(r"^(?P<commented>#\s*)?(?P<name>[A-Z][A-Z0-9_]*)=(?P<value>.*)$")
_SECRET_WORDS = ("SECRET", "TOKEN", "PASSWORD", "APP_KEY", "HOOK_KEY")


# --- helpers -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded = yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))
    assert isinstance(loaded, dict), "docker-compose.yml is not a mapping"
    return loaded


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    found = compose.get("services")
    assert isinstance(found, dict), "docker-compose.yml has no services"
    return found


@pytest.fixture(scope="module")
def cli_parser() -> argparse.ArgumentParser:
    from notifier.cli.main import build_parser

    return build_parser()


def _subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def _env_example_lines() -> list[str]:
    return ENV_EXAMPLE.read_text(encoding="utf-8").splitlines()


def _env_example_entries() -> list[tuple[str, str, bool]]:
    """(name, value, commented out) of every variable line of .env.example."""
    entries = []
    for line in _env_example_lines():
        match = _ENV_LINE.match(line.strip())
        if match:
            entries.append((match["name"], match["value"], match["commented"] is not None))
    return entries


def _dockerfile_exec_form(instruction: str) -> list[str]:
    """The JSON (exec form) argument of the Dockerfile's last `instruction`."""
    lines = [
        line.strip()
        for line in DOCKERFILE.read_text(encoding="utf-8").splitlines()
        if line.strip().upper().startswith(instruction + " ")
    ]
    assert lines, f"the Dockerfile has no {instruction}"
    value = json.loads(lines[-1][len(instruction) :].strip())
    assert isinstance(value, list), f"{instruction} is not in exec form"
    assert all(isinstance(word, str) for word in value)
    return value


def _parse_with_cli(parser: argparse.ArgumentParser, argv: list[str]) -> argparse.Namespace:
    try:
        return parser.parse_args(argv)
    except SystemExit:
        pytest.fail(f"`notifier {' '.join(argv)}` is rejected by the notifier CLI")


# --- services ------------------------------------------------------------------------------------


def test_compose_defines_every_required_service(services: dict[str, dict[str, Any]]) -> None:
    missing = [name for name in REQUIRED_SERVICES if name not in services]
    assert not missing, f"docker-compose.yml lacks {missing}"


def test_every_app_service_runs_the_same_notifier_image(
    services: dict[str, dict[str, Any]],
) -> None:
    images = {name: services[name].get("image") for name in APP_SERVICES}
    assert len(set(images.values())) == 1, f"app services use different images: {images}"
    assert images["api"] == "notifier:latest"


def test_the_image_is_built_once_from_the_dockerfile_at_the_root(
    services: dict[str, dict[str, Any]],
) -> None:
    builders = [name for name, service in services.items() if "build" in service]
    assert len(builders) == 1, f"the image should be built by exactly one service: {builders}"
    build = services[builders[0]]["build"]
    context = build if isinstance(build, str) else build.get("context", ".")
    assert context in (".", "./"), f"the build context is {context!r}, not the project root"
    assert services[builders[0]].get("image") == services["api"].get("image")


def test_the_migrate_service_is_one_shot_and_upgrades_the_database(
    services: dict[str, dict[str, Any]],
) -> None:
    migrate = services["migrate"]
    assert migrate.get("command") == ["db", "upgrade"]
    assert migrate.get("restart") == "no"
    assert migrate["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert "migrate" not in migrate["depends_on"], "migrate must not wait for itself"


@pytest.mark.parametrize("name", LONG_RUNNING_APP_SERVICES)
def test_every_long_running_app_service_waits_for_migrations_redis_and_postgres(
    services: dict[str, dict[str, Any]], name: str
) -> None:
    depends_on = services[name].get("depends_on")
    assert isinstance(depends_on, dict), f"{name} has no depends_on conditions"
    assert depends_on["migrate"]["condition"] == "service_completed_successfully"
    assert depends_on["redis"]["condition"] == "service_healthy"
    assert depends_on["postgres"]["condition"] == "service_healthy"


@pytest.mark.parametrize("name", APP_SERVICES)
def test_every_app_service_uses_the_compose_database_broker_and_mail_catcher(
    services: dict[str, dict[str, Any]], name: str
) -> None:
    service = services[name]
    assert ".env" in service.get("env_file", []), f"{name} does not read .env"
    environment = service.get("environment")
    assert isinstance(environment, dict), f"{name} has no environment mapping"
    assert environment["NOTIFIER_DATABASE_URL"] == (
        "postgresql+psycopg://notifier:notifier@postgres:5432/notifier"
    )
    assert environment["NOTIFIER_BROKER_URL"] == "redis://redis:6379/0"
    assert "smtp://mailpit:1025" in environment["NOTIFIER_SMTP_URL"]


def test_redis_persists_its_data_with_an_append_only_file_on_a_named_volume(
    compose: dict[str, Any], services: dict[str, dict[str, Any]]
) -> None:
    redis = services["redis"]
    command = redis.get("command")
    words = command.split() if isinstance(command, str) else list(command or [])
    assert "--appendonly" in words, "redis runs without AOF"
    assert words[words.index("--appendonly") + 1] == "yes"
    assert any(str(volume).endswith(":/data") for volume in redis.get("volumes", []))
    volume_names = {str(volume).split(":")[0] for volume in redis["volumes"]}
    assert volume_names & set(compose.get("volumes") or {}), "redis /data is not a named volume"


def test_postgres_keeps_its_data_on_a_named_volume_and_creates_the_notifier_database(
    compose: dict[str, Any], services: dict[str, dict[str, Any]]
) -> None:
    postgres = services["postgres"]
    assert postgres["image"].startswith("postgres:16")
    assert postgres["environment"]["POSTGRES_DB"] == "notifier"
    assert postgres["environment"]["POSTGRES_USER"] == "notifier"
    mounts = [str(volume) for volume in postgres.get("volumes", [])]
    data_mounts = [m for m in mounts if m.endswith(":/var/lib/postgresql/data")]
    assert data_mounts, "postgres data is not on a volume"
    assert data_mounts[0].split(":")[0] in (compose.get("volumes") or {})


def test_every_service_with_a_healthcheck_has_a_test_command(
    services: dict[str, dict[str, Any]],
) -> None:
    checked = {name: s["healthcheck"] for name, s in services.items() if "healthcheck" in s}
    assert {"redis", "postgres", "api"} <= set(checked), f"healthchecks only on {set(checked)}"
    for name, healthcheck in checked.items():
        if healthcheck.get("disable"):
            continue
        test = healthcheck.get("test")
        if isinstance(test, str):
            assert test.strip(), f"{name}'s healthcheck test is empty"
        else:
            assert isinstance(test, list), f"{name}'s healthcheck has no test"
            assert test[0] in ("CMD", "CMD-SHELL"), f"{name}'s healthcheck test is {test!r}"
            assert len(test) >= 2, f"{name}'s healthcheck test runs nothing"


def test_the_api_is_published_on_port_8000_and_its_healthcheck_asks_healthz(
    services: dict[str, dict[str, Any]],
) -> None:
    api = services["api"]
    assert any(str(port).endswith("8000:8000") for port in api.get("ports", []))
    test = " ".join(api["healthcheck"]["test"])
    assert "http://localhost:8000/healthz" in test
    assert "urllib" in test, "the slim image has no curl: the healthcheck must use python"


# --- the commands the services run ---------------------------------------------------------------


def test_the_notifier_cli_offers_subcommands(cli_parser: argparse.ArgumentParser) -> None:
    assert {"worker", "scheduler", "api", "db"} <= set(_subcommands(cli_parser))


@pytest.mark.parametrize("name", APP_SERVICES)
def test_every_app_service_command_starts_with_a_notifier_subcommand(
    services: dict[str, dict[str, Any]], cli_parser: argparse.ArgumentParser, name: str
) -> None:
    command = services[name].get("command")
    assert isinstance(command, list) and command, f"{name} has no command in exec form"
    assert command[0] in _subcommands(cli_parser), f"{command[0]!r} is no notifier subcommand"


@pytest.mark.parametrize("name", APP_SERVICES)
def test_every_app_service_command_is_accepted_by_the_notifier_cli(
    services: dict[str, dict[str, Any]], cli_parser: argparse.ArgumentParser, name: str
) -> None:
    _parse_with_cli(cli_parser, list(services[name]["command"]))


def test_the_image_runs_notifier_and_its_default_command_is_accepted_by_the_cli(
    cli_parser: argparse.ArgumentParser,
) -> None:
    assert _dockerfile_exec_form("ENTRYPOINT") == ["notifier"]
    default_command = _dockerfile_exec_form("CMD")
    assert default_command[0] in _subcommands(cli_parser)
    _parse_with_cli(cli_parser, default_command)


def test_the_image_runs_as_a_non_root_user() -> None:
    users = [
        line.split()[1]
        for line in DOCKERFILE.read_text(encoding="utf-8").splitlines()
        if line.strip().upper().startswith("USER ")
    ]
    assert users, "the Dockerfile never leaves root"
    assert users[-1].split(":")[0] not in ("root", "0")


# --- .env.example --------------------------------------------------------------------------------


def test_env_example_lists_every_contract_setting() -> None:
    listed = {name for name, _value, _commented in _env_example_entries()}
    missing = [name for name in CONTRACT_SETTINGS if name not in listed]
    assert not missing, f".env.example lacks {missing}"


def test_env_example_lists_each_variable_once() -> None:
    names = [name for name, _value, _commented in _env_example_entries()]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    assert not duplicates, f".env.example repeats {duplicates}"


def test_env_example_explains_every_variable_in_the_comment_above_it() -> None:
    lines = [line.strip() for line in _env_example_lines()]
    for index, line in enumerate(lines):
        if not _ENV_LINE.match(line):
            continue
        above = lines[index - 1] if index else ""
        assert above.startswith("#") and not _ENV_LINE.match(above), (
            f"{line!r} has no comment line above it"
        )


def test_env_example_sets_no_variable_to_an_empty_value() -> None:
    # An empty `VAR=` still counts as set (an empty secret, an empty SMTP URL): leave it commented.
    empty = [
        name for name, value, commented in _env_example_entries() if not commented and not value
    ]
    assert not empty, f".env.example sets {empty} to an empty value"


def test_env_example_holds_no_secret_value() -> None:
    secrets = [
        name
        for name, value, _commented in _env_example_entries()
        if value and any(word in name for word in _SECRET_WORDS)
    ]
    assert not secrets, f".env.example gives a value to {secrets}"


# --- docker compose itself -----------------------------------------------------------------------


def _compose_command() -> list[str]:
    """`docker compose` (v2) or `docker-compose`; in CI a missing one fails the test (dev.py
    installs Debian's docker-compose), elsewhere it skips."""
    docker = shutil.which("docker")
    if docker is not None:
        probe = subprocess.run([docker, "compose", "version"], capture_output=True, timeout=30)
        if probe.returncode == 0:
            return [docker, "compose"]
    legacy = shutil.which("docker-compose")
    if legacy is not None:
        return [legacy]
    unavailable("Compose", FileNotFoundError("neither `docker compose` nor `docker-compose`"))
    raise AssertionError("unreachable")


def compose_config(tmp_path: Path, env_lines: str) -> subprocess.CompletedProcess[str]:
    shutil.copy(COMPOSE_FILE, tmp_path / "docker-compose.yml")
    (tmp_path / ".env").write_text(ENV_EXAMPLE.read_text() + env_lines)
    return subprocess.run(
        [*_compose_command(), "config", "-q"],
        cwd=tmp_path, capture_output=True, text=True, timeout=60,
    )  # fmt: skip


def test_compose_accepts_the_compose_file_with_both_secrets(tmp_path: Path) -> None:
    result = compose_config(tmp_path, "NOTIFIER_INGEST_SECRET=s3cret\nNOTIFIER_OPS_TOKEN=t0ken\n")
    assert result.returncode == 0, f"compose config failed:\n{result.stderr}"


@pytest.mark.parametrize("missing", ["NOTIFIER_INGEST_SECRET", "NOTIFIER_OPS_TOKEN"])
def test_compose_refuses_to_start_without_a_secret(tmp_path: Path, missing: str) -> None:
    given = {"NOTIFIER_INGEST_SECRET": "s3cret", "NOTIFIER_OPS_TOKEN": "t0ken"}
    del given[missing]
    result = compose_config(tmp_path, "".join(f"{k}={v}\n" for k, v in given.items()))
    assert result.returncode != 0 and f"set {missing} in .env" in result.stderr
