"""Upload one calibration product into the calibration database (one transaction).

The product is the ``--file`` file(s), or an exchange manifest (``--manifest``: a
JSON object with a ``files`` list of ``{name, sha256}``) together with every file it
lists (given with ``--file``, or found next to the manifest); each file's sha256 is
checked, a mismatch is refused (exit 3). ``--provenance`` stores the provenance
record of the step that made the product (its recorded output checksums must match).

Target and validity come from the flags, else from the product's meta
(ECSV table meta or manifest: ``site``/``tel_id``/``target``; ``valid_from``/
``valid_to``, ``validity_start``/``validity_end`` or ``validity: {start[_utc], end[_utc]}``).

Re-uploading identical content is a no-op that returns the existing id; a new
version whose validity overlaps older current versions marks them superseded.
Writes ``upload-receipt.json`` (id, version, created, superseded ids, checksums) and,
unless a live database is used (``--db-url``), the updated copy of the database as
``calibration.sqlite``.
"""

import json

from ..db.access import add_database_arguments, add_recorded_at_argument
from ..db.kinds import KINDS, target_arg, utc_time

NAME = "db-upload"
HELP = "upload a calibration product (files, manifest, provenance) into the database"
RECEIPT = "upload-receipt.json"


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
    add_recorded_at_argument(parser)
    add_database_arguments(parser, writer=True)


def _collect_files(args, ctx):
    """The product's files as FileBlobs, the meta, and the file the meta came from."""
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
        return blobs, meta, files[0]
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
    return blobs, meta, manifest_path


def run(args, ctx):
    from ..db.access import WritableDatabase, database_errors
    from ..db.files import (
        check_provenance_outputs,
        load_provenance,
        target_from_meta,
        validity_from_meta,
    )
    from ..db.kinds import check_target_for_kind, format_utc, normalise_target
    from ..db.repository import NewProduct, upload
    from ..errors import InputDataError, UsageError
    from ..provenance import utc_now

    blobs, meta, meta_file = _collect_files(args, ctx)

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
    if valid_from is None or valid_to is None:
        missing = "--valid-from" if valid_from is None else "--valid-to"
        raise UsageError(
            f"no validity: give {missing} ({meta_file.name} has no validity in its meta)"
        )
    if not valid_from < valid_to:
        raise UsageError(
            f"validity is empty: valid-from {format_utc(valid_from)} is not before "
            f"valid-to {format_utc(valid_to)}"
        )

    provenance = None
    if args.provenance:
        path = ctx.add_input(args.provenance, role="provenance")
        provenance, record = load_provenance(path)
        check_provenance_outputs(record, blobs, path)

    from ..db.kinds import parse_utc

    recorded_at = args.recorded_at or parse_utc(utc_now())
    product = NewProduct(args.kind, target, valid_from, valid_to, blobs, provenance, meta)
    with WritableDatabase(args, ctx) as db, database_errors(db.url):
        result = upload(db.engine, product, recorded_at)

    receipt = {
        **result.as_dict(),
        "kind": args.kind,
        "target": target,
        "valid_from": format_utc(valid_from),
        "valid_to": format_utc(valid_to),
        "files": [{"name": b.name, "sha256": b.sha256, "size": len(b.data)} for b in blobs],
    }
    with open(ctx.output(RECEIPT), "w") as f:
        f.write(json.dumps(receipt, indent=2) + "\n")
    ctx.extra_provenance["product_id"] = result.id
    ctx.extra_provenance["created"] = result.created
