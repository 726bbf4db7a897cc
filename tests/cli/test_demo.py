"""`notifier demo` tells a whole store day, per customer, with channels."""

from __future__ import annotations

import io
import re

from notifier.cli.demo import run_demo
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


def sent_in(section_text: str) -> list[str]:
    return re.findall(r"^--- (\w+) · [^·]+ · sent ·", section_text, re.M)


def test_demo_prints_every_customer_message_in_order_with_its_channel() -> None:
    output = demo_output()
    ana = section(output, "Ana Pérez")
    assert sent_in(ana) == [
        "order_confirmed", "order_shipped", "delay_notice", "choice_ack", "in_transit_update",
        "in_transit_update", "out_for_delivery", "order_delivered", "choice_ack",
        "handoff_followup", "order_confirmed", "review_request",
    ]  # fmt: skip
    # the notice offers waiting with a discount; its code comes when she chooses it
    notice = ana[ana.index("--- delay_notice") : ana.index("--- choice_ack")]
    assert "whatsapp (on the console)" in ana and "descuento" in notice
    assert "PERDON-" not in notice and "tu cupón *PERDON-" in ana
    joao = section(output, "João Silva")
    assert sent_in(joao) == ["order_confirmed", "order_canceled", "refund_issued",
                             "cart_reminder_1", "cart_reminder_2", "payment_pending",
                             "payment_reminder", "winback"]  # fmt: skip
    # the boleto expires 11-15 23:59 in São Paulo: reminded at 20:00 there the evening before,
    # not at midnight
    assert "payment_reminder · sms (on the console) · sent · 2026-11-14T23:00" in joao
    assert "sms (on the console)" in joao and "R$" in joao
    assert "cart_reminder_1 · sms (on the console) · sent · 2026-11-11T11:30" in joao  # morning
    emily = section(output, "Emily Clark")
    assert sent_in(emily) == ["order_confirmed", "out_of_stock", "order_shipped",
                              "order_delivered", "return_received", "winback",
                              "order_confirmed"]  # fmt: skip
    assert "review_request · - · canceled" in emily  # she asked for a return
    assert "Subject: " in emily and "Talavera mug, blue" in emily


def test_demo_ends_with_the_week_s_report() -> None:
    report = demo_output().split("\nReport ", 1)[1]
    assert "carts: 1 reminded, 1 recovered, revenue 189.90 BRL" in report
    assert "coupons: 1 issued, 1 redeemed" in report
    assert "CSAT: 1 scores, average 2.0" in report
    assert "win-back: 2 sent, 1 converted, revenue 42.00 USD" in report
    assert "links: 1 clicks on 1 messages" in report


def test_demo_sms_links_are_short_and_an_email_keeps_its_own() -> None:
    output = demo_output()
    joao, emily = section(output, "João Silva"), section(output, "Emily Clark")
    assert "https://lupita.example/r/" in joao and "loja.example.com.br" not in joao
    assert "https://shop.example.com/new" in emily and "/r/" not in emily
    assert "→ https://loja.example.com.br/carrinho/cart-joao-2" in output  # where his tap went


def test_demo_duplicate_and_stale_events_send_nothing() -> None:
    output = demo_output()
    assert "(duplicate: acknowledged, nothing sent)" in output
    emily = section(output, "Emily Clark")
    assert sent_in(emily).count("order_shipped") == 1
    assert "1Z999AA10123456784" in emily
