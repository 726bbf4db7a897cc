"""What a message cost and what the orders brought: notifications' segments, destination
country, estimated cost and the coupon they carried; purchases (an order as placed) and the
discount codes orders used.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 21:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import notifier.store.db

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_DATETIME = notifier.store.db.UTCDateTime(timezone=True)
ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
COST = sa.Numeric(12, 6)


def upgrade() -> None:
    with op.batch_alter_table("notifications") as batch:
        batch.add_column(sa.Column("segments", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("country", sa.String(length=2), nullable=True))
        batch.add_column(sa.Column("cost_usd", COST, nullable=True))
        batch.add_column(sa.Column("coupon_code", sa.String(length=64), nullable=True))
    op.create_index("ix_notifications_sent_at", "notifications", ["sent_at"], unique=False)
    op.create_index("ix_notifications_coupon_code", "notifications", ["coupon_code"])
    op.create_table(
        "purchases",
        sa.Column("order_id", sa.String(length=200), nullable=False),
        sa.Column("customer_id", sa.String(length=200), nullable=True),
        sa.Column("cart_id", sa.String(length=200), nullable=True),
        sa.Column("placed_at", UTC_DATETIME, nullable=False),
        sa.Column("total", sa.Numeric(14, 2), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.PrimaryKeyConstraint("order_id", name=op.f("pk_purchases")),
    )
    for column in ("customer_id", "cart_id", "placed_at"):
        op.create_index(f"ix_purchases_{column}", "purchases", [column], unique=False)
    op.create_table(
        "order_codes",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("order_id", sa.String(length=200), nullable=False),
        sa.Column("customer_id", sa.String(length=200), nullable=True),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("used_at", UTC_DATETIME, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_order_codes")),
        sa.UniqueConstraint("order_id", "code", name=op.f("uq_order_codes_order_id")),
    )
    op.create_index("ix_order_codes_code", "order_codes", ["code"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_order_codes_code", table_name="order_codes")
    op.drop_table("order_codes")
    for column in ("customer_id", "cart_id", "placed_at"):
        op.drop_index(f"ix_purchases_{column}", table_name="purchases")
    op.drop_table("purchases")
    op.drop_index("ix_notifications_coupon_code", table_name="notifications")
    op.drop_index("ix_notifications_sent_at", table_name="notifications")
    with op.batch_alter_table("notifications") as batch:
        for column in ("coupon_code", "cost_usd", "country", "segments"):
            batch.drop_column(column)
