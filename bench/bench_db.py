"""Benchmark of the calibration database: upload throughput and "valid at t" query latency.

    .venv/bin/python bench/bench_db.py                      # 100,000 products, both backends
    .venv/bin/python bench/bench_db.py --n 20000 --backend sqlite

Fills a fresh database with ``--n`` products: the first ``--upload-n`` through the real
upload path (:func:`calibpipe_tasks.db.repository.upload`: one transaction per product,
series lock, duplicate check, supersede check, 2 small files each), single writer, timed
for the upload throughput; the rest by bulk insert (same rows, not timed) to reach the
size; then times ``--queries`` random "what is valid at t for (kind, target)"
queries: the bare lookup (the indexed SELECT returning the product id) and the full
:func:`find_valid` (ORM, product row and its files); and prints the query plan
(SQLite ``EXPLAIN QUERY PLAN``, PostgreSQL ``EXPLAIN``) showing that the index on
(kind, target, valid_from, valid_to, version) is used.

PostgreSQL: the server of ``CALIBPIPE_TEST_POSTGRESQL_URL`` (default: the one
``tests/db/start_postgresql.sh`` starts); a scratch database is created and dropped.
Products: 49 series (4 atmosphere kinds x 2 sites, macobac, 2 muon kinds x 20 telescopes),
one product per 14-hour night and series (about 2,040 nights per series at 100,000).
"""

import argparse
import os
import platform
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.expression import ClauseElement, Executable

from calibpipe_tasks.db.engine import make_engine, upgrade
from calibpipe_tasks.db.models import Product
from calibpipe_tasks.db.repository import (
    FileBlob,
    NewProduct,
    find_valid,
    max_validity,
    upload,
    valid_at_statement,
)

DEFAULT_PG_URL = "postgresql+psycopg://calibpipe:calibpipe@127.0.0.1:5432/calibpipe_test"
BASE = datetime(2026, 1, 1, 18)
SERIES = (
    [(k, s) for k in ("atmospheric-profile", "atmospheric-extinction", "atmospheric-model",
                      "reference-selection") for s in ("North", "South")]
    + [("macobac", "global")]
    + [(k, f"tel_{t:03d}") for k in ("muon-throughput", "muon-psf") for t in range(1, 21)]
)  # fmt: skip


class Explain(Executable, ClauseElement):
    """``EXPLAIN [QUERY PLAN] <statement>`` as a SQLAlchemy construct (bound parameters kept)."""

    inherit_cache = False

    def __init__(self, statement):
        self.statement = statement


@compiles(Explain, "sqlite")
def _explain_sqlite(element, compiler, **kw):
    return "EXPLAIN QUERY PLAN " + compiler.process(element.statement, **kw)


@compiles(Explain, "postgresql")
def _explain_postgresql(element, compiler, **kw):
    return "EXPLAIN " + compiler.process(element.statement, **kw)


def product(i):
    """Product number i: series i mod 49, night i div 49 (its version in the series + 1)."""
    series, night = i % len(SERIES), i // len(SERIES)
    kind, target = SERIES[series]
    start = BASE + timedelta(days=night)
    files = [
        FileBlob("table.ecsv", f"# {kind} {target} night {night}\n".encode()),
        FileBlob("manifest.json", f'{{"i": {i}}}\n'.encode()),
    ]
    return NewProduct(kind, target, start, start + timedelta(hours=14), files, None, {"i": i})


def bulk_fill(engine, first, n, recorded, batch=5000):
    """Insert products first..n-1 as upload() would have stored them (not timed)."""
    import json

    from sqlalchemy import update

    from calibpipe_tasks.db.models import ProductFile, ProductSeries
    from calibpipe_tasks.db.repository import content_sha256

    for lo in range(first, n, batch):
        products, files = [], []
        for i in range(lo, min(n, lo + batch)):
            p = product(i)
            products.append(
                {
                    "id": i + 1,
                    "kind": p.kind,
                    "target": p.target,
                    "valid_from": p.valid_from,
                    "valid_to": p.valid_to,
                    "version": i // len(SERIES) + 1,
                    "status": "current",
                    "content_sha256": content_sha256((f.name, f.sha256) for f in p.files),
                    "recorded_at": recorded,
                    "provenance": None,
                    "meta": json.dumps(p.meta),
                }
            )
            files += [
                {"product_id": i + 1, "name": f.name, "sha256": f.sha256, "size": len(f.data),
                 "data": f.data}
                for f in p.files
            ]  # fmt: skip
        with engine.begin() as connection:
            connection.execute(Product.__table__.insert(), products)
            connection.execute(ProductFile.__table__.insert(), files)
    with engine.begin() as connection:
        series = ProductSeries.__table__
        for s, (kind, target) in enumerate(SERIES):
            count = len(range(s, n, len(SERIES)))
            connection.execute(
                update(series)
                .where(series.c.kind == kind, series.c.target == target)
                .values(last_version=count, max_validity_s=14 * 3600)
            )


def valid_at_id(connection, kind, target, at):
    """The bare "valid at t" lookup: the id of the highest version valid at ``at``
    (the series' longest validity, then the indexed SELECT, as :func:`find_valid` does)."""
    longest = max_validity(connection, kind, target)
    if longest is None:
        return None
    return connection.execute(valid_at_statement([Product.id], kind, target, at, longest)).scalar()


