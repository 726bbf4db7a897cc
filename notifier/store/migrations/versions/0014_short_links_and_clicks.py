"""short_links (an SMS's or a WhatsApp message's link as sent, `/r/{code}`) and link_clicks

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-08 01:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import notifier.store.db

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_DATETIME = notifier.store.db.UTCDateTime(timezone=True)
ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _message_id() -> sa.Column[int]:
    return sa.Column(
        "notification_id", ID, sa.ForeignKey("notifications.id"), nullable=False, index=True
    )


def upgrade() -> None:
    op.create_table(
        "short_links",
        sa.Column("code", sa.String(length=16), primary_key=True),
        _message_id(),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
    )
    op.create_table(
        "link_clicks",
        sa.Column("id", ID, primary_key=True, autoincrement=True),
        sa.Column("code", sa.String(length=16), sa.ForeignKey("short_links.code"), nullable=False),
        _message_id(),
        sa.Column("clicked_at", UTC_DATETIME, nullable=False, index=True),
    )


def downgrade() -> None:
    op.drop_table("link_clicks")
    op.drop_table("short_links")
