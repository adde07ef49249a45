"""Validate a SimPipe exchange set of the molecular atmosphere (basic data quality check).

Checks the manifest and every file it lists: the JSON Schemas of the manifest and
of the simtools parameter records, sizes and sha256 checksums, the column
contracts of the simtools ECSV assets (columns, units, descriptions, meta, no
NaN), physical sanity (density and thickness decreasing with altitude, n-1 > 0,
optical depth increasing with altitude and decreasing with wavelength) and that
the native CORSIKA/sim_telarray files hold the same numbers as the assets.

The files are taken from --file (repeatable) or, when not given there, from the
manifest's directory. The first violation ends the step with exit code 3 and one
line naming the file and the problem; on success it writes
``exchange_validation.json``.

A manifest with a clear-night assessment (block ``clear_night``, manifest 1.1.0)
is also checked against the assessment record it names (``clear_night.json``,
from --file or next to the manifest: size, sha256, site, verdict, mean VAOD). A
night that is not clear is not a violation: the report's ``clear_night`` gives
the verdict, a warning line is logged and the exit code is 0.
"""

NAME = "validate-exchange"
HELP = "check a SimPipe atmosphere exchange set (schemas, checksums, units, physical sanity)"
OUTPUT = "exchange_validation.json"


def add_arguments(parser):
    parser.add_argument(
        "--manifest", required=True, help="exchange manifest JSON (atmosphere_exchange_<id>.json)"
    )
    parser.add_argument(
        "--file",
        dest="files",
        action="extend",
        nargs="+",
        default=[],
        metavar="PATH",
        help="files of the set (repeatable); files not given are looked for next to the manifest",
    )


def run(args, ctx):
    from ..io.simpipe import write_json
    from ..io.simpipe_validate import validate_exchange

    manifest = ctx.add_input(args.manifest, role="manifest")
    files = [ctx.add_input(path, role="exchange_file") for path in args.files]
    report = validate_exchange(manifest, files)
    write_json(ctx.output(OUTPUT), report)
    ctx.extra_provenance["product_id"] = report["product_id"]
