"""The signed references of choices: a WhatsApp button's id and an email link's token carry the
message and the choice, signed (itsdangerous), so nobody answers for a message of someone else
by guessing. The key is NOTIFIER_LINK_SECRET, or one the installation made for itself."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select
from sqlalchemy.orm import Session

from notifier.store.db import session_scope
from notifier.store.models import AppSecret
from notifier.store.upserts import insert_ignoring_conflicts

KEY_NAME = "choice_links"
SALT = "notifier.choice"
MAX_TOKEN = 200  # Twilio's limit for a quick-reply button's id


@dataclass(frozen=True)
class ChoiceRef:
    """What a signed reference names: the message that offered the choice, and the choice."""

    notification_id: int
    choice: str


def signing_key(session: Session, configured: str | None, now: datetime) -> str:
    """The configured secret, else this installation's own (made once; concurrent first
    uses agree on the one that was stored first)."""
    if configured:
        return configured
    found = session.get(AppSecret, KEY_NAME)
    if found is not None:
        return found.value
    values = {"name": KEY_NAME, "value": secrets.token_urlsafe(32), "created_at": now}
    session.execute(insert_ignoring_conflicts(session, AppSecret).values(**values))
    stored = session.scalar(select(AppSecret.value).where(AppSecret.name == KEY_NAME))
    assert stored is not None
    return stored


_KEYS: dict[str, str] = {}


def key_for(
    database_url: str, configured: str | None, now: datetime, session: Session | None = None
) -> str:
    """`signing_key`, read from the database once per process (it never changes once made),
    in the caller's session when it has one (SQLite allows one writer at a time)."""
    if configured:
        return configured
    if database_url not in _KEYS:
        if session is not None:
            _KEYS[database_url] = signing_key(session, None, now)
        else:
            with session_scope(database_url) as own:
                _KEYS[database_url] = signing_key(own, None, now)
    return _KEYS[database_url]


def sign(key: str, ref: ChoiceRef) -> str:
    """The reference as a URL-safe token (about 50 characters)."""
    token = URLSafeSerializer(key, salt=SALT).dumps([ref.notification_id, ref.choice])
    return str(token)


def read(key: str, token: str) -> ChoiceRef | None:
    """The reference a token carries, or None when it is not one of ours (bad signature,
    malformed, too long)."""
    if len(token) > MAX_TOKEN:
        return None
    try:
        value = URLSafeSerializer(key, salt=SALT).loads(token)
    except BadSignature:
        return None
    if not (isinstance(value, list) and len(value) == 2):
        return None
    notification_id, choice = value
    if not isinstance(notification_id, int) or not isinstance(choice, str):
        return None
    return ChoiceRef(notification_id, choice)
