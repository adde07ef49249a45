"""Initial schema: product_series, product, product_file.

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "product_series",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("target", sa.String(40), nullable=False),
        sa.Column("last_version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_product_series"),
        sa.UniqueConstraint("kind", "target", name="uq_series_kind_target"),
    )
    op.create_table(
        "product",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("target", sa.String(40), nullable=False),
        sa.Column("valid_from", sa.DateTime(), nullable=False),
        sa.Column("valid_to", sa.DateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("content_sha256", sa.String(64), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.Column("superseded_by", sa.Integer(), nullable=True),
        sa.Column("provenance", sa.Text(), nullable=True),
        sa.Column("meta", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_product"),
        sa.ForeignKeyConstraint(
            ["superseded_by"], ["product.id"], name="fk_product_superseded_by_product"
        ),
        sa.UniqueConstraint("kind", "target", "version", name="uq_product_version"),
        sa.UniqueConstraint(
            "content_sha256", "kind", "target", "valid_from", "valid_to", name="uq_product_content"
        ),
        sa.CheckConstraint("valid_from < valid_to", name="ck_product_validity_order"),
        sa.CheckConstraint("status IN ('current', 'superseded')", name="ck_product_status_value"),
    )
    op.create_index(
        "ix_product_validity",
        "product",
        ["kind", "target", "valid_from", "valid_to", "version"],
    )
    op.create_table(
        "product_file",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_product_file"),
        sa.ForeignKeyConstraint(
            ["product_id"], ["product.id"], name="fk_product_file_product_id_product"
        ),
        sa.UniqueConstraint("product_id", "name", name="uq_product_file_name"),
    )


def downgrade():
    op.drop_table("product_file")
    op.drop_index("ix_product_validity", table_name="product")
    op.drop_table("product")
    op.drop_table("product_series")
