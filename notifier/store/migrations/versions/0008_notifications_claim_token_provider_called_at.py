"""notifications: claim_token and provider_called_at

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-09 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import notifier.store.db

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("claim_token", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(
            sa.Column(
                "provider_called_at", notifier.store.db.UTCDateTime(timezone=True), nullable=True
            )
        )
    # A row `sending` before this column existed may be mid-call: the reconciler must ask the
    # provider about it (from its last touch, as it did) rather than take it for never called.
    op.execute("UPDATE notifications SET provider_called_at = updated_at WHERE status = 'sending'")


def downgrade() -> None:
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_column("provider_called_at")
        batch_op.drop_column("claim_token")
