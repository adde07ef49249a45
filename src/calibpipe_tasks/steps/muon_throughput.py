"""Optical throughput per telescope from muon rings (UC-120-2.2).

Reads the ctapipe DL1 muon tables (``/dl1/event/telescope/muon/tel_NNN``) of one
or many files, joins each ring to its trigger time on (obs_id, event_id,
tel_id), keeps the rings passing the quality selection (ctapipe ``QualityQuery``
expressions on the muon table columns, in the stored units: deg, m; common cuts
plus cuts per telescope type), and aggregates their optical efficiency per
telescope in chunks of time (``--chunk-duration``) or of ring count
(``--chunk-rings``): sigma-clipped mean, median, standard deviation, standard
error, number of rings, time range and obs_ids. A telescope without any ring
passing the cuts gets one row with ``n_rings = 0`` and status saying so.

Writes new files only (inputs are never modified): ``muon_throughput.ecsv`` and
``muon_throughput.h5`` with the table of each telescope at
``/dl1/monitoring/telescope/calibration/optical_throughput/muon/tel_NNN``.
"""

from ..argtypes import positive_float, positive_int
from .muon_options import (
    add_clipping_arguments,
    add_muon_input_argument,
    add_selection_arguments,
    selection_from_args,
)

NAME = "muon-throughput"
HELP = "optical throughput per telescope and time chunk from muon ring efficiencies"
OUTPUT_ECSV = "muon_throughput.ecsv"
OUTPUT_HDF5 = "muon_throughput.h5"


def add_arguments(parser):
    add_muon_input_argument(parser)
    chunk = parser.add_mutually_exclusive_group()
    chunk.add_argument(
        "--chunk-duration",
        type=positive_float,
        default=None,
        metavar="SECONDS",
        help="chunk length in seconds, boundaries from the first ring (default 1800)",
    )
    chunk.add_argument(
        "--chunk-rings",
        type=positive_int,
        default=None,
        metavar="N",
        help="chunk by N consecutive rings per telescope instead of by time",
    )
    parser.add_argument(
        "--chunk-start",
        default=None,
        metavar="TIME",
        help="start of the first time chunk, ISO UTC (default: the first ring's time)",
    )
    add_clipping_arguments(parser)
    add_selection_arguments(parser)


def run(args, ctx):
    import numpy as np
    from astropy.table import Table
    from astropy.time import Time

    from ..errors import UsageError
    from ..io.dl1_files import hdf5_without_timestamps
    from ..io.muon_monitoring import THROUGHPUT_GROUP, write_monitoring_hdf5
    from ..muon.throughput import throughput_per_chunk
    from .muon_options import read_selected_rings

    paths = ctx.add_inputs(args.input, role="dl1_muon")
    cuts, type_cuts = selection_from_args(args)
    duration = args.chunk_duration
    if duration is None and args.chunk_rings is None:
        duration = 1800.0

    origin_mjd = None
    if args.chunk_start is not None:
        if args.chunk_rings is not None:
            raise UsageError("--chunk-start applies to time chunks, not to --chunk-rings")
        try:
            origin_mjd = Time(args.chunk_start, scale="utc").tai.mjd
        except ValueError:
            raise UsageError(f"--chunk-start is not an ISO time: {args.chunk_start!r}") from None

    rings, selected, counts = read_selected_rings(paths, cuts, type_cuts)
    c = rings.columns
    efficiency = c.get("muonefficiency_optical_efficiency", np.zeros(0))
    columns = throughput_per_chunk(
        c["tel_id"][selected],
        c["time_mjd"][selected],
        efficiency[selected],
        c["obs_id"][selected],
        all_tel_ids=rings.subarray.tel_ids,
        chunk_duration_s=duration,
        chunk_rings=args.chunk_rings,
        origin_mjd=origin_mjd,
        sigma=args.sigma,
        maxiters=args.max_iters,
    )

    table = Table()
    table["tel_id"] = columns["tel_id"].astype(np.int16)
    table["telescope_type"] = [str(rings.subarray.tel[int(t)]) for t in columns["tel_id"]]
    table["chunk"] = columns["chunk"].astype(np.int32)
    table["time_start"] = Time(columns["time_start_mjd"], format="mjd", scale="tai")
    table["time_end"] = Time(columns["time_end_mjd"], format="mjd", scale="tai")
    table["n_rings"] = columns["n_rings"].astype(np.int64)
    table["n_used"] = columns["n_used"].astype(np.int64)
    for name in ("mean", "median", "std", "sem"):
        table[name] = columns[name]
    table["obs_ids"] = np.asarray(columns["obs_ids"], dtype=str)
    table["status"] = np.where(columns["n_rings"] > 0, "ok", "no rings passing cuts")
    for time_col in ("time_start", "time_end"):
        table[time_col].format = "isot"
    descriptions = {
        "tel_id": "telescope id",
        "telescope_type": "telescope type (ctapipe)",
        "chunk": "chunk number (per telescope; by time from the first ring, or by ring count)",
        "time_start": "trigger time of the first ring in the chunk (TAI)",
        "time_end": "trigger time of the last ring in the chunk (TAI)",
        "n_rings": "rings passing the quality cuts in the chunk",
        "n_used": "rings kept by the sigma clipping",
        "mean": "sigma-clipped mean optical efficiency (the optical throughput)",
        "median": "median optical efficiency of the clipped rings",
        "std": "standard deviation of the clipped efficiencies (ddof=0)",
        "sem": "standard error of the mean, std / sqrt(n_used)",
        "obs_ids": "observation ids of the rings (comma-separated)",
        "status": "ok, or why the row has no value",
    }
    for name, text in descriptions.items():
        table[name].description = text
    table.meta.update(
        {
            "product": "optical throughput from muon rings",
            "use_case": "UC-120-2.2",
            "method": "Muon Rings",
            "chunking": (f"{args.chunk_rings} rings" if args.chunk_rings else f"{duration:g} s"),
            "sigma_clip": {"sigma": args.sigma, "maxiters": args.max_iters},
            "cuts": list(cuts),
            "type_cuts": [f"{p}={e}" for p, e in type_cuts],
            "input_files": [p.name for p in paths],
        }
    )
    table.write(ctx.output(OUTPUT_ECSV), format="ascii.ecsv", overwrite=True)
    with hdf5_without_timestamps():
        write_monitoring_hdf5(ctx.output(OUTPUT_HDF5), table, THROUGHPUT_GROUP, rings.subarray)
    ctx.extra_provenance["n_rings_read"] = len(rings)
    ctx.extra_provenance["n_rings_selected"] = int(np.count_nonzero(selected))
    ctx.extra_provenance["selection"] = counts
