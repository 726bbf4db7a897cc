"""`notifier demo` tells a whole store day, per customer, with channels."""

from __future__ import annotations

import io
import re

from notifier.demo import run_demo
from tests.conftest import TEMPLATES


def demo_output() -> str:
    out = io.StringIO()
    run_demo(out, TEMPLATES)
    return out.getvalue()


def section(output: str, name: str) -> str:
    match = re.search(rf"=== {name}.*?(?=\n=== |\Z)", output, re.S)
    assert match, f"no section for {name}"
    return match.group(0)


def kinds_in(section_text: str) -> list[str]:
    return re.findall(r"^--- (\w+) ·", section_text, re.M)


def test_demo_prints_every_customer_message_in_order_with_its_channel() -> None:
    output = demo_output()
    ana = section(output, "Ana Pérez")
    assert kinds_in(ana) == ["order_confirmed", "order_shipped", "out_for_delivery",
                             "order_delivered"]  # fmt: skip
    assert "whatsapp (on the console)" in ana
    joao = section(output, "João Silva")
    assert kinds_in(joao) == ["order_confirmed", "order_canceled", "refund_issued"]
    assert "sms (on the console)" in joao and "R$" in joao
    emily = section(output, "Emily Clark")
    assert kinds_in(emily) == ["order_confirmed", "out_of_stock", "order_shipped",
                               "order_delivered", "return_received"]  # fmt: skip
    assert "Subject: " in emily and "Talavera mug, blue" in emily


def test_demo_duplicate_and_stale_events_send_nothing() -> None:
    output = demo_output()
    assert "(duplicate: acknowledged, nothing sent)" in output
    emily = section(output, "Emily Clark")
    assert kinds_in(emily).count("order_shipped") == 1
    assert "1Z999AA10123456784" in emily
