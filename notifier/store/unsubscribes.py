"""One-click unsubscribe links: a random token per marketing email, and its use."""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from notifier.store.models import UnsubscribeLink

TOKEN_BYTES = 24  # 32 URL-safe characters: not guessable, short enough for a footer


def token_for(session: Session, notification_id: int, customer_id: str, now: datetime) -> str:
    """The message's token, made the first time (a retry of the same email reuses it)."""
    found = session.scalar(
        select(UnsubscribeLink.token).where(UnsubscribeLink.notification_id == notification_id)
    )
    if found is not None:
        return found
    token = secrets.token_urlsafe(TOKEN_BYTES)
    session.add(
        UnsubscribeLink(
            token=token, notification_id=notification_id, customer_id=customer_id, created_at=now
        )
    )
    session.flush()
    return token


def find(session: Session, token: str) -> UnsubscribeLink | None:
    """The link of a token, locked (two clicks at once are one unsubscribe)."""
    if len(token) > 64:
        return None
    query = select(UnsubscribeLink).where(UnsubscribeLink.token == token).with_for_update()
    return session.scalar(query)
