"""Sample facts that every template must render: a complete order and a bare one, and the
complete one for customers whose names carry accents (an SMS that greets "Conceição" is UCS-2
however plain the template is)."""

from __future__ import annotations

from typing import Any

from notifier.contract.events import EventIn
from notifier.decide import payments
from notifier.decide.facts import snapshot
from notifier.decide.policy import SpeiAccount

FULL_CUSTOMER = {"id": "cus-100", "name": "Ana Pérez"}
# Real customers' names: Á, ç and ã are not GSM-7 (ñ and é are).
ACCENTED_NAMES = {
    "José Ángel": "José Ángel Núñez",
    "Conceição": "Conceição Araújo",
    "Iñaki": "Iñaki Goñi",
}
FULL_ORDER: dict[str, Any] = {
    "id": "ord-5001",
    "number": "MX-5001",
    "placed_at": "2026-11-10T15:00:00-06:00",
    "currency": "MXN",
    "total": "1299.00",
    "items": [
        {"sku": "SKU-1", "name": "Chamarra de mezclilla", "quantity": 1, "unit_price": "1299.00"},
        {"sku": "SKU-9", "name": "Calcetines de algodón", "quantity": 3, "unit_price": "89.50"},
    ],
    "promised_delivery_at": "2026-11-14T20:00:00-06:00",
    "status_url": "https://shop.example.com/orders/MX-5001",
    "cancel_reason": "customer_request",
    "refund_amount": "1299.00",
}
FULL_SHIPMENT = {
    "carrier": "Estafeta",
    "tracking_number": "EST123456789MX",
    "tracking_url": "https://track.example.com/EST123456789MX",
    "eta": "2026-11-14T18:00:00-06:00",
    "location": "Querétaro",
    "reason": "weather",
}
OUT_OF_STOCK_ITEMS = [
    {
        "sku": "SKU-1",
        "name": "Chamarra de mezclilla",
        "quantity": 1,
        "unit_price": "1299.00",
        "alternatives": [
            {
                "sku": "SKU-2",
                "name": "Chamarra de mezclilla oscura",
                "url": "https://shop.example.com/p/SKU-2",
            }
        ],
    }
]


FULL_DELAY = {
    "reason": "exception",
    "exception_reason": "weather",
    "new_eta": "2026-11-16T18:00:00-06:00",
    "promised": "2026-11-14T20:00:00-06:00",
    "days_late": 2,
}
FULL_OFFER = {
    "tier": 3,
    "coupon_code": "PERDON-7K2Q9XH4PD",
    "percent_off": 20,
    "free_shipping": True,
    "cancel_offered": True,
    "cancel_url": "https://shop.example.com/orders/MX-5001/cancel?coupon=PERDON-7K2Q9XH4PD",
    "refund_amount": "1299.00",
    "currency": "MXN",
    "expires_at": "2026-12-13T12:00:00-06:00",
    "min_purchase": "500.00",
}
FULL_CART = {
    "id": "cart-77",
    "items": FULL_ORDER["items"],
    "total": "1567.50",
    "currency": "MXN",
    "recovery_url": "https://shop.example.com/cart/cart-77",
}
BARE_DELAY = dict.fromkeys(FULL_DELAY) | {"reason": "stalled"}
BARE_OFFER = {"tier": 1, "coupon_code": "PERDON-2", "percent_off": None,
              "free_shipping": False, "cancel_offered": True, "cancel_url": None,
              "refund_amount": None, "currency": None,
              "expires_at": "2026-12-13T12:00:00-06:00", "min_purchase": None}  # fmt: skip
