"""The console channel: prints the message (recipient masked) and accepts it."""

from __future__ import annotations

import sys
from typing import TextIO

from adapters.channels.base import OutboundMessage, Receipt, mask_address


class ConsoleChannel:
    """The default when no provider is configured; every message is still stored."""

    name = "console"

    def __init__(self, stream: TextIO | None = None) -> None:
        self._stream = stream

    def send(self, message: OutboundMessage) -> Receipt:
        stream = self._stream if self._stream is not None else sys.stdout
        header = f"[console {message.channel} → {mask_address(message.to)}] {message.kind}"
        subject = f"\nSubject: {message.subject}" if message.subject else ""
        stream.write(f"{header}{subject}\n{message.body}\n\n")
        stream.flush()
        return Receipt(provider_message_id=f"console-{message.notification_id}")
