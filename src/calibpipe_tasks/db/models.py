"""SQLAlchemy 2 models of the calibration database.

Times are naive :class:`datetime.datetime` values in UTC. Validity intervals are
half-open, ``[valid_from, valid_to)``.

Tables
------
``product_series``
    one row per (kind, target) holding the last version number given out and the longest
    validity of its products; writers
    lock this row (``SELECT ... FOR UPDATE`` on PostgreSQL, ``BEGIN IMMEDIATE`` on
    SQLite) so that versions are allocated and older versions superseded without races.
``product``
    one row per calibration product (see :class:`Product`).
``product_file``
    the stored files of a product: name, sha256, size and the bytes.
"""

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class ProductSeries(Base):
    """The versions of one (kind, target): the row writers lock."""

    __tablename__ = "product_series"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    target: Mapped[str] = mapped_column(String(40))
    last_version: Mapped[int] = mapped_column(Integer, default=0)
    #: longest validity of any product of the series (s, rounded up): bounds the index range
    #: scan of "valid at t" to valid_from >= t - max_validity_s (revision 0002)
    max_validity_s: Mapped[int] = mapped_column(BigInteger, default=0)

    __table_args__ = (UniqueConstraint("kind", "target", name="uq_series_kind_target"),)


class Product(Base):
    """One calibration product.

    Attributes
    ----------
    kind, target : str
        What it is (:data:`.kinds.KINDS`) and what it applies to (site, telescope, global).
    valid_from, valid_to : datetime
        Validity interval ``[valid_from, valid_to)`` in UTC.
    version : int
        1, 2, ... per (kind, target), in upload order.
    status : str
        ``current``, or ``superseded`` once a newer version with an overlapping
        validity was uploaded (``superseded_by`` names it). Nothing is ever deleted.
    content_sha256 : str
        sha256 of the sorted list of ``name sha256`` lines of its files.
    recorded_at : datetime
        When it was uploaded (UTC); ``--as-of`` queries ignore later uploads.
    provenance : str or None
        The provenance record (JSON text) of the step that made it, as uploaded.
    meta : str
        JSON text: the product's own metadata (ECSV table meta, manifest fields).
    """

    __tablename__ = "product"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    target: Mapped[str] = mapped_column(String(40))
    valid_from: Mapped[datetime] = mapped_column(DateTime())
    valid_to: Mapped[datetime] = mapped_column(DateTime())
    version: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16))
    content_sha256: Mapped[str] = mapped_column(String(64))
    recorded_at: Mapped[datetime] = mapped_column(DateTime())
    superseded_by: Mapped[int | None] = mapped_column(ForeignKey("product.id"), nullable=True)
    provenance: Mapped[str | None] = mapped_column(Text, nullable=True)
    meta: Mapped[str] = mapped_column(Text)

    files: Mapped[list["ProductFile"]] = relationship(
        back_populates="product", order_by="ProductFile.name", lazy="selectin"
    )

    __table_args__ = (
        UniqueConstraint("kind", "target", "version", name="uq_product_version"),
        # identical content for the same validity is stored once (re-upload = no-op)
        UniqueConstraint(
            "content_sha256", "kind", "target", "valid_from", "valid_to", name="uq_product_content"
        ),
        # "what is valid at t for (kind, target)": equality on kind, target, range on validity
        Index("ix_product_validity", "kind", "target", "valid_from", "valid_to", "version"),
        CheckConstraint("valid_from < valid_to", name="validity_order"),
        CheckConstraint("status IN ('current', 'superseded')", name="status_value"),
    )


class ProductFile(Base):
    """One stored file of a product (the bytes, with their sha256)."""

    __tablename__ = "product_file"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"))
    name: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(BigInteger)
    data: Mapped[bytes] = mapped_column(LargeBinary)

    product: Mapped[Product] = relationship(back_populates="files")

    __table_args__ = (UniqueConstraint("product_id", "name", name="uq_product_file_name"),)
