"""Find the calibration product valid at a time and write its files back out.

Answers "what is valid at time ``--at`` for ``--target``": among the products of
``--kind`` for that target whose validity ``[valid_from, valid_to)`` contains the
time, the one with the highest version. With ``--as-of``, only products uploaded at
or before that time count (the answer the database gave then).

Writes the product's files, byte-identical to what was uploaded (each checked
against its stored sha256; a mismatch exits 3), into the directory
``calibration-product/``, and ``query-result.json`` describing the product (id,
version, status, validity, checksums, meta) with its provenance record as
``calibration-product.provenance.json``. Nothing valid: exit 3.
"""

import json

from ..db.access import add_database_arguments
from ..db.kinds import KINDS, target_arg, utc_time

NAME = "db-query"
HELP = "get the calibration product valid at a time for a site/telescope (latest version)"
PRODUCT_DIR = "calibration-product"
RESULT = "query-result.json"
PRODUCT_PROVENANCE = "calibration-product.provenance.json"


def add_arguments(parser):
    parser.add_argument(
        "--kind",
        required=True,
        choices=sorted(KINDS),
        metavar="KIND",
        help="product kind: " + ", ".join(sorted(KINDS)),
    )
    parser.add_argument(
        "--target",
        required=True,
        type=target_arg,
        help="site (North/South), telescope (tel_NNN) or 'global'",
    )
    parser.add_argument("--at", required=True, type=utc_time, metavar="TIME", help="time (UTC)")
    parser.add_argument(
        "--as-of",
        type=utc_time,
        default=None,
        metavar="TIME",
        help="answer as the database would have at this past time (UTC)",
    )
    add_database_arguments(parser, writer=False)


def run(args, ctx):
    from sqlalchemy.orm import Session

    from ..db.access import database_errors, readable_database, write_directory_atomic
    from ..db.kinds import format_utc
    from ..db.repository import CorruptProductError, describe, find_valid, verified_files
    from ..errors import InputDataError

    engine, label = readable_database(args, ctx)
    try:
        with database_errors(label), Session(engine) as session:
            product = find_valid(session, args.kind, args.target, args.at, args.as_of)
            if product is None:
                when = format_utc(args.at)
                if args.as_of:
                    when += f" as of {format_utc(args.as_of)}"
                message = f"no {args.kind} product for {args.target} valid at {when}"
                raise InputDataError(label, message)
            try:
                files = verified_files(product)
            except CorruptProductError as err:
                raise InputDataError(label, str(err)) from None
            summary = describe(product)
            provenance = product.provenance
    finally:
        engine.dispose()

    with open(ctx.output(RESULT), "w") as f:
        f.write(json.dumps(summary, indent=2) + "\n")
    if provenance is not None:
        with open(ctx.output(PRODUCT_PROVENANCE), "w") as f:
            f.write(provenance)
    written = write_directory_atomic(ctx.output_dir / PRODUCT_DIR, files)
    ctx.extra_provenance["product_id"] = summary["id"]
    ctx.extra_provenance["product_files"] = [
        {"path": str(p), "sha256": s["sha256"]}
        for p, s in zip(written, summary["files"], strict=True)
    ]