def percentile(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


def run_backend(name, url, n, n_upload, n_queries, rng):
    engine = make_engine(url)
    upgrade(engine)
    recorded = datetime(2026, 1, 1)
    t0, cpu0 = time.perf_counter(), time.process_time()
    chunk_rates = []
    n_upload = min(n, n_upload)
    chunk_start, chunk = t0, max(1, n_upload // 10)
    for i in range(n_upload):
        upload(engine, product(i), recorded)
        if (i + 1) % chunk == 0:
            now = time.perf_counter()
            chunk_rates.append(chunk / (now - chunk_start))
            chunk_start = now
            print(f"  {name}: {i + 1} products, {chunk_rates[-1]:.0f}/s", file=sys.stderr)
    fill, fill_cpu = time.perf_counter() - t0, time.process_time() - cpu0
    bulk_fill(engine, n_upload, n, recorded)
    # the bulk rows must look exactly like uploaded ones: re-uploading one is a no-op
    assert not upload(engine, product(n - 1), recorded).created
    nights = n // len(SERIES)
    bare, bare_cpu, full, found = [], [], [], 0
    with engine.connect() as connection, Session(engine) as session:
        if engine.dialect.name == "postgresql":
            connection.exec_driver_sql("ANALYZE product")
            connection.commit()
        for _ in range(n_queries):
            kind, target = rng.choice(SERIES)
            at = BASE + timedelta(days=rng.uniform(0, nights), hours=rng.uniform(0, 14))
            start, start_cpu = time.perf_counter(), time.process_time()
            pid = valid_at_id(connection, kind, target, at)
            bare.append(time.perf_counter() - start)
            bare_cpu.append(time.process_time() - start_cpu)
            start = time.perf_counter()
            hit = find_valid(session, kind, target, at)
            full.append(time.perf_counter() - start)
            found += pid is not None
            assert (hit.id if hit else None) == pid
            session.expunge_all()
        kind, target = SERIES[-1]
        at = BASE + timedelta(days=nights // 2, hours=3)
        longest = max_validity(connection, kind, target)
        statement = valid_at_statement([Product.id], kind, target, at, longest)
        plan = connection.execute(Explain(statement)).all()
    engine.dispose()
    return {
        "backend": name,
        "n": n,
        "n_upload": n_upload,
        "fill_s": fill,
        "upload_rate": n_upload / fill,
        "upload_cpu_ms": 1e3 * fill_cpu / n_upload,
        "bare_cpu_median_ms": 1e3 * statistics.median(bare_cpu),
        "first_tenth_rate": chunk_rates[0] if chunk_rates else None,
        "last_tenth_rate": chunk_rates[-1] if chunk_rates else None,
        "bare_median_ms": 1e3 * statistics.median(bare),
        "bare_p95_ms": 1e3 * percentile(bare, 0.95),
        "full_median_ms": 1e3 * statistics.median(full),
        "full_p95_ms": 1e3 * percentile(full, 0.95),
        "hit_fraction": found / n_queries,
        "plan": ["  ".join(str(c) for c in row) for row in plan],
    }


def postgresql_scratch(base_url):
    import psycopg
    from psycopg import sql
    from sqlalchemy.engine import make_url

    url = make_url(base_url)
    admin = url.set(drivername="postgresql").render_as_string(hide_password=False)
    name = f"calibpipe_bench_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))

    def drop():
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )

    return url.set(database=name).render_as_string(hide_password=False), drop


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000, help="number of products")
    parser.add_argument(
        "--upload-n", type=int, default=10_000, help="products uploaded one by one (timed)"
    )
    parser.add_argument("--queries", type=int, default=5000, help="number of timed queries")
    parser.add_argument(
        "--backend", action="append", choices=["sqlite", "postgresql"], help="default: both"
    )
    parser.add_argument(
        "--pg-url", default=os.environ.get("CALIBPIPE_TEST_POSTGRESQL_URL", DEFAULT_PG_URL)
    )
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    results = []
    for backend in args.backend or ["sqlite", "postgresql"]:
        if backend == "sqlite":
            with tempfile.TemporaryDirectory() as tmp:
                url = f"sqlite:///{Path(tmp) / 'bench.sqlite'}"
                results.append(run_backend("SQLite", url, args.n, args.upload_n, args.queries, rng))
        else:
            url, drop = postgresql_scratch(args.pg_url)
            try:
                results.append(
                    run_backend("PostgreSQL", url, args.n, args.upload_n, args.queries, rng)
                )
            finally:
                drop()

    load = os.getloadavg()
    print(
        f"machine: {platform.node()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
        f"load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f} at the end"
    )
    print()
    print(
        "| backend | products | upload (products/s, first --upload-n) | first / last 10 % of those "
        "| client CPU per upload (ms) | valid-at-t lookup median / p95 (ms) "
        "| lookup client CPU median (ms) | find_valid with files median / p95 (ms) |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for r in results:
        print(
            f"| {r['backend']} | {r['n']:,} | {r['upload_rate']:.0f} (over {r['n_upload']:,}) "
            f"| {r['first_tenth_rate']:.0f} / {r['last_tenth_rate']:.0f} "
            f"| {r['upload_cpu_ms']:.2f} "
            f"| {r['bare_median_ms']:.3f} / {r['bare_p95_ms']:.3f} "
            f"| {r['bare_cpu_median_ms']:.3f} "
            f"| {r['full_median_ms']:.3f} / {r['full_p95_ms']:.3f} |"
        )
    for r in results:
        print()
        print(f"{r['backend']} query plan of the valid-at-t lookup:")
        print()
        print("```")
        print("\n".join(r["plan"]))
        print("```")


if __name__ == "__main__":
    main()