BARE_CART: dict[str, Any] = {
    "id": "cart-1",
    "items": [],
    "total": None,
    "currency": None,
    "recovery_url": None,
}
CART_KINDS = frozenset({"cart_reminder_1", "cart_reminder_2"})
PAYMENT_KINDS = frozenset({"payment_pending", "payment_reminder"})
PIX_CODE = (
    "00020126580014br.gov.bcb.pix0136123e4567-e12b-12d1-a456-426655440000"
    "5204000053039865802BR5913Loja Exemplo6009SAO PAULO62070503***63041D3D"
)
SPEI_CLABE = "646180157000000004"  # the order's own CLABE, as Conekta or STP give one
SPEI_ACCOUNT = SpeiAccount(bank="STP", beneficiary="Casa Lupita SA de CV")
VOUCHERS: dict[str, dict[str, Any]] = {
    "full": {"status": "pending", "method": "pix", "code": PIX_CODE,
             "voucher_url": "https://pay.example.com/v/MX-5001",
             "expires_at": "2026-11-10T16:00:00-06:00"},
    "oxxo": {"status": "pending", "method": "oxxo", "code": "93000123456789012345",
             "voucher_url": "https://pay.example.com/v/MX-5001",
             "expires_at": "2026-11-13T15:00:00-06:00"},
    "boleto": {"status": "pending", "method": "boleto",
               "code": "23793.38128 60000.000003 00000.000400 1 84340000089900",
               "voucher_url": None, "expires_at": "2026-11-13T23:59:00-03:00"},
    "spei": {"status": "pending", "method": "spei", "code": SPEI_CLABE,
             "voucher_url": None, "expires_at": "2026-11-12T23:59:00-06:00",
             "spei": payments.spei_transfer(SPEI_CLABE, SPEI_ACCOUNT)},
    "bare": dict.fromkeys(("status", "method", "voucher_url", "code", "expires_at")),
}  # fmt: skip
HANDOFFS = {
    "full": {"in_hours": True, "reply_by": "2026-11-10T11:00:00-06:00", "response_seconds": 3600},
    "bare": {"in_hours": False, "reply_by": "2026-11-11T10:00:00-06:00", "response_seconds": 5400},
}
WINBACK_INCENTIVE = {"percent_off": 15, "coupon_code": "TEEXTRANAMOS15",
                     "expires_at": "2026-12-10T10:00:00-06:00", "min_purchase": "800.00",
                     "currency": "MXN"}  # fmt: skip

CANCELED = {"reason": "customer_request", "after_delay": False, "unpaid": False,
            "refund_amount": None, "currency": "MXN",
            "order_again_url": "https://shop.example.com/orders/MX-5001"}  # fmt: skip
MISSING = {"refund_amount": "1299.00", "currency": "MXN", "rest_ships": True,
           "has_alternatives": True, "if_no_answer": "refund",
           "answer_by": "2026-11-12T16:00:00-06:00",
           "alternatives_url": "https://shop.example.com/orders/MX-5001"}  # fmt: skip
CHOICES_PAGE = "https://shop.example/choices/"
CLOSED_HANDOFF = {"id": 41, "reason": "customer_message", "opened_at": "2026-11-10T10:05:00-06:00",
                  "closed_at": "2026-11-10T10:40:00-06:00"}  # fmt: skip
# The messages that offer choices, as a delivery shows them: named variants of a kind's
# samples (the sample they start from, the choices in order, whether each carries our page's
# link as an email does), beside the same samples without choices (a message stored before
# them, or a channel that cannot carry them).
OFFERED: dict[str, dict[str, tuple[str, tuple[str, ...], bool]]] = {
    "delay_notice": {
        "choices": ("full", ("wait", "cancel", "person"), True),
        "choices_unlinked": ("full", ("wait", "cancel", "person"), False),
        "choices_no_cancel": ("no_cancel", ("wait", "person"), True),
        "choices_lost": ("lost", ("replacement", "refund", "person"), True),
        "bare_choices": ("bare", ("wait", "cancel", "person"), False),
    },
    "out_of_stock": {
        "choices": ("full", ("alternative", "refund", "person"), True),
        "choices_unlinked": ("only_item", ("alternative", "refund", "person"), False),
        "bare_choices": ("bare", ("refund", "person"), False),
    },
    "order_delivered": {
        "choices": ("full", tuple(f"csat_{score}" for score in range(1, 6)), True),
        "bare_choices": ("bare", tuple(f"csat_{score}" for score in range(1, 6)), False),
    },
    "handoff_followup": {
        "full": ("full", ("solved_yes", "solved_no"), True),
        "unlinked": ("full", ("solved_yes", "solved_no"), False),
    },
}
# The answers a `choice_ack` acknowledges, one sample each: the choice, the kind and sample of
# the message answered, whether the shop carries it out itself (`shop_acts`: Shopify's cancel)
# and the handoff a person follows it up with (a key of HANDOFFS: in hours, or after them).
ANSWERED: dict[str, tuple[str, str, str, bool, str | None]] = {
    "wait": ("wait", "delay_notice", "full", False, None),
    "cancel": ("cancel", "delay_notice", "full", True, None),
    "cancel_by_hand": ("cancel", "delay_notice", "full", False, "bare"),
    "person": ("person", "delay_notice", "full", False, "full"),
    "replacement": ("replacement", "delay_notice", "lost", False, None),
    "refund_lost": ("refund", "delay_notice", "lost", True, None),
    "refund": ("refund", "out_of_stock", "full", False, None),
    "alternative": ("alternative", "out_of_stock", "full", False, "full"),
    "csat_1": ("csat_1", "order_delivered", "full", False, "full"),
    "csat_2": ("csat_2", "order_delivered", "full", False, "bare"),
    "csat_3": ("csat_3", "order_delivered", "full", False, "full"),
    "csat_4": ("csat_4", "order_delivered", "full", False, None),
    "csat_5": ("csat_5", "order_delivered", "full", False, None),
    "solved_yes": ("solved_yes", "handoff_followup", "full", False, None),
    "solved_no": ("solved_no", "handoff_followup", "full", False, "bare"),
    "bare": ("wait", "delay_notice", "bare", False, None),
    "bare_person": ("person", "delay_notice", "bare", False, "bare"),
}


