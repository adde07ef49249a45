"""The repository API of the calibration database: upload, query, export.

Every upload is one transaction: the product and all its files are stored, or
nothing is. Identical content (same kind, target, validity and files) is stored
once: uploading it again returns the existing product. A new version whose
validity overlaps older current versions marks them ``superseded`` (they are never
deleted). Concurrent writers are serialised per (kind, target): on PostgreSQL by
``SELECT ... FOR UPDATE`` on the :class:`~.models.ProductSeries` row, on SQLite by
``BEGIN IMMEDIATE`` (one writer at a time); unique constraints catch anything else,
and the transaction is retried.
"""

import hashlib
import json
import logging
import math
import random
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError, OperationalError

from .engine import WRITE_OPTION
from .kinds import STATUS_CURRENT, STATUS_SUPERSEDED, format_utc
from .models import Product, ProductFile, ProductSeries

log = logging.getLogger(__name__)

#: attempts of one upload transaction before giving up (lock time-outs, serialisation)
MAX_ATTEMPTS = 20


class CorruptProductError(Exception):
    """A stored or given file does not match its sha256."""


@dataclass(frozen=True)
class FileBlob:
    """A product file to store: its name and bytes (sha256 computed)."""

    name: str
    data: bytes

    @property
    def sha256(self):
        return hashlib.sha256(self.data).hexdigest()


@dataclass
class NewProduct:
    """A product to upload."""

    kind: str
    target: str
    valid_from: datetime
    valid_to: datetime
    files: list
    provenance: str | None = None
    meta: dict = field(default_factory=dict)


@dataclass
class UploadResult:
    """What an upload did: the product id, its version, whether it was new."""

    id: int
    version: int
    created: bool
    content_sha256: str
    superseded: list
    recorded_at: datetime

    def as_dict(self):
        return {
            "id": self.id,
            "version": self.version,
            "created": self.created,
            "content_sha256": self.content_sha256,
            "superseded": list(self.superseded),
            "recorded_at": format_utc(self.recorded_at),
        }


def content_sha256(named_digests):
    """sha256 of a product's content: the sorted ``name sha256`` lines of its files.

    Parameters
    ----------
    named_digests : iterable of (str, str)
        (file name, file sha256) pairs.
    """
    lines = "".join(f"{name}\t{digest}\n" for name, digest in sorted(named_digests))
    return hashlib.sha256(lines.encode()).hexdigest()


def _insert_ignore(dialect_name):
    return postgresql.insert if dialect_name == "postgresql" else sqlite.insert


def _lock_series(connection, kind, target):
    """Take the lock of the (kind, target) series; return (last version, longest validity [s]).

    A no-op ``UPDATE ... RETURNING`` locks the series row until the transaction ends (on
    PostgreSQL a row lock, as ``SELECT ... FOR UPDATE``; SQLite holds the database write
    lock since ``BEGIN IMMEDIATE``); a new series row is inserted first if needed.
    """
    series = ProductSeries.__table__
    lock = (
        update(series)
        .where(series.c.kind == kind, series.c.target == target)
        .values(last_version=series.c.last_version)
        .returning(series.c.last_version, series.c.max_validity_s)
    )
    row = connection.execute(lock).first()
    if row is None:
        insert = _insert_ignore(connection.dialect.name)
        connection.execute(
            insert(series)
            .values(kind=kind, target=target, last_version=0, max_validity_s=0)
            .on_conflict_do_nothing(index_elements=["kind", "target"])
        )
        row = connection.execute(lock).one()
    return tuple(row)


def _claim_version(connection, kind, target, version, longest_s):
    """Record ``version`` as the series' last one and ``longest_s`` as its longest validity."""
    series = ProductSeries.__table__
    connection.execute(
        update(series)
        .where(series.c.kind == kind, series.c.target == target)
        .values(last_version=version, max_validity_s=longest_s)
    )


def validity_seconds(valid_from, valid_to):
    """Length of a validity interval in whole seconds, rounded up."""
    return math.ceil((valid_to - valid_from).total_seconds())


