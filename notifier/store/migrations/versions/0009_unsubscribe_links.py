"""unsubscribe_links: the one-click unsubscribe token of each marketing email

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06 20:05:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import notifier.store.db

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "unsubscribe_links",
        sa.Column("token", sa.String(length=64), primary_key=True),
        sa.Column(
            "notification_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            sa.ForeignKey("notifications.id"),
            nullable=False,
            unique=True,
        ),
        sa.Column("customer_id", sa.String(length=200), nullable=False, index=True),
        sa.Column("created_at", notifier.store.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("used_at", notifier.store.db.UTCDateTime(timezone=True), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("unsubscribe_links")