def offering(names: tuple[str, ...], linked: bool) -> dict[str, Any]:
    """The `choices` and `buttons` of a message that offers these choices."""
    choices = [
        {"name": name, "number": number, "button_id": f"ch-5001-{number}",
         "url": f"{CHOICES_PAGE}tok{number}Q9XH4PD" if linked else None}
        for number, name in enumerate(names, start=1)
    ]  # fmt: skip
    return {"choices": choices, "buttons": {c["name"]: c["button_id"] for c in choices}}


# The kinds' own facts beyond `full`'s: named variants the templates must render too, and
# what `bare` carries (the planner always gives these kinds their facts).
KIND_SAMPLES: dict[str, dict[str, dict[str, Any]]] = {
    "order_canceled": {
        "full": {"cancellation": CANCELED | {"after_delay": True, "refund_amount": "1299.00"}},
        "customer_request": {"cancellation": CANCELED | {"refund_amount": "1299.00"}},
        "payment_expired": {"cancellation": CANCELED | {"reason": "payment_expired",
                                                         "unpaid": True}},
        "bare": {"cancellation": dict.fromkeys(CANCELED) | {"after_delay": False,
                                                            "unpaid": False}},
    },
    "delay_notice": {
        "full": {},
        "lost": {"delay": FULL_DELAY | {"exception_reason": "lost", "new_eta": None}},
        "no_cancel": {"offer": FULL_OFFER | {"cancel_offered": False, "cancel_url": None}},
        "bare": {"delay": BARE_DELAY, "offer": BARE_OFFER},
    },
    "out_of_stock": {
        "full": {"out_of_stock": MISSING},
        "alternative": {"out_of_stock": MISSING | {"if_no_answer": "alternative"}},
        "only_item": {"out_of_stock": MISSING | {"rest_ships": False,
                                                 "if_no_answer": "cancel_order"}},
        "bare": {"out_of_stock": dict.fromkeys(MISSING) | {"has_alternatives": False,
                                                          "if_no_answer": "refund",
                                                          "answer_by": MISSING["answer_by"]}},
    },
}  # fmt: skip


def _special(kind: str) -> dict[str, dict[str, Any]] | None:
    """The samples of kinds about a voucher, a conversation or a lapsed customer."""
    order = {k: v for k, v in FULL_ORDER.items() if k not in ("cancel_reason", "refund_amount")}
    if kind in PAYMENT_KINDS:
        samples = {name: snapshot(FULL_CUSTOMER, order, {}, payment=voucher)
                   for name, voucher in VOUCHERS.items() if name != "bare"}  # fmt: skip
        bare = snapshot({"id": "cus-1"}, {"id": "ord-1"}, {}, payment=VOUCHERS["bare"])
        return samples | {"bare": bare}
    if kind == "handoff_ack":
        return {
            "full": snapshot(FULL_CUSTOMER, {}, {}, handoff=HANDOFFS["full"]),
            "bare": snapshot({"id": "cus-1"}, {}, {}, handoff=HANDOFFS["bare"]),
        }
    if kind == "handoff_followup":
        return {
            "full": snapshot(FULL_CUSTOMER, {}, {}, handoff=CLOSED_HANDOFF),
            "bare": snapshot({"id": "cus-1"}, {}, {}, handoff=CLOSED_HANDOFF),
        }
    if kind == "choice_ack":
        return {"full": _answer("wait")} | {name: _answer(name) for name in ANSWERED}
    if kind == "winback":
        url = "https://shop.example.com/?utm_campaign=winback"
        full = {"url": url, "days_since_order": 61}
        return {
            "full": snapshot(FULL_CUSTOMER, {}, {}, incentive=WINBACK_INCENTIVE, winback=full),
            "bare": snapshot(
                {"id": "cus-1"}, {}, {}, winback={"url": None, "days_since_order": 61}
            ),
        }
    return None


