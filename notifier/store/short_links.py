"""Short links: the code of each link a message carried, and the clicks on them."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from notifier.store.models import LinkClick, ShortLink

CODE_BYTES = 6  # 8 URL-safe characters: 2^48 codes, not found by trying


def codes_for(
    session: Session, notification_id: int, urls: Iterable[str], now: datetime
) -> dict[str, str]:
    """Each target's code for this message, made the first time (a retry reuses it)."""
    wanted = list(dict.fromkeys(urls))
    found = session.execute(
        select(ShortLink.url, ShortLink.code).where(ShortLink.notification_id == notification_id)
    )
    codes = {url: code for url, code in found if url in wanted}
    for url in wanted:
        if url not in codes:
            codes[url] = _new_code(session)
            session.add(
                ShortLink(code=codes[url], notification_id=notification_id, url=url,
                          created_at=now)
            )  # fmt: skip
    session.flush()
    return codes


def _new_code(session: Session) -> str:
    """A code no link has (a repeat of 2^48 is unlikely; it is checked all the same)."""
    while True:
        code = secrets.token_urlsafe(CODE_BYTES)
        if session.get(ShortLink, code) is None:
            return code


def find(session: Session, code: str) -> ShortLink | None:
    """The link of a code, or None."""
    return session.get(ShortLink, code) if len(code) <= 16 else None


def follow(session: Session, code: str, now: datetime, counted: bool) -> str | None:
    """The link's target, with the click counted against its message when `counted`; None
    for an unknown code."""
    link = find(session, code)
    if link is None:
        return None
    if counted:
        session.add(LinkClick(code=code, notification_id=link.notification_id, clicked_at=now))
    return link.url


def clicks_of(session: Session, notification_ids: list[int]) -> dict[int, list[dict[str, str]]]:
    """The clicks on each message's links, oldest first: {"at", "url"}."""
    if not notification_ids:
        return {}
    query = (
        select(LinkClick.notification_id, LinkClick.clicked_at, ShortLink.url)
        .join(ShortLink, ShortLink.code == LinkClick.code)
        .where(LinkClick.notification_id.in_(notification_ids))
        .order_by(LinkClick.clicked_at, LinkClick.id)
    )
    clicks: dict[int, list[dict[str, str]]] = {}
    for notification_id, at, url in session.execute(query):
        clicks.setdefault(notification_id, []).append({"at": at.isoformat(), "url": url})
    return clicks
