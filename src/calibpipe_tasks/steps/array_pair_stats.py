"""Pair statistics of one DL2 file for the array inter- and cross-calibration (UC-120-2.32, 2.33).

Reads a ctapipe DL2 file once, in chunks of events (subarray trigger mask, Hillas
intensity, per-telescope energy and impact distance), finds the telescope pairs
within ``--max-separation``, and for every pair and event in which both have an
image selects the events seen at similar impact distance
(``|d1 - d2| / (d1 + d2) < --equidistance-cut``) with a **pair-symmetric** size
cut on ``sqrt(x1 * x2)`` (``--min-intensity`` [p.e.] for same-type image
amplitudes, ``--min-energy`` [TeV] for the per-telescope energies of any pair),
valid energies and stereo geometry, and optionally ``gammaness >=
--min-gammaness``. Per channel (pair and quantity) it writes the sufficient
statistics of ``y = ln(x1/x2)`` (n, sum, sum of squares, histogram, robust
location, time range, obs_ids) and the cross moments of channels sharing events
(for the errors of ``array-inter-calibration`` / ``array-cross-calibration``).

Writes new files only: ``array_pair_stats.h5`` (the statistics; ``--output-name``)
and ``array_pair_stats.ecsv`` (the channel table, same stem).
"""

from ..argtypes import file_basename, non_negative_float, positive_float, positive_int

NAME = "array-pair-stats"
HELP = "per telescope pair statistics of ln amplitude/energy ratios from one DL2 file"
OUTPUT_HDF5 = "array_pair_stats.h5"
OUTPUT_ECSV = "array_pair_stats.ecsv"


def _type_value(text):
    import argparse

    name, sep, value = str(text).partition("=")
    if not sep or not name:
        raise argparse.ArgumentTypeError(f"expected TYPE=VALUE, got {text!r}")
    return name, positive_float(value)


def add_arguments(parser):
    parser.add_argument(
        "--input", required=True, metavar="DL2.h5", help="ctapipe DL2 file (one observation block)"
    )
    parser.add_argument(
        "--output-name",
        type=file_basename,
        default=OUTPUT_HDF5,
        metavar="NAME.h5",
        help=f"basename of the statistics file (default {OUTPUT_HDF5}); the table is NAME.ecsv "
        "- give each block its own when scattering",
    )
    parser.add_argument(
        "--max-separation",
        type=positive_float,
        default=350.0,
        metavar="M",
        help="largest ground distance of the two telescopes of a pair [m] (default 350)",
    )
    parser.add_argument(
        "--min-separation",
        type=non_negative_float,
        default=0.0,
        metavar="M",
        help="smallest ground distance of a pair [m] (default 0)",
    )
    parser.add_argument(
        "--equidistance-cut",
        type=positive_float,
        default=0.05,
        metavar="F",
        help="maximum |d1 - d2| / (d1 + d2) in intensity channels (default 0.05)",
    )
    parser.add_argument(
        "--energy-equidistance-cut",
        type=positive_float,
        default=0.03,
        metavar="F",
        help="maximum |d1 - d2| / (d1 + d2) in energy channels (default 0.03: the energy "
        "of each telescope carries the error of its own impact distance)",
    )
    parser.add_argument(
        "--min-intensity",
        type=positive_float,
        default=300.0,
        metavar="PE",
        help="minimum sqrt(A1 A2) of same-type amplitudes [p.e.] (default 300)",
    )
    parser.add_argument(
        "--type-min-intensity",
        type=_type_value,
        action="append",
        default=None,
        metavar="TYPE=PE",
        help="minimum sqrt(A1 A2) for one telescope type (repeatable)",
    )
    parser.add_argument(
        "--max-intensity-impact",
        type=positive_float,
        default=None,
        metavar="M",
        help="largest impact distance in intensity channels [m] (default none)",
    )
    parser.add_argument(
        "--min-energy",
        type=positive_float,
        default=1.0,
        metavar="TEV",
        help="minimum sqrt(E1 E2) of the per-telescope energies [TeV] (default 1), "
        "well above the energy threshold of both types",
    )
    parser.add_argument(
        "--max-energy-impact",
        type=positive_float,
        default=200.0,
        metavar="M",
        help="largest impact distance in energy channels [m] (default 200)",
    )
    parser.add_argument(
        "--same-type-quantity",
        choices=["intensity", "energy", "both"],
        default="intensity",
        help="what same-type pairs compare (default intensity); cross-type pairs "
        "always compare energies",
    )
    parser.add_argument(
        "--energy-regressor",
        default=None,
        metavar="NAME",
        help="group under /dl2/event/telescope/energy (default: the only one)",
    )
    parser.add_argument(
        "--impact-reconstructor",
        default=None,
        metavar="NAME",
        help="group under /dl2/event/telescope/impact (default: the only one)",
    )
    parser.add_argument(
        "--classifier",
        default=None,
        metavar="NAME",
        help="group under /dl2/event/subarray/classification for --min-gammaness",
    )
    parser.add_argument(
        "--min-gammaness",
        type=non_negative_float,
        default=None,
        metavar="G",
        help="keep events with gammaness >= G (needs --classifier)",
    )
    parser.add_argument(
        "--chunk-events",
        type=positive_int,
        default=5000,
        metavar="N",
        help="events read per chunk (default 5000)",
    )