def _upload_once(connection, product, recorded_at):
    """One attempt of :func:`upload` inside an open transaction (Core statements)."""
    products, files = Product.__table__, ProductFile.__table__
    digest = content_sha256((f.name, f.sha256) for f in product.files)
    validity_s = validity_seconds(product.valid_from, product.valid_to)
    last_version, longest_s = _lock_series(connection, product.kind, product.target)
    # under the series lock: has the same content been stored already?
    existing = connection.execute(
        select(products.c.id, products.c.version, products.c.recorded_at).where(
            products.c.content_sha256 == digest,
            products.c.kind == product.kind,
            products.c.target == product.target,
            products.c.valid_from == product.valid_from,
            products.c.valid_to == product.valid_to,
        )
    ).first()
    if existing is not None:
        result = UploadResult(
            existing.id, existing.version, False, digest, [], existing.recorded_at
        )
        return result, False
    version = last_version + 1
    _claim_version(connection, product.kind, product.target, version, max(longest_s, validity_s))
    new_id = connection.execute(
        products.insert()
        .values(
            kind=product.kind,
            target=product.target,
            valid_from=product.valid_from,
            valid_to=product.valid_to,
            version=version,
            status=STATUS_CURRENT,
            content_sha256=digest,
            recorded_at=recorded_at,
            provenance=product.provenance,
            meta=json.dumps(product.meta, sort_keys=True, default=str),
        )
        .returning(products.c.id)
    ).scalar_one()
    connection.execute(
        files.insert(),
        [
            {
                "product_id": new_id,
                "name": blob.name,
                "sha256": blob.sha256,
                "size": len(blob.data),
                "data": blob.data,
            }
            for blob in product.files
        ],
    )
    superseded = connection.execute(
        update(products)
        .where(
            products.c.kind == product.kind,
            products.c.target == product.target,
            products.c.status == STATUS_CURRENT,
            products.c.id != new_id,
            products.c.valid_from < product.valid_to,
            products.c.valid_to > product.valid_from,
        )
        .values(status=STATUS_SUPERSEDED, superseded_by=new_id)
        .returning(products.c.id)
    ).scalars()
    return UploadResult(new_id, version, True, digest, sorted(superseded), recorded_at), True


def _retryable(err):
    if isinstance(err, IntegrityError):
        return True
    if isinstance(err, OperationalError):
        text = str(err.orig).lower()
        code = getattr(err.orig, "sqlstate", None)
        return (
            "database is locked" in text
            or "database is busy" in text
            or code in ("40001", "40P01", "55P03")  # serialization, deadlock, lock not available
        )
    return False


def upload(engine, product, recorded_at):
    """Store ``product`` in one transaction; return an :class:`UploadResult`.

    Re-uploading identical content returns the existing id (``created=False``).
    Lock conflicts, serialisation failures and unique-constraint races are retried
    up to :data:`MAX_ATTEMPTS` times; the last error is re-raised.
    """
    return upload_all(engine, [product], recorded_at)[0]


def upload_all(engine, products, recorded_at):
    """Store several products in one transaction (all or none); return their results in order.

    Each product behaves as in :func:`upload` (identical content returns the existing id).
    The series locks are taken in the order of (kind, target), so that concurrent writers
    of overlapping sets cannot deadlock.
    """
    products = list(products)
    if not products:
        raise ValueError("nothing to upload")
    for product in products:
        names = [blob.name for blob in product.files]
        if not names or len(set(names)) != len(names):
            raise ValueError("a product needs files with distinct names")
    order = sorted(range(len(products)), key=lambda i: (products[i].kind, products[i].target))
    for attempt in range(1, MAX_ATTEMPTS + 1):
        try:
            results = [None] * len(products)
            with engine.connect() as connection:
                connection.execution_options(**{WRITE_OPTION: True})
                transaction = connection.begin()
                try:
                    stored = False
                    for i in order:
                        results[i], new = _upload_once(connection, products[i], recorded_at)
                        stored = stored or new
                    if stored:
                        transaction.commit()
                    else:  # identical content exists for all: nothing to write
                        transaction.rollback()
                except BaseException:
                    transaction.rollback()
                    raise
            return results
        except (IntegrityError, OperationalError) as err:
            if not _retryable(err) or attempt == MAX_ATTEMPTS:
                raise
            log.debug("upload attempt %d failed (%s), retrying", attempt, err.orig)
            time.sleep(random.uniform(0, 0.02 * attempt))
    raise AssertionError("unreachable")  # pragma: no cover


