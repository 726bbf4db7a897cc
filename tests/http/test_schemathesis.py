"""schemathesis (coverage, fuzzing and stateful phases) against a running `notifier api`: no
answer is a server error, and every status it answers is in `/openapi.json`.

Every platform is connected (their APIs pointed at a closed port), so a 503 would be a fault, not
the documented "not connected"; events need no signature (loopback), so fuzzed events reach
validation and the pipeline instead of stopping at 401.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from tests.conftest import answers, app_env, notifier_command, stop, wait_until
from tests.fakes.smtp import free_port

OPS = "schemathesis-ops-token"
BUDGET_SECONDS = 60
CONNECTED = {
    "NOTIFIER_OPS_TOKEN": OPS,
    "TWILIO_ACCOUNT_SID": "AC" + "0" * 32,
    "TWILIO_AUTH_TOKEN": "schemathesis-twilio-token",
    "SHOPIFY_WEBHOOK_SECRET": "shopify-secret",
    "WOOCOMMERCE_WEBHOOK_SECRET": "woo-secret",
    "TIENDANUBE_APP_SECRET": "tiendanube-secret",
    "TIENDANUBE_ACCESS_TOKEN": "tiendanube-token",
    "VTEX_ACCOUNT": "shop",
    "VTEX_APP_KEY": "vtex-key",
    "VTEX_APP_TOKEN": "vtex-token",
    "VTEX_HOOK_KEY": "vtex-hook-key",
    "MERCADOLIBRE_APP_ID": "123456",
    "MERCADOLIBRE_ACCESS_TOKEN": "meli-token",
}


def schemathesis_command() -> list[str]:
    found = shutil.which("st", path=str(Path(sys.executable).parent))
    assert found is not None, "schemathesis is a dev dependency: `st` must be installed"
    return [found]


def test_schemathesis_finds_no_server_error_and_no_undocumented_status(
    sqlite_url: str, tmp_path: Path
) -> None:
    closed = f"http://127.0.0.1:{free_port()}"
    port = free_port()
    env = app_env(
        sqlite_url, "memory://", **CONNECTED, NOTIFIER_TWILIO_BASE_URL=closed,
        NOTIFIER_TIENDANUBE_BASE_URL=closed, NOTIFIER_VTEX_BASE_URL=closed,
        NOTIFIER_MERCADOLIBRE_BASE_URL=closed,
    )  # fmt: skip
    log = (tmp_path / "api.log").open("wb")
    server = subprocess.Popen(
        notifier_command("api", "--port", str(port)), env=env, stdout=log, stderr=log
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: answers(f"{base}/healthz"), what="the API to start")
        run = subprocess.run(
            [*schemathesis_command(), "run", f"{base}/openapi.json",
             "--header", f"Authorization: Bearer {OPS}",
             "--checks", "not_a_server_error,status_code_conformance",
             "--phases", "coverage,fuzzing,stateful",
             "--max-time", str(BUDGET_SECONDS), "--workers", "1"],
            capture_output=True, text=True, timeout=BUDGET_SECONDS * 4, cwd=tmp_path,
        )  # fmt: skip
    finally:
        stop(server)
        log.close()
    report = run.stdout[-6000:]
    assert run.returncode == 0, f"schemathesis found failures:\n{report}"
    assert "Stateful" in report and "Fuzzing" in report and "Coverage" in report
