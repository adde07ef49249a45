"""Throughput scale of each telescope type relative to a reference type (UC-120-2.33).

Takes the pair statistics (``array-pair-stats`` files) and the inter-calibration
made from them (``array_inter_calibration.ecsv``). Each cross-type energy channel
mean is corrected once by the inter-calibration of its two telescopes,
``mean ln(E1/E2) - (ln c1 - ln c2)``, and ``ln s_T1 - ln s_T2`` is fitted by
weighted linear least squares with ``s = 1`` for ``--reference-type`` (Mitchell
et al. 2015, arXiv:1510.06526). Each energy is divided by its coefficients once:
no renormalisation to a mean coefficient (the anchor's +11-13 % bias). The
per-telescope result ``c_t * s_T`` is the throughput relative to the geometric
mean of the reference type; its covariance propagates both stages through the
channel means with their shared events (errors counted per event).

The inter-calibration must belong to the same observation blocks and reproduce
from the pair statistics (it is recomputed with its recorded settings and
compared): otherwise exit 3.

Writes new files only: ``array_cross_calibration.ecsv`` (per telescope),
``array_cross_calibration_types.ecsv`` (per type) and ``array_cross_calibration.h5``.
"""

from .array_inter_calibration import at_least_two

NAME = "array-cross-calibration"
HELP = "throughput scale per telescope type relative to a reference type from cross-type pairs"
OUTPUT_ECSV = "array_cross_calibration.ecsv"
OUTPUT_TYPES = "array_cross_calibration_types.ecsv"
OUTPUT_HDF5 = "array_cross_calibration.h5"
METHOD = (
    "weighted linear least squares of inter-calibrated mean ln energy ratios of cross-type "
    "pairs, sandwich covariance through both stages with the events shared between pairs"
)
#: largest difference of ln c between the given and the recomputed inter-calibration
REPRODUCE_TOLERANCE = 1e-9


def add_arguments(parser):
    parser.add_argument(
        "--input",
        nargs="+",
        required=True,
        metavar="PAIRS.h5",
        help="pair statistics files of array-pair-stats (different observation blocks)",
    )
    parser.add_argument(
        "--inter-calibration",
        required=True,
        metavar="INTER.ecsv",
        help="array_inter_calibration.ecsv made from the same pair statistics",
    )
    parser.add_argument(
        "--reference-type",
        default="LST",
        metavar="TYPE",
        help="reference telescope type: a ctapipe type string (LST_LST_LSTCam) or its first "
        "part (LST) if unique (default LST)",
    )
    parser.add_argument(
        "--min-events",
        type=at_least_two,
        default=10,
        metavar="N",
        help="cross-type channels with fewer selected events are left out (default 10)",
    )


def _resolve_type(name, types, where):
    from ..errors import InputDataError

    types = sorted(set(types))
    if name in types:
        return name
    matches = [t for t in types if t.split("_")[0] == name]
    if len(matches) == 1:
        return matches[0]
    raise InputDataError(
        where, f"reference type {name!r} is not a telescope type here (types: {', '.join(types)})"
    )


