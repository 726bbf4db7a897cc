"""What the copy tests of every locale share: the shop that signs, with and without a person
reading email replies, and all that a customer reads of a rendered message."""

from __future__ import annotations

import pytest

from notifier.messages.rendering import Rendered, Renderer, renderer_for
from tests.conftest import settings_for

SHOP = "Casa Lupita"


@pytest.fixture
def renderer(sqlite_url: str) -> Renderer:
    """The shop Casa Lupita, whose email replies reach nobody."""
    return renderer_for(settings_for(sqlite_url, shop_name=SHOP))


@pytest.fixture
def replying(sqlite_url: str) -> Renderer:
    """The same shop, with a person reading email replies (NOTIFIER_EMAIL_REPLY_TO)."""
    return renderer_for(
        settings_for(sqlite_url, shop_name=SHOP, email_reply_to="ayuda@casalupita.mx")
    )


def read_all(rendered: Rendered) -> str:
    """What the customer reads: subject, text and HTML (tags left in: they do not read)."""
    return "\n".join(part for part in (rendered.subject, rendered.text, rendered.html) if part)