def _answer(sample: str) -> dict[str, Any]:
    """A `choice_ack`: the snapshot of the message answered, with the choice made (ANSWERED)."""
    name, kind, answered, shop_acts, handoff = ANSWERED[sample]
    score = int(name.removeprefix("csat_")) if name.startswith("csat_") else None
    choice = {"name": name, "score": score, "answered_kind": kind, "shop_acts": shop_acts,
              "handoff": HANDOFFS[handoff] if handoff else None}  # fmt: skip
    return _samples_of(kind)[answered] | {"choice": choice}


def _offered(kind: str, samples: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """A kind's samples with the variants that offer choices (OFFERED)."""
    variants = OFFERED.get(kind, {})
    made = {name: samples[base] | offering(names, linked)
            for name, (base, names, linked) in variants.items()}  # fmt: skip
    return samples | made


def sample_facts(kind: str = "order_shipped") -> dict[str, dict[str, Any]]:
    """Named snapshots for a kind: `full` has every field, `bare` only what the kind needs
    (payment kinds also have one sample per kind of voucher), and `full` again for each of
    `ACCENTED_NAMES`."""
    samples = _offered(kind, _samples_of(kind))
    renamed = {label: _named(samples["full"], name) for label, name in ACCENTED_NAMES.items()}
    return samples | renamed


def _named(facts: dict[str, Any], name: str) -> dict[str, Any]:
    """The same facts for a customer of another name."""
    customer = snapshot({"id": facts["customer"]["id"], "name": name}, {}, {})["customer"]
    return facts | {"customer": customer}


def _samples_of(kind: str) -> dict[str, dict[str, Any]]:
    special = _special(kind)
    if special is not None:
        return special
    if kind in CART_KINDS:
        incentive = {"percent_off": 10, "coupon_code": "VUELVE10",
                     "expires_at": "2026-11-13T10:00:00-06:00", "min_purchase": None,
                     "currency": "MXN"}  # fmt: skip
        return {
            "full": snapshot(FULL_CUSTOMER, {}, {}, cart=FULL_CART, incentive=incentive),
            "bare": snapshot({"id": "cus-1"}, {}, {}, cart=BARE_CART),
        }
    full_extras: dict[str, Any] = {"delay": FULL_DELAY, "offer": FULL_OFFER,
                   "review_url": "https://shop.example.com/orders/MX-5001/review"}  # fmt: skip
    own = KIND_SAMPLES.get(kind, {})
    variants = {name: own.get(name, {}) for name in own if name != "bare"} or {"full": {}}
    samples = {
        name: snapshot(FULL_CUSTOMER, FULL_ORDER, FULL_SHIPMENT, OUT_OF_STOCK_ITEMS,
                       **(full_extras | extras))
        for name, extras in variants.items()
    }  # fmt: skip
    bare = own.get("bare", {})
    return samples | {"bare": snapshot({"id": "cus-1"}, {"id": "ord-1"}, {}, [], **bare)}


def facts_from_event(event: EventIn) -> dict[str, Any]:
    """A snapshot from one event alone, for previewing a template against a real payload."""
    customer = event.customer.model_dump(mode="json") if event.customer else {}
    order = event.order.model_dump(mode="json", exclude_none=True) if event.order else {}
    shipment = event.shipment.model_dump(mode="json") if event.shipment else {}
    affected = order.pop("items", []) if event.type == "item.out_of_stock" else []
    kind_facts = sample_facts("payment_pending")["bare"] | payments.extras(event)
    return snapshot(customer, order, shipment, affected, payment=kind_facts["payment"])


SAMPLE_EVENT: dict[str, Any] = {
    "event_id": "evt-sample",
    "type": "order.shipped",
    "occurred_at": "2026-11-11T17:00:00Z",
    "customer": {"id": "cus-100", "name": "Ana Pérez", "locale": "es-MX"},
    "order": {k: v for k, v in FULL_ORDER.items() if k not in ("cancel_reason", "refund_amount")},
    "shipment": {k: v for k, v in FULL_SHIPMENT.items() if k != "reason"},
}


def facts_for_preview(event: EventIn, kind: str) -> dict[str, Any]:
    """An edited sample event's facts, with the kind's own extras (delay, offer, cart…) from
    the full sample, so every kind can be previewed against any event."""
    facts = facts_from_event(event)
    extras = sample_facts(kind)["full"]
    keys = ("delay", "offer", "cart", "incentive", "review_url", "handoff", "winback",
            "cancellation", "out_of_stock", "choice")  # fmt: skip
    payment = facts["payment"] if event.payment else extras["payment"]
    offered = sample_facts(kind).get("choices", extras)  # a kind that offers choices, with them
    shown = {"choices": offered.get("choices"), "buttons": offered.get("buttons")}
    return facts | {key: extras.get(key) for key in keys} | shown | {"payment": payment}
