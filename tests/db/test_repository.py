"""Repository semantics on both backends: transactions, re-upload, versions, as-of, checksums."""

import hashlib
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa
from dbfixtures import db_url_fixture, engine_fixture  # noqa: F401 - fixtures
from sqlalchemy import event, func, select, update
from sqlalchemy.orm import Session

from calibpipe_tasks.db import repository
from calibpipe_tasks.db.engine import check_schema, current_revision, head_revision
from calibpipe_tasks.db.models import Product, ProductFile, ProductSeries
from calibpipe_tasks.db.repository import (
    CorruptProductError,
    FileBlob,
    NewProduct,
    find_valid,
    upload,
    upload_all,
    verified_files,
)

T0 = datetime(2024, 3, 1, 18)
RECORDED = datetime(2024, 3, 2, 9)


def product(valid_from=T0, hours=14, content=b"profile v1\n", target="North", extra=()):
    files = [FileBlob("profile.ecsv", content), FileBlob("manifest.json", b'{"files": []}\n')]
    files += list(extra)
    return NewProduct(
        "atmospheric-model",
        target,
        valid_from,
        valid_from + timedelta(hours=hours),
        files,
        provenance='{"step": "test"}',
        meta={"site": "North"},
    )


def count(engine, model):
    with Session(engine) as session:
        return session.scalar(select(func.count()).select_from(model))


def test_schema_is_at_head(engine):
    with engine.connect() as connection:
        assert current_revision(connection) == head_revision() == "0002"
    check_schema(engine, "test")


def test_upload_then_query_gives_the_files_back(engine):
    result = upload(engine, product(), RECORDED)
    assert result.created and result.version == 1 and result.superseded == []
    with Session(engine) as session:
        found = find_valid(session, "atmospheric-model", "North", T0 + timedelta(hours=3))
        assert found.id == result.id and found.status == "current"
        files = dict(verified_files(found))
        assert files == {"profile.ecsv": b"profile v1\n", "manifest.json": b'{"files": []}\n'}
        assert found.provenance == '{"step": "test"}'
        # validity is half-open: nothing at valid_to, nothing for another target
        assert find_valid(session, "atmospheric-model", "North", T0 + timedelta(hours=14)) is None
        assert find_valid(session, "atmospheric-model", "South", T0) is None
        assert find_valid(session, "macobac", "North", T0) is None


def test_identical_reupload_is_a_noop_returning_the_existing_id(engine):
    first = upload(engine, product(), RECORDED)
    again = upload(engine, product(), RECORDED + timedelta(days=1))
    assert again.id == first.id and not again.created and again.version == 1
    assert count(engine, Product) == 1 and count(engine, ProductFile) == 2


def test_new_version_supersedes_overlapping_one_and_keeps_it(engine):
    v1 = upload(engine, product(), RECORDED)
    later = RECORDED + timedelta(days=1)
    # v2 covers the second half of v1's night and more
    v2 = upload(engine, product(T0 + timedelta(hours=7), content=b"profile v2\n"), later)
    assert v2.created and v2.version == 2 and v2.superseded == [v1.id]
    # a non-overlapping product of the same series stays current
    other = upload(engine, product(T0 + timedelta(days=5), content=b"other\n"), later)
    assert other.version == 3 and other.superseded == []
    with Session(engine) as session:
        old = session.get(Product, v1.id)
        assert old.status == "superseded" and old.superseded_by == v2.id
        assert dict(verified_files(old))["profile.ecsv"] == b"profile v1\n"  # never deleted
        in_overlap = T0 + timedelta(hours=10)
        only_v1 = T0 + timedelta(hours=2)
        assert find_valid(session, "atmospheric-model", "North", in_overlap).id == v2.id
        assert find_valid(session, "atmospheric-model", "North", only_v1).id == v1.id
        # as of before v2 was recorded, the database answered v1
        before = RECORDED + timedelta(hours=1)
        assert find_valid(session, "atmospheric-model", "North", in_overlap, as_of=before).id == (
            v1.id
        )
        assert find_valid(session, "atmospheric-model", "North", in_overlap, as_of=later).id == (
            v2.id
        )
        assert find_valid(session, "atmospheric-model", "North", T0, as_of=T0) is None
        assert session.scalar(select(ProductSeries.last_version)) == 3


def test_upload_is_all_files_or_nothing(engine):
    upload(engine, product(T0 - timedelta(days=3)), RECORDED)

    def fail_after_the_files(conn, cursor, statement, parameters, context, executemany):
        # the product row and its files are written; then the transaction breaks
        if statement.startswith("INSERT INTO product_file"):
            raise RuntimeError("disk on fire")

    event.listen(engine, "after_cursor_execute", fail_after_the_files)
    try:
        with pytest.raises(RuntimeError, match="disk on fire"):
            upload(engine, product(content=b"never stored\n"), RECORDED)
    finally:
        event.remove(engine, "after_cursor_execute", fail_after_the_files)
    assert count(engine, Product) == 1 and count(engine, ProductFile) == 2
    with Session(engine) as session:
        assert session.scalar(select(ProductSeries.last_version)) == 1
        assert session.scalar(select(func.count()).where(Product.status == "superseded")) == 0


