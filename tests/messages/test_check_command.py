"""`notifier templates check` as ops run it: each SMS counted as written and as sent, with the
characters that make it UCS-2, what it would take in GSM-7, and the budget on what is sent."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from tests.conftest import TEMPLATES, app_env, notifier_command

SHIPPED = "Tu envío {{ order.number }} salió hoy y llega pronto. Síguelo en {{ order.status_url }}"
LONG = (
    "Olá! Seu pedido {{ order.number }} saiu para entrega e chegará hoje à tarde. Não se "
    "preocupe: você será avisada antes da chegada. Dúvidas sobre a entrega, a nota fiscal ou a "
    "devolução? Responda esta mensagem e nossa equipe atenderá você. Obrigado pela preferência!"
)


def check(
    tmp_path: Path, sqlite_url: str, templates: dict[str, str], policy: str = ""
) -> subprocess.CompletedProcess[str]:
    """Run the check on the project's templates with `templates` (path → source) replaced."""
    folder = tmp_path / "templates"
    shutil.copytree(TEMPLATES, folder)
    for path, source in templates.items():
        (folder / path).write_text(source, encoding="utf-8")
    policy_file = tmp_path / "notifier.toml"
    policy_file.write_text(policy)
    env = app_env(sqlite_url, "memory://") | {
        "NOTIFIER_TEMPLATES_DIR": str(folder),
        "NOTIFIER_POLICY_FILE": str(policy_file),
    }
    return subprocess.run(
        notifier_command("templates", "check"), env=env, capture_output=True, text=True,
        timeout=120, check=False,
    )  # fmt: skip


def line_of(result: subprocess.CompletedProcess[str], where: str) -> str:
    [line] = [line for line in result.stdout.splitlines() if f" {where}" in line]
    return line


def test_an_ucs2_sms_is_shown_with_its_culprits_and_its_gsm7_count(
    tmp_path: Path, sqlite_url: str
) -> None:
    result = check(tmp_path, sqlite_url, {"es/order_shipped/sms.txt": SHIPPED})
    assert result.returncode == 0, result.stdout
    line = line_of(result, "es/order_shipped/sms [full]")
    assert "written: 2 segment(s), UCS-2" in line
    assert "UCS-2 because of 'í' 'ó', 1 segment(s) in GSM-7" in line
    assert "; sent (lookalikes): 2 segment(s), UCS-2," in line  # the accents stay
    assert 'as sent (sms_transliterate = "lookalikes")' in result.stdout


def test_the_shop_that_opts_in_to_accents_sees_its_sms_sent_in_gsm7(
    tmp_path: Path, sqlite_url: str
) -> None:
    policy = 'sms_transliterate = "accents"\n'
    result = check(tmp_path, sqlite_url, {"es/order_shipped/sms.txt": SHIPPED}, policy)
    line = line_of(result, "es/order_shipped/sms [full]")
    assert "written: 2 segment(s), UCS-2" in line
    assert "; sent (accents): 1 segment(s), GSM-7," in line


def test_the_segment_budget_applies_to_the_sms_as_sent(tmp_path: Path, sqlite_url: str) -> None:
    templates = {"pt-BR/out_for_delivery/sms.txt": LONG}
    as_written = check(tmp_path / "lookalikes", sqlite_url, templates)
    assert as_written.returncode == 1
    failed = line_of(as_written, "pt-BR/out_for_delivery/sms [full]")
    assert failed.startswith("FAIL") and "2 segment(s) in GSM-7" in failed
    assert "; sent (lookalikes): 4 segment(s), UCS-2," in failed
    assert failed.endswith(": over the budget of 3")

    policy = 'sms_transliterate = "accents"\n'
    as_sent = check(tmp_path / "accents", sqlite_url, templates, policy)
    assert as_sent.returncode == 0, as_sent.stdout
    passed = line_of(as_sent, "pt-BR/out_for_delivery/sms [full]")
    assert "; sent (accents): 2 segment(s), GSM-7," in passed


def test_the_samples_include_customers_with_accented_names(tmp_path: Path, sqlite_url: str) -> None:
    greeting = "Hola {{ customer.name }}, tu pedido {{ order.number }} va en camino."
    result = check(tmp_path, sqlite_url, {"es/order_shipped/sms.txt": greeting})
    assert "GSM-7" in line_of(result, "es/order_shipped/sms [full]")  # Ana Pérez
    assert "UCS-2 because of 'Á'" in line_of(result, "es/order_shipped/sms [José Ángel]")
    assert "UCS-2 because of 'ç' 'ã'" in line_of(result, "es/order_shipped/sms [Conceição]")
    assert "written: 1 segment(s), GSM-7" in line_of(result, "es/order_shipped/sms [Iñaki]")