def run(args, ctx):
    import logging

    import numpy as np
    from astropy.table import Table

    from ..array.fit import cross_calibrate, inter_calibrate
    from ..errors import InputDataError
    from ..io.array_pair_stats import gather
    from ..io.array_products import describe, mjd_tai_to_time, write_hdf5
    from .array_inter_calibration import telescope_time_range

    log = logging.getLogger(__name__)
    paths = ctx.add_inputs(args.input, role="array_pair_stats")
    inter_path = ctx.add_input(args.inter_calibration, role="array_inter_calibration")
    data, info = gather(paths)
    try:
        given = Table.read(inter_path, format="ascii.ecsv")
    except Exception as err:  # noqa: BLE001 - astropy raises many types for a bad ECSV
        first = str(err).splitlines()[0] if str(err) else type(err).__name__
        raise InputDataError(inter_path, f"not a readable ECSV table ({first})") from None
    meta = given.meta
    if meta.get("use_case") != "UC-120-2.32" or "tel_id" not in given.colnames:
        raise InputDataError(inter_path, "not an array-inter-calibration table")
    if sorted(meta.get("obs_ids", [])) != info["obs_ids"]:
        raise InputDataError(
            inter_path,
            f"made from observation blocks {meta.get('obs_ids')}, the pair statistics hold "
            f"{info['obs_ids']}: inputs do not belong together",
        )
    ref_type = _resolve_type(args.reference_type, info["tel_types"], paths[0])
    type_of = dict(zip(info["tel_ids"].tolist(), info["tel_types"].tolist(), strict=True))
    refs = {type_of[int(r)]: int(r) for r in meta.get("reference_telescopes", [])}
    try:
        inter = inter_calibrate(
            data,
            info["tel_ids"],
            info["tel_types"],
            meta.get("quantity", "intensity"),
            refs,
            int(meta.get("min_events", 10)),
        )
    except ValueError as err:
        raise InputDataError(
            inter_path, f"does not reproduce from the pair statistics ({err})"
        ) from None
    given_ln = dict(
        zip(np.asarray(given["tel_id"]).tolist(), np.asarray(given["ln_coefficient"]), strict=True)
    )
    for t, v in zip(inter.tel_ids.tolist(), inter.ln_c.tolist(), strict=True):
        g = given_ln.get(t, np.nan)
        same = (np.isnan(g) and np.isnan(v)) or abs(g - v) <= REPRODUCE_TOLERANCE
        if not same:
            raise InputDataError(
                inter_path,
                f"telescope {t}: ln c {g} differs from {v} recomputed from the pair statistics "
                "(made from other inputs or settings)",
            )
    try:
        cross = cross_calibrate(data, inter, ref_type, args.min_events)
    except ValueError as err:
        raise InputDataError(
            paths[0] if len(paths) == 1 else f"{len(paths)} inputs", str(err)
        ) from None
    for c, why in cross.dropped:
        log.info(
            "channel %s %d-%d dropped: %s", data.quantity[c], data.tel_1[c], data.tel_2[c], why
        )
    for name, status in zip(cross.types.tolist(), cross.type_status.tolist(), strict=True):
        if status != "ok":
            log.warning("type %s: %s", name, status)

    cross_used = np.flatnonzero(
        (data.quantity == "energy")
        & np.array(
            [type_of[a] != type_of[b] for a, b in zip(data.tel_1, data.tel_2, strict=True)],
            dtype=bool,
        )
        & (data.n >= args.min_events)
    )
    used = np.union1d(inter.used, cross_used)
    tmin, tmax = telescope_time_range(cross.tel_ids, used, data, info)
    finite_min = info["time_min"][np.isfinite(info["time_min"])]
    finite_max = info["time_max"][np.isfinite(info["time_max"])]
    all_min, all_max = float(finite_min.min()), float(finite_max.max())
    tmin = np.where(np.isfinite(tmin), tmin, all_min)
    tmax = np.where(np.isfinite(tmax), tmax, all_max)
    tpos = {name: i for i, name in enumerate(cross.types.tolist())}
    tel_scale = np.array([cross.ln_scale[tpos[t]] for t in cross.tel_type])

    table = Table()
    table["tel_id"] = cross.tel_ids.astype(np.int16)
    table["telescope_type"] = cross.tel_type.astype(str)
    table["coefficient"] = np.exp(cross.ln_c)
    table["coefficient_err"] = np.exp(cross.ln_c) * cross.ln_err
    table["ln_coefficient"] = cross.ln_c
    table["ln_coefficient_err"] = cross.ln_err
    table["inter_coefficient"] = np.exp(inter.ln_c)
    table["type_scale"] = np.exp(tel_scale)
    table["time_start"] = mjd_tai_to_time(tmin)
    table["time_end"] = mjd_tai_to_time(tmax)
    table["status"] = cross.status.astype(str)
    describe(
        table,
        {
            "tel_id": "telescope id",
            "telescope_type": "telescope type (ctapipe)",
            "coefficient": "throughput relative to the geometric mean of the reference type: "
            "inter_coefficient * type_scale",
            "coefficient_err": "standard error of coefficient (both stages, shared events)",
            "ln_coefficient": "ln coefficient",
            "ln_coefficient_err": "standard error of ln coefficient",
            "inter_coefficient": "relative throughput within the type (array-inter-calibration)",
            "type_scale": "throughput scale of the type relative to the reference type",
            "time_start": "first selected event of the telescope's pairs (UTC)",
            "time_end": "last selected event of the telescope's pairs (UTC)",
            "status": "ok, or why there is no value",
        },
    )
    common = {
        "product": "array cross-calibration (throughput relative to a reference type)",
        "use_case": "UC-120-2.33",
        "method": METHOD,
        "references": "Mitchell et al. 2015 arXiv:1510.06526; Hofmann 2003 astro-ph/0302346",
        "reference_type": ref_type,
        "min_events": args.min_events,
        "obs_ids": list(info["obs_ids"]),
        "validity_start": mjd_tai_to_time([all_min])[0].isot,
        "validity_end": mjd_tai_to_time([all_max])[0].isot,
        "chi2": float(cross.chi2),
        "ndf": int(cross.ndf),
        "n_pairs": int(cross.n_channels),
        "n_events": int(cross.n_measurements),
        "inter_calibration": {"name": inter_path.name, "quantity": meta.get("quantity")},
        "selection": info["selection"],
    }
    table.meta.update(common)
    table.meta["dropped_pairs"] = [
        f"{data.quantity[c]} {data.tel_1[c]}-{data.tel_2[c]}: {why}" for c, why in cross.dropped
    ]
    types = Table()
    types["telescope_type"] = cross.types.astype(str)
    types["scale"] = np.exp(cross.ln_scale)
    types["scale_err"] = np.exp(cross.ln_scale) * cross.ln_scale_err
    types["ln_scale"] = cross.ln_scale
    types["ln_scale_err"] = cross.ln_scale_err
    types["n_pairs"] = cross.n_channels_type
    types["n_events"] = cross.n_measurements_type
    types["status"] = cross.type_status.astype(str)
    describe(
        types,
        {
            "telescope_type": "telescope type (ctapipe)",
            "scale": "throughput of the type (geometric mean) relative to the reference type",
            "scale_err": "standard error of scale",
            "ln_scale": "ln scale",
            "ln_scale_err": "standard error of ln scale (both stages, shared events)",
            "n_pairs": "cross-type pairs of this type used",
            "n_events": "selected events of those pairs",
            "status": "ok, or why there is no value",
        },
    )
    types.meta.update(common)
    table.write(ctx.output(OUTPUT_ECSV), format="ascii.ecsv", overwrite=True)
    types.write(ctx.output(OUTPUT_TYPES), format="ascii.ecsv", overwrite=True)
    write_hdf5(ctx.output(OUTPUT_HDF5), "cross", {"coefficients": table, "types": types})
    ctx.extra_provenance["chi2"] = float(cross.chi2)
    ctx.extra_provenance["ndf"] = int(cross.ndf)