def max_validity(session, kind, target):
    """The longest validity (s) of the (kind, target) series, or None if it has no product."""
    series = ProductSeries.__table__
    return session.execute(
        select(series.c.max_validity_s).where(series.c.kind == kind, series.c.target == target)
    ).scalar()


def valid_at_statement(columns, kind, target, at, longest_s, as_of=None):
    """SELECT ``columns`` of the highest version of (kind, target) valid at ``at``.

    ``valid_from`` is bounded on both sides (``at - longest_s <= valid_from <= at``), so
    the index on (kind, target, valid_from, valid_to, version) is scanned only over the
    products that can contain ``at``.
    """
    try:
        earliest = at - timedelta(seconds=longest_s)
    except OverflowError:
        earliest = datetime.min
    statement = select(*columns).where(
        Product.kind == kind,
        Product.target == target,
        Product.valid_from <= at,
        Product.valid_from >= earliest,
        Product.valid_to > at,
    )
    if as_of is not None:
        statement = statement.where(Product.recorded_at <= as_of)
    return statement.order_by(Product.version.desc()).limit(1)


def find_valid(session, kind, target, at, as_of=None):
    """The product of ``kind`` for ``target`` valid at ``at`` with the highest version.

    With ``as_of``, only products recorded (uploaded) at or before that time count:
    the answer the database would have given then. Returns None if there is none.
    """
    longest = max_validity(session, kind, target)
    if longest is None:
        return None
    statement = valid_at_statement([Product], kind, target, at, longest, as_of)
    return session.scalars(statement).first()


def select_products(session, kinds=(), targets=(), overlapping=None, status=None):
    """Products matching the filters, ordered by id.

    Parameters
    ----------
    kinds, targets : sequence of str
        Keep only these kinds / targets (empty: all).
    overlapping : (datetime, datetime) or None
        Keep only products whose validity overlaps ``[start, end)``.
    status : str or None
        ``current`` or ``superseded`` (None: both).
    """
    statement = select(Product)
    if kinds:
        statement = statement.where(Product.kind.in_(list(kinds)))
    if targets:
        statement = statement.where(Product.target.in_(list(targets)))
    if overlapping is not None:
        start, end = overlapping
        statement = statement.where(Product.valid_from < end, Product.valid_to > start)
    if status is not None:
        statement = statement.where(Product.status == status)
    return session.scalars(statement.order_by(Product.id)).all()


def verified_files(product):
    """The stored files of ``product`` as (name, bytes), each checked against its sha256.

    Raises :class:`CorruptProductError` if a file's bytes or the product's content
    digest do not match what was recorded at upload.
    """
    files = []
    for stored in product.files:
        data = stored.data
        # a damaged SQLite cell may even come back as text: compare its bytes all the same
        data = data.encode("utf-8", "surrogateescape") if isinstance(data, str) else bytes(data)
        if hashlib.sha256(data).hexdigest() != stored.sha256 or len(data) != stored.size:
            raise CorruptProductError(
                f"stored file {stored.name} of product {product.id} is corrupt (sha256 mismatch)"
            )
        files.append((stored.name, data))
    if content_sha256((f.name, f.sha256) for f in product.files) != product.content_sha256:
        raise CorruptProductError(
            f"product {product.id}: file list does not match its content sha256"
        )
    return files


def describe(product):
    """A JSON-serialisable summary of a product (no bytes)."""
    return {
        "id": product.id,
        "kind": product.kind,
        "target": product.target,
        "valid_from": format_utc(product.valid_from),
        "valid_to": format_utc(product.valid_to),
        "version": product.version,
        "status": product.status,
        "superseded_by": product.superseded_by,
        "content_sha256": product.content_sha256,
        "recorded_at": format_utc(product.recorded_at),
        "meta": json.loads(product.meta),
        "files": [{"name": f.name, "sha256": f.sha256, "size": f.size} for f in product.files],
    }