def run(args, ctx):
    import logging

    import numpy as np

    from ..array.pair_statistics import (
        PairSelection,
        PairStatistics,
        accumulate,
        channel_size_cuts,
        default_hist_edges,
    )
    from ..array.pairs import ENERGY, INTENSITY, find_channels
    from ..errors import InputDataError, UsageError
    from ..io.array_pair_stats import FORMAT, write_pair_stats
    from ..io.dl2_events import inspect_dl2, iter_chunks

    log = logging.getLogger(__name__)
    path = ctx.add_input(args.input, role="dl2")
    if not args.output_name.endswith(".h5"):
        raise UsageError(f"--output-name must end in .h5: {args.output_name}")
    name_ecsv = args.output_name[: -len(".h5")] + ".ecsv"
    if args.min_gammaness is not None and args.classifier is None:
        raise UsageError("--min-gammaness needs --classifier")
    if args.min_separation > args.max_separation:
        raise UsageError("--min-separation is larger than --max-separation")
    layout = inspect_dl2(path, args.energy_regressor, args.impact_reconstructor, args.classifier)
    if layout.n_events == 0:
        raise InputDataError(path, "no events in /dl1/event/subarray/trigger")
    type_of = dict(zip(layout.tel_ids.tolist(), layout.tel_types.tolist(), strict=True))
    type_min = dict(args.type_min_intensity or [])
    unknown = sorted(set(type_min) - set(type_of.values()))
    if unknown:
        raise UsageError(
            f"--type-min-intensity: no telescope of type {unknown[0]!r} in {path} "
            f"(types: {', '.join(sorted(set(type_of.values())))})"
        )
    same = {"intensity": (INTENSITY,), "energy": (ENERGY,), "both": (INTENSITY, ENERGY)}[
        args.same_type_quantity
    ]
    channels = find_channels(
        layout.tel_ids,
        layout.positions_m,
        layout.tel_types,
        args.max_separation,
        args.min_separation,
        same,
    )
    if len(channels) == 0:
        raise InputDataError(path, f"no telescope pair within {args.max_separation:g} m")
    lo, hi = channel_size_cuts(
        channels, type_of, args.min_intensity, args.min_energy, type_min_intensity=type_min
    )
    max_impact = np.where(
        channels.quantity == INTENSITY,
        np.inf if args.max_intensity_impact is None else args.max_intensity_impact,
        args.max_energy_impact,
    )
    equidistance = np.where(
        channels.quantity == INTENSITY, args.equidistance_cut, args.energy_equidistance_cut
    )
    selection = PairSelection(equidistance, lo, hi, max_impact_m=max_impact)
    stats = PairStatistics(len(channels), default_hist_edges())
    log.info(
        "%s: %d events, %d telescopes, %d channels",
        path.name,
        layout.n_events,
        len(layout.tel_ids),
        len(channels),
    )
    counts = {"candidates": 0, "selected": 0}
    obs_ids = set()
    for chunk in iter_chunks(path, layout, args.chunk_events):
        obs_ids.update(np.unique(chunk["event_obs_id"]).tolist())
        with np.errstate(divide="ignore", invalid="ignore"):
            intensity = chunk["intensity"]
            ln_int = np.where(np.isfinite(intensity) & (intensity > 0), np.log(intensity), np.nan)
            energy = chunk["energy"]
            good_e = chunk["energy_valid"] & np.isfinite(energy) & (energy > 0)
            ln_en = np.where(good_e, np.log(np.where(good_e, energy, 1.0)), np.nan)
            impact = np.where(
                np.isfinite(chunk["impact"]) & (chunk["impact"] >= 0), chunk["impact"], np.nan
            )
        event_ok = chunk["event_ok"]
        if args.min_gammaness is not None:
            event_ok = event_ok & (chunk["gammaness"] >= args.min_gammaness)
        c = accumulate(
            stats,
            channels,
            selection,
            chunk["event_index"],
            chunk["tel_index"],
            ln_int,
            ln_en,
            impact,
            chunk["event_time_mjd"],
            chunk["event_obs_id"],
            event_ok,
        )
        for key in counts:
            counts[key] += c[key]
    log.info(
        "%s: %d telescope events, %d pair measurements of %d candidates",
        path.name,
        stats.n_tel_events,
        counts["selected"],
        counts["candidates"],
    )
    selection_meta = {
        "max_separation_m": args.max_separation,
        "min_separation_m": args.min_separation,
        "equidistance_cut": args.equidistance_cut,
        "energy_equidistance_cut": args.energy_equidistance_cut,
        "min_intensity_pe": args.min_intensity,
        "type_min_intensity_pe": {k: type_min[k] for k in sorted(type_min)},
        "max_intensity_impact_m": args.max_intensity_impact,
        "min_energy_tev": args.min_energy,
        "max_energy_impact_m": args.max_energy_impact,
        "same_type_quantity": args.same_type_quantity,
        "energy_regressor": layout.regressor,
        "impact_reconstructor": layout.reconstructor,
        "classifier": layout.classifier,
        "min_gammaness": args.min_gammaness,
    }
    has = stats.n > 0
    meta = {
        "format": FORMAT,
        "product": "array pair statistics (ln ratios of telescope pairs)",
        "use_case": "UC-120-2.32, UC-120-2.33",
        "input": {"name": path.name, "sha256": ctx.input_sha256(path)},
        "obs_ids": sorted(obs_ids),
        "n_events": stats.n_events,
        "n_tel_events": stats.n_tel_events,
        "n_pair_measurements": counts["selected"],
        "time_min_mjd_tai": float(stats.time_min[has].min()) if has.any() else None,
        "time_max_mjd_tai": float(stats.time_max[has].max()) if has.any() else None,
        "selection": selection_meta,
    }
    positions = {
        int(t): [float(v) for v in p]
        for t, p in zip(layout.tel_ids, layout.positions_m, strict=True)
    }
    write_pair_stats(
        ctx.output(args.output_name),
        ctx.output(name_ecsv),
        channels,
        stats,
        type_of,
        positions,
        meta,
    )
    ctx.extra_provenance["n_tel_events"] = stats.n_tel_events
    ctx.extra_provenance["n_pair_measurements"] = counts["selected"]
