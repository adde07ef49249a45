"""Upload one calibration product into the calibration database (one transaction).

The product is the ``--file`` file(s), or an exchange manifest (``--manifest``: a
JSON object with a ``files`` list of ``{name, sha256}``) together with every file it
lists (given with ``--file``, or found next to the manifest); each file's sha256 is
checked, a mismatch is refused (exit 3). ``--provenance`` stores the provenance
record of the step that made the product (its recorded output checksums must match).

Target and validity come from the flags, else from the product's meta
(ECSV table meta or manifest: ``site``/``tel_id``/``target``; ``valid_from``/
``valid_to``, ``validity_start``/``validity_end`` or ``validity: {start[_utc], end[_utc]}``;
the clear-night record's ``night: {start, end}``).

Telescope kinds (``muon-throughput``, ``muon-psf``): ECSV tables with a ``tel_id``
column, as the muon steps write them for all telescopes, are stored as one product
per telescope (target ``tel_NNN``; the rows of that telescope, validity from their
``time_start``/``time_end``; see :mod:`calibpipe_tasks.db.telescope_split`), all in one
transaction; ``--target tel_NNN`` keeps that telescope only. The receipt then lists
``products`` and the ``skipped`` telescopes (no result row).

Re-uploading identical content is a no-op that returns the existing id; a new
version whose validity overlaps older current versions marks them superseded.
Writes ``upload-receipt.json`` (id, version, created, superseded ids, checksums) and,
unless a live database is used (``--db-url``), the updated copy of the database as
``calibration.sqlite``.
"""

import json
import logging

from ..argtypes import file_basename
from ..db.access import add_database_arguments, add_recorded_at_argument
from ..db.kinds import KINDS, target_arg, utc_time

NAME = "db-upload"
HELP = "upload a calibration product (files, manifest, provenance) into the database"
RECEIPT = "upload-receipt.json"

log = logging.getLogger(__name__)


def add_arguments(parser):
    parser.add_argument(
        "--kind",
        required=True,
        choices=sorted(KINDS),
        metavar="KIND",
        help="product kind: " + "; ".join(f"{k}: {v[0]}" for k, v in sorted(KINDS.items())),
    )
    parser.add_argument(
        "--file",
        action="append",
        default=[],
        metavar="FILE",
        help="a file of the product (repeat for several; with --manifest: the files it lists)",
    )
    parser.add_argument("--manifest", metavar="FILE", help="exchange manifest JSON of the product")
    parser.add_argument(
        "--provenance",
        metavar="FILE",
        help="provenance record (<step>.provenance.json) of the product",
    )
    parser.add_argument(
        "--target",
        type=target_arg,
        default=None,
        help="site (North/South), telescope (tel_NNN) or 'global' (default: from the meta)",
    )
    parser.add_argument(
        "--valid-from", type=utc_time, default=None, metavar="TIME", help="start of validity (UTC)"
    )
    parser.add_argument(
        "--valid-to",
        type=utc_time,
        default=None,
        metavar="TIME",
        help="end of validity (UTC, excluded)",
    )
    parser.add_argument(
        "--receipt",
        type=file_basename,
        default=RECEIPT,
        metavar="NAME",
        help=f"file name of the upload receipt (default {RECEIPT}; e.g. one per upload "
        "of a workflow)",
    )
    add_recorded_at_argument(parser)
    add_database_arguments(parser, writer=True)


def _collect_files(args, ctx):
    """The product's files as FileBlobs, the meta, the file the meta came from, the paths."""
    from ..db.files import parse_manifest, read_blob, read_meta
    from ..errors import InputDataError, UsageError

    files = [ctx.add_input(f, role="product_file") for f in args.file]
    names = [f.name for f in files]
    if len(set(names)) != len(names):
        raise UsageError("two --file inputs have the same file name")
    if args.manifest is None:
        if not files:
            raise UsageError("give the product with --file FILE (or --manifest FILE)")
        blobs = [read_blob(f) for f in files]
        meta = {}
        for f in files:
            meta.update({k: v for k, v in read_meta(f).items() if k not in meta})
        return blobs, meta, files[0], files
    manifest_path = ctx.add_input(args.manifest, role="manifest")
    manifest, listed = parse_manifest(manifest_path)
    given = dict(zip(names, files, strict=True))
    listed_names = {n for n, _ in listed}
    extra = sorted(set(given) - listed_names)
    if extra:
        raise InputDataError(extra[0], f"file is not listed in the manifest {manifest_path.name}")
    if manifest_path.name in listed_names:
        raise InputDataError(manifest_path, "manifest lists itself")
    blobs = [read_blob(manifest_path)]
    for name, digest in listed:
        path = given.get(name)
        if path is None:
            path = manifest_path.parent / name
            if not path.is_file():
                raise InputDataError(
                    manifest_path,
                    f"lists {name}, which was not given (--file) nor found next to it",
                )
            ctx.add_input(path, role="product_file")
        blobs.append(read_blob(path, expected_sha256=digest, listed_in=manifest_path))
        read_meta(path)  # an unreadable ECSV/JSON file is refused
    meta = {k: v for k, v in manifest.items() if k != "files"}
    return blobs, meta, manifest_path, files


