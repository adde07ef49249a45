"""product_series.max_validity_s: the longest validity of each series.

"Valid at t" then scans the index on (kind, target, valid_from, ...) only from
t - max_validity_s to t instead of from the first product of the series.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

import math

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("product_series") as batch:
        batch.add_column(
            sa.Column("max_validity_s", sa.BigInteger(), nullable=False, server_default="0")
        )
    product = sa.table(
        "product",
        sa.column("kind", sa.String),
        sa.column("target", sa.String),
        sa.column("valid_from", sa.DateTime),
        sa.column("valid_to", sa.DateTime),
    )
    series = sa.table(
        "product_series",
        sa.column("kind", sa.String),
        sa.column("target", sa.String),
        sa.column("max_validity_s", sa.BigInteger),
    )
    connection = op.get_bind()
    longest = {}
    rows = connection.execute(
        sa.select(product.c.kind, product.c.target, product.c.valid_from, product.c.valid_to)
    )
    for kind, target, start, end in rows:
        seconds = math.ceil((end - start).total_seconds())
        longest[kind, target] = max(longest.get((kind, target), 0), seconds)
    for (kind, target), seconds in longest.items():
        connection.execute(
            sa.update(series)
            .where(series.c.kind == kind, series.c.target == target)
            .values(max_validity_s=seconds)
        )


def downgrade():
    with op.batch_alter_table("product_series") as batch:
        batch.drop_column("max_validity_s")