def telescope_product(tel, content, hours=1):
    files = [FileBlob("muon_throughput.ecsv", content)]
    return NewProduct("muon-throughput", tel, T0, T0 + timedelta(hours=hours), files)


def test_upload_all_stores_several_products_in_one_transaction(engine):
    first = upload_all(
        engine,
        [telescope_product("tel_002", b"two\n"), telescope_product("tel_001", b"one\n")],
        RECORDED,
    )
    assert [r.created for r in first] == [True, True]
    assert [r.version for r in first] == [1, 1]
    # again, with one telescope changed: the other is the existing product, no version gap
    again = upload_all(
        engine,
        [telescope_product("tel_002", b"two\n"), telescope_product("tel_001", b"one v2\n")],
        RECORDED + timedelta(days=1),
    )
    assert again[0].id == first[0].id and not again[0].created
    assert again[1].created and again[1].version == 2 and again[1].superseded == [first[1].id]
    with Session(engine) as session:
        rows = session.execute(select(ProductSeries.target, ProductSeries.last_version))
        versions = {target: version for target, version in rows}
        assert versions == {"tel_001": 2, "tel_002": 1}
        assert find_valid(session, "muon-throughput", "tel_002", T0).id == first[0].id


def test_upload_all_is_all_products_or_none(engine):
    inserts = []

    def fail_on_the_second_product(conn, cursor, statement, parameters, context, executemany):
        if statement.startswith("INSERT INTO product_file"):
            inserts.append(statement)
            if len(inserts) == 2:
                raise RuntimeError("disk on fire")

    event.listen(engine, "after_cursor_execute", fail_on_the_second_product)
    try:
        with pytest.raises(RuntimeError, match="disk on fire"):
            upload_all(
                engine,
                [telescope_product("tel_001", b"one\n"), telescope_product("tel_002", b"two\n")],
                RECORDED,
            )
    finally:
        event.remove(engine, "after_cursor_execute", fail_on_the_second_product)
    assert len(inserts) == 2
    assert count(engine, Product) == 0 and count(engine, ProductFile) == 0
    assert count(engine, ProductSeries) == 0


def test_corrupted_stored_file_is_detected_on_read(engine):
    result = upload(engine, product(), RECORDED)
    with Session(engine) as session, session.begin():
        session.execute(
            update(ProductFile)
            .where(ProductFile.product_id == result.id, ProductFile.name == "profile.ecsv")
            .values(data=b"profile v9\n")  # same size, other bytes
        )
    with Session(engine) as session:
        found = session.get(Product, result.id)
        with pytest.raises(CorruptProductError, match="profile.ecsv of product 1 is corrupt"):
            verified_files(found)


def test_content_sha256_depends_on_names_and_bytes():
    a = repository.content_sha256([("a", "1" * 64), ("b", "2" * 64)])
    assert a == repository.content_sha256([("b", "2" * 64), ("a", "1" * 64)])
    assert a != repository.content_sha256([("a", "2" * 64), ("b", "1" * 64)])
    lines = f"a\t{'1' * 64}\nb\t{'2' * 64}\n"
    assert a == hashlib.sha256(lines.encode()).hexdigest()


def test_migration_0002_fills_the_longest_validity_of_existing_series(db_url):
    """A database at revision 0001 with products is upgraded and answers queries."""
    from alembic import command

    from calibpipe_tasks.db.engine import alembic_config, make_engine, upgrade

    engine = make_engine(db_url)
    config = alembic_config()
    with engine.connect() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0001")
        connection.commit()
    old_product = {
        "kind": "muon-psf", "target": "tel_002", "valid_from": T0,
        "valid_to": T0 + timedelta(days=30), "version": 1, "status": "current",
        "content_sha256": repository.content_sha256([("psf.ecsv", "0" * 64)]),
        "recorded_at": RECORDED, "provenance": None, "meta": "{}",
    }  # fmt: skip
    types = {c: sa.DateTime() for c in ("valid_from", "valid_to", "recorded_at")}
    with engine.begin() as connection:
        connection.execute(
            sa.table("product_series", *(sa.column(c) for c in ("kind", "target", "last_version")))
            .insert()
            .values(kind="muon-psf", target="tel_002", last_version=1)
        )
        new_id = connection.execute(
            sa.table("product", *(sa.column(c, types.get(c)) for c in old_product))
            .insert()
            .values(old_product)
        ).inserted_primary_key
    upgrade(engine)
    with Session(engine) as session:
        assert session.scalar(select(ProductSeries.max_validity_s)) == 30 * 86400
        found = find_valid(session, "muon-psf", "tel_002", T0 + timedelta(days=29))
        assert found is not None and found.kind == "muon-psf"
        assert new_id is not None
    engine.dispose()


def test_longest_validity_bounds_the_lookup_without_losing_long_products(engine):
    long = upload(engine, product(T0, hours=24 * 90, content=b"season\n"), RECORDED)
    short = upload(engine, product(T0 + timedelta(days=60), content=b"night\n"), RECORDED)
    with Session(engine) as session:
        assert repository.max_validity(session, "atmospheric-model", "North") == 90 * 86400
        at = T0 + timedelta(days=80)
        assert find_valid(session, "atmospheric-model", "North", at).id == long.id
        at = T0 + timedelta(days=60, hours=1)
        assert find_valid(session, "atmospheric-model", "North", at).id == short.id