def _telescope_products(args, files, tables, meta, provenance):
    """One NewProduct per telescope of the tables' ``tel_id`` column; and the skipped ones."""
    from ..db.kinds import normalise_target
    from ..db.repository import NewProduct
    from ..db.telescope_split import split_by_telescope
    from ..errors import InputDataError

    only = None if args.target is None else int(args.target.removeprefix("tel_"))
    parts, skipped = split_by_telescope(files, tables, only_tel_id=only)
    if only is not None and skipped:
        raise InputDataError(
            files[0], f"telescope {only} has no result row ({skipped[0].reason}): nothing to upload"
        )
    for tel in skipped:
        log.warning("telescope %d has no result row (%s): not uploaded", tel.tel_id, tel.reason)
    products = []
    for part in parts:
        valid_from = args.valid_from or part.valid_from
        valid_to = args.valid_to or part.valid_to
        target = normalise_target(str(part.tel_id))
        _check_validity(valid_from, valid_to, f"{files[0].name} (telescope {part.tel_id})")
        product_meta = {**meta, "tel_id": part.tel_id}
        products.append(
            NewProduct(
                args.kind, target, valid_from, valid_to, part.files, provenance, product_meta
            )
        )
    return products, skipped


def _check_validity(valid_from, valid_to, source):
    from ..db.kinds import format_utc
    from ..errors import UsageError

    if valid_from is None or valid_to is None:
        missing = "--valid-from" if valid_from is None else "--valid-to"
        raise UsageError(f"no validity: give {missing} ({source} has no validity in its meta)")
    if not valid_from < valid_to:
        raise UsageError(
            f"validity is empty: valid-from {format_utc(valid_from)} is not before "
            f"valid-to {format_utc(valid_to)}"
        )


def _single_product(args, blobs, meta, meta_file, provenance):
    """The product as given: target and validity from the flags or the meta."""
    from ..db.files import target_from_meta, validity_from_meta
    from ..db.kinds import check_target_for_kind, normalise_target
    from ..db.repository import NewProduct
    from ..errors import InputDataError, UsageError

    target = args.target
    if target is None:
        raw = target_from_meta(meta)
        if raw is None:
            raise UsageError(f"no target: give --target ({meta_file.name} names none in its meta)")
        try:
            target = normalise_target(raw)
        except ValueError as err:
            raise InputDataError(meta_file, f"meta target: {err}") from None
    try:
        check_target_for_kind(args.kind, target)
    except ValueError as err:
        raise UsageError(str(err)) from None
    meta_from, meta_to = validity_from_meta(meta, meta_file)
    valid_from = args.valid_from or meta_from
    valid_to = args.valid_to or meta_to
    _check_validity(valid_from, valid_to, meta_file.name)
    return NewProduct(args.kind, target, valid_from, valid_to, blobs, provenance, meta)


def _receipt_entry(product, result):
    from ..db.kinds import format_utc

    return {
        **result.as_dict(),
        "kind": product.kind,
        "target": product.target,
        "valid_from": format_utc(product.valid_from),
        "valid_to": format_utc(product.valid_to),
        "files": [{"name": b.name, "sha256": b.sha256, "size": len(b.data)} for b in product.files],
    }


def run(args, ctx):
    from ..db.access import WritableDatabase, database_errors
    from ..db.files import check_provenance_outputs, load_provenance
    from ..db.kinds import KINDS, check_target_for_kind, parse_utc
    from ..db.repository import upload_all
    from ..db.telescope_split import telescope_tables
    from ..errors import UsageError
    from ..provenance import utc_now

    blobs, meta, meta_file, files = _collect_files(args, ctx)

    provenance = None
    if args.provenance:
        path = ctx.add_input(args.provenance, role="provenance")
        provenance, record = load_provenance(path)
        check_provenance_outputs(record, blobs, path)

    telescope_kind = KINDS[args.kind][1] == ("telescope",) and args.manifest is None
    tables = telescope_tables(files) if telescope_kind else {}
    per_telescope = bool(tables)
    if per_telescope:
        if args.target is not None:
            try:
                check_target_for_kind(args.kind, args.target)
            except ValueError as err:
                raise UsageError(str(err)) from None
        products, skipped = _telescope_products(args, files, tables, meta, provenance)
    else:
        products, skipped = [_single_product(args, blobs, meta, meta_file, provenance)], []

    recorded_at = args.recorded_at or parse_utc(utc_now())
    with WritableDatabase(args, ctx) as db, database_errors(db.url):
        # a split where no telescope has a result stores nothing (the database is passed on)
        results = upload_all(db.engine, products, recorded_at) if products else []

    entries = [_receipt_entry(p, r) for p, r in zip(products, results, strict=True)]
    if per_telescope:
        receipt = {
            "products": entries,
            "skipped": [{"tel_id": s.tel_id, "reason": s.reason} for s in skipped],
        }
        ctx.extra_provenance["product_ids"] = [r.id for r in results]
        ctx.extra_provenance["created"] = [r.created for r in results]
    else:
        receipt = entries[0]
        ctx.extra_provenance["product_id"] = results[0].id
        ctx.extra_provenance["created"] = results[0].created
    with open(ctx.output(args.receipt), "w") as f:
        f.write(json.dumps(receipt, indent=2) + "\n")
