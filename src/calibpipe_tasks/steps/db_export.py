"""Export a selection of calibration products to files with an index.

Writes the directory ``calibration-export/``: for each selected product a
sub-directory ``<id>/`` with its files (byte-identical to what was uploaded, checked
against their sha256) and, when recorded, ``<id>.provenance.json``; and
``index.json`` listing every product (id, kind, target, validity, version, status,
checksums, meta, file paths relative to the index). Select with ``--kind``,
``--target`` (both repeatable), ``--valid-from``/``--valid-to`` (validity overlapping
that interval) and ``--status``. An empty selection is not an error (an empty index).
"""

import json

from ..db.access import add_database_arguments
from ..db.kinds import KINDS, STATUSES, target_arg, utc_time

NAME = "db-export"
HELP = "export a selection of calibration products to files and an index JSON"
EXPORT_DIR = "calibration-export"
INDEX = "index.json"


def add_arguments(parser):
    parser.add_argument(
        "--kind",
        action="append",
        default=[],
        choices=sorted(KINDS),
        metavar="KIND",
        help="kind (repeatable): " + ", ".join(sorted(KINDS)),
    )
    parser.add_argument(
        "--target", action="append", default=[], type=target_arg, help="target (repeatable)"
    )
    parser.add_argument(
        "--valid-from",
        type=utc_time,
        default=None,
        metavar="TIME",
        help="keep products valid after this time (UTC)",
    )
    parser.add_argument(
        "--valid-to",
        type=utc_time,
        default=None,
        metavar="TIME",
        help="keep products valid before this time (UTC)",
    )
    parser.add_argument(
        "--status", choices=[*STATUSES, "all"], default="all", help="status to export"
    )
    add_database_arguments(parser, writer=False)


def run(args, ctx):
    from datetime import datetime

    from sqlalchemy.orm import Session

    from ..db.access import database_errors, readable_database, write_directory_atomic
    from ..db.repository import CorruptProductError, describe, select_products, verified_files
    from ..errors import InputDataError, UsageError

    overlapping = None
    if args.valid_from is not None or args.valid_to is not None:
        start = args.valid_from or datetime.min
        end = args.valid_to or datetime.max
        if not start < end:
            raise UsageError("--valid-from must be before --valid-to")
        overlapping = (start, end)
    status = None if args.status == "all" else args.status

    engine, label = readable_database(args, ctx)
    files, index = [], []
    try:
        with database_errors(label), Session(engine) as session:
            for product in select_products(session, args.kind, args.target, overlapping, status):
                try:
                    stored = verified_files(product)
                except CorruptProductError as err:
                    raise InputDataError(label, str(err)) from None
                entry = describe(product)
                for item in entry["files"]:
                    item["path"] = f"{product.id}/{item['name']}"
                files += [(f"{product.id}/{name}", data) for name, data in stored]
                if product.provenance is not None:
                    entry["provenance"] = f"{product.id}.provenance.json"
                    files.append((entry["provenance"], product.provenance.encode()))
                index.append(entry)
    finally:
        engine.dispose()
    selection = {
        "kind": sorted(args.kind),
        "target": sorted(args.target),
        "valid_from": args.valid_from.isoformat() + "Z" if args.valid_from else None,
        "valid_to": args.valid_to.isoformat() + "Z" if args.valid_to else None,
        "status": args.status,
    }
    document = {"selection": selection, "products": index}
    files.append((INDEX, (json.dumps(document, indent=2) + "\n").encode()))
    write_directory_atomic(ctx.output_dir / EXPORT_DIR, files)
    ctx.extra_provenance["exported_products"] = [e["id"] for e in index]
