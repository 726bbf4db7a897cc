"""customer_choices and app_secrets: what customers chose, and this installation's own keys

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 16:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import notifier.store.db

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_DATETIME = notifier.store.db.UTCDateTime(timezone=True)
ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "customer_choices",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("notification_id", ID, nullable=False),
        sa.Column("order_id", sa.String(length=200), nullable=True),
        sa.Column("customer_id", sa.String(length=200), nullable=True),
        sa.Column("choice", sa.String(length=32), nullable=False),
        sa.Column("score", sa.Integer(), nullable=True),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("via", sa.String(length=16), nullable=False),
        sa.Column("provider_message_id", sa.String(length=64), nullable=True),
        sa.Column("at", UTC_DATETIME, nullable=False),
        sa.Column("shop_action", sa.String(length=16), nullable=True),
        sa.Column("shop_action_attempts", sa.Integer(), nullable=False),
        sa.Column("shop_action_error", sa.Text(), nullable=True),
        sa.Column("shop_action_due_at", UTC_DATETIME, nullable=True),
        sa.ForeignKeyConstraint(
            ["notification_id"],
            ["notifications.id"],
            name=op.f("fk_customer_choices_notification_id_notifications"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer_choices")),
        sa.UniqueConstraint(
            "notification_id", "choice", name=op.f("uq_customer_choices_notification_id")
        ),
        sa.UniqueConstraint(
            "provider_message_id", name=op.f("uq_customer_choices_provider_message_id")
        ),
    )
    for column in ("notification_id", "order_id", "customer_id"):
        op.create_index(
            op.f(f"ix_customer_choices_{column}"), "customer_choices", [column], unique=False
        )
    op.create_table(
        "app_secrets",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("value", sa.String(length=200), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_app_secrets")),
    )


def downgrade() -> None:
    op.drop_table("app_secrets")
    for column in ("notification_id", "order_id", "customer_id"):
        op.drop_index(op.f(f"ix_customer_choices_{column}"), table_name="customer_choices")
    op.drop_table("customer_choices")
