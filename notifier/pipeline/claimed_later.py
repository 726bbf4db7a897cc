"""The messages a batch inserts already claimed, held back and inserted together: just before
the transaction's next statement (so every read and every later insert sees them, in planning
order), or when the batch ends.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session

from notifier.pipeline.deliver import Claimed
from notifier.store import fresh
from notifier.store.many import as_loaded
from notifier.store.models import Customer, Notification
from notifier.store.sending import insert_claimed

CLAIMED_LATER = "claimed_later"  # session.info key: the batch's ClaimedLater


class ClaimedLater:
    """Claimed rows waiting to be inserted, each with its customer; `claims` gets them as
    `Claimed` once inserted (a dedup key taken already is skipped, as one by one)."""

    def __init__(self, session: Session, claims: list[Claimed]) -> None:
        self.session = session
        self.claims = claims
        self.rows: list[tuple[dict[str, Any], Customer | None]] = []
        session.info[CLAIMED_LATER] = self
        event.listen(session, "do_orm_execute", self._before_a_statement)

    def add(self, row: dict[str, Any], customer: Customer | None) -> None:
        fresh.planned(self.session, [row])
        self.rows.append((row, customer))

    def _before_a_statement(self, _state: ORMExecuteState) -> None:
        if self.rows:
            self.insert()

    def insert(self) -> None:
        """Insert what waits, in one statement."""
        rows, self.rows = self.rows, []  # first: the insert below is a statement too
        if not rows:
            return
        ids = insert_claimed(self.session, [row for row, _ in rows])
        for row, customer in rows:
            new_id = ids.get(row["dedup_key"])
            if new_id is not None:
                notification = as_loaded(Notification, {"id": new_id, **row})
                self.claims.append(Claimed(notification, customer))

    def close(self) -> None:
        """Insert what waits and stop watching the session."""
        self.insert()
        event.remove(self.session, "do_orm_execute", self._before_a_statement)
        self.session.info.pop(CLAIMED_LATER, None)
