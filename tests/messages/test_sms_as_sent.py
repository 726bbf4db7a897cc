"""What an SMS carries when it is sent: the body transliterated by the policy's
`sms_transliterate` (through the embedded pipeline and the console channel), while WhatsApp and
email carry the text as the template wrote it."""

from __future__ import annotations

import io
import shutil
from pathlib import Path
from typing import Any

import notifier
from notifier.messages.segments import count_segments
from notifier.store.timeline import message_records
from notifier.workers.runtime import Runtime, build_runtime
from tests.conftest import TEMPLATES, example, settings_for

# U+2013 en dash, U+201C/U+201D curly quotes, U+2026 ellipsis: all outside GSM-7.
CONFIRMATION = (
    "Pedido {{ order.number }} confirmado \u2013 \u201cobrigado\u201d, "
    "{{ customer.first_name }}! Total: {{ order.total | money(order.currency) }}\u2026"
)


def written(first_name: str) -> str:
    return (
        f"Pedido MX-5001 confirmado \u2013 \u201cobrigado\u201d, {first_name}! "
        "Total: R$ 1.299,00\u2026"
    )


def runtime_with(tmp_path: Path, sqlite_url: str, policy: str = "") -> tuple[Runtime, io.StringIO]:
    """The embedded mode with the project's templates, order_confirmed's texts in pt-BR
    replaced by CONFIRMATION, and the given policy file."""
    templates = tmp_path / "templates"
    shutil.copytree(TEMPLATES, templates)
    for name in ("sms.txt", "whatsapp.txt", "email.txt"):
        (templates / "pt-BR" / "order_confirmed" / name).write_text(CONFIRMATION)
    policy_file = tmp_path / "notifier.toml"
    policy_file.write_text(policy)
    settings = settings_for(sqlite_url).model_copy(
        update={"templates_dir": templates, "policy_file": policy_file}
    )
    console = io.StringIO()
    return build_runtime(settings, console=console), console


def place_order(runtime: Runtime, number: int, name: str, channel: str) -> dict[str, Any]:
    """A pt-BR customer who takes `channel` only places an order; its confirmation."""
    event = example("order_placed")
    event["event_id"] = f"evt-{number}"
    event["customer"] |= {"id": f"cus-{number}", "name": name, "locale": "pt-BR",
                          "timezone": "America/Sao_Paulo", "channels": [channel]}  # fmt: skip
    event["order"] |= {"id": f"ord-{number}", "currency": "BRL", "cart_id": f"cart-{number}"}
    notifier.publish(event, runtime=runtime)
    records = message_records(runtime.db_url, order_id=f"ord-{number}")
    [confirmation] = [r for r in records if r["kind"] == "order_confirmed"]
    assert confirmation["status"] == "sent", confirmation
    return confirmation


def test_an_sms_is_sent_with_gsm7_lookalikes_and_whatsapp_and_email_as_written(
    tmp_path: Path, sqlite_url: str
) -> None:
    runtime, console = runtime_with(tmp_path, sqlite_url)  # the default policy
    sms = place_order(runtime, 1, "Iñaki Goñi", "sms")
    whatsapp = place_order(runtime, 2, "Iñaki Goñi", "whatsapp")
    email = place_order(runtime, 3, "Iñaki Goñi", "email")
    sent = 'Pedido MX-5001 confirmado - "obrigado", Iñaki! Total: R$ 1.299,00...'
    assert (sms["rendered_for"], sms["body"]) == ("sms", sent)
    assert count_segments(sms["body"]).encoding == "GSM-7"
    assert f"+52******5678] order_confirmed\n{sent}\n" in console.getvalue()
    assert (whatsapp["rendered_for"], whatsapp["body"]) == ("whatsapp", written("Iñaki"))
    assert (email["rendered_for"], email["body"]) == ("email", written("Iñaki"))


def test_an_sms_loses_its_accents_only_when_the_shop_opts_in(
    tmp_path: Path, sqlite_url: str
) -> None:
    by_default, _ = runtime_with(tmp_path / "default", sqlite_url)
    kept = place_order(by_default, 1, "Conceição Araújo", "sms")
    assert kept["body"] == written("Conceição")  # UCS-2 either way: sent as written

    opted_in, _ = runtime_with(tmp_path / "accents", sqlite_url, 'sms_transliterate = "accents"\n')
    sms = place_order(opted_in, 2, "Conceição Araújo", "sms")
    whatsapp = place_order(opted_in, 3, "Conceição Araújo", "whatsapp")
    assert sms["body"] == 'Pedido MX-5001 confirmado - "obrigado", Conceicao! Total: R$ 1.299,00...'
    assert whatsapp["body"] == written("Conceição")
