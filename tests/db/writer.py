"""A writer process of the concurrency tests (run as a script, not collected by pytest).

    python writer.py URL WRITER_INDEX N_PRODUCTS N_SHARED   -> JSON results on stdout
    python writer.py URL hang                                -> stops inside an upload
    python writer.py URL read STOP_FILE                      -> queries until STOP_FILE exists

Writer ``w`` uploads ``N_PRODUCTS`` products of its own, spread over 8 series
(2 kinds x 4 targets, shared with every other writer, with overlapping validities),
plus ``N_SHARED`` products identical in every writer. ``hang`` starts uploading a
product, and after its product and file rows are written (inside the transaction)
prints "inside" and sleeps, to be killed. ``read`` asks "valid at t" for random series
and times while the writers run, and checks every answer is a whole product (both files,
checksums, content digest); it prints the numbers of queries and of products found.
"""

import json
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

from calibpipe_tasks.db.engine import make_engine
from calibpipe_tasks.db.repository import FileBlob, NewProduct, upload

BASE = datetime(2025, 1, 1)
KINDS = ("atmospheric-profile", "atmospheric-extinction")
TARGETS = ("North", "South", "North", "South")  # 2 kinds x 4 (kind, target, offset) series
SERIES = [(k, t, i) for k in KINDS for i, t in enumerate(TARGETS)]


def make_product(tag, index):
    """Product number ``index`` with content tag ``tag``: 2 small files, 2-hour validity."""
    kind, target, offset = SERIES[index % len(SERIES)]
    start = BASE + timedelta(hours=index) + timedelta(days=365 * offset)
    files = [
        FileBlob("table.ecsv", f"# {tag} {index}\nvalue {index}\n".encode()),
        FileBlob("manifest.json", f'{{"tag": "{tag}", "index": {index}}}\n'.encode()),
    ]
    return NewProduct(kind, target, start, start + timedelta(hours=2), files, None, {"i": index})


def read_until(engine, stop_file):
    """Query while the writers write; every product found must be whole."""
    import random

    from sqlalchemy.orm import Session

    from calibpipe_tasks.db.repository import find_valid, verified_files

    rng = random.Random(7)
    queries = found = 0
    with Session(engine) as session:
        while not stop_file.exists() or queries < 100:
            kind, target, offset = rng.choice(SERIES)
            at = BASE + timedelta(days=365 * offset, hours=rng.uniform(0, 110_000))
            session.rollback()  # a fresh snapshot per query
            product = find_valid(session, kind, target, at)
            queries += 1
            if product is not None:
                files = dict(verified_files(product))  # raises on a half or corrupt product
                assert sorted(files) == ["manifest.json", "table.ecsv"], sorted(files)
                assert product.valid_from <= at < product.valid_to
                found += 1
            session.expunge_all()
    engine.dispose()
    json.dump({"queries": queries, "found": found}, sys.stdout)


def main(argv):
    url = argv[1]
    engine = make_engine(url)
    if argv[2] == "hang":
        from sqlalchemy import event

        @event.listens_for(engine, "after_cursor_execute")
        def _stop(conn, cursor, statement, parameters, context, executemany):
            if statement.startswith("INSERT INTO product_file"):
                print("inside", flush=True)  # product row and files written, not committed
                time.sleep(600)

        upload(engine, make_product("killed", 0), BASE)
        return
    if argv[2] == "read":
        read_until(engine, Path(argv[3]))
        return
    writer, n_products, n_shared = (int(a) for a in argv[2:5])
    results = {"own": [], "shared": []}
    for j in range(n_products):
        index = 100_000 + writer * n_products + j
        result = upload(engine, make_product(f"w{writer}", index), BASE)
        results["own"].append([index, result.id, result.created])
    for j in range(n_shared):
        result = upload(engine, make_product("shared", j), BASE)
        results["shared"].append([j, result.id, result.created])
    engine.dispose()
    json.dump(results, sys.stdout)


if __name__ == "__main__":
    main(sys.argv)
