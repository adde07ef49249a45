"""A writer process of the concurrency tests (run as a script, not collected by pytest).

    python writer.py URL WRITER_INDEX N_PRODUCTS N_SHARED   -> JSON results on stdout
    python writer.py URL hang                                -> stops inside an upload

Writer ``w`` uploads ``N_PRODUCTS`` products of its own, spread over 8 series
(2 kinds x 4 targets, shared with every other writer, with overlapping validities),
plus ``N_SHARED`` products identical in every writer. ``hang`` starts uploading a
product, and after its first file row is written (inside the transaction) prints
"inside" and sleeps, to be killed.
"""

import json
import sys
import time
from datetime import datetime, timedelta

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
