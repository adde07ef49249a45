"""Relative throughput of the telescopes of each type from shower events (UC-120-2.32).

Gathers the pair statistics of any number of observation blocks
(``array-pair-stats`` files; every file a different block, same telescopes and
selection) and fits, per telescope type, ``ln c`` of every telescope by weighted
linear least squares of the channel means ``mean ln(x1/x2) = ln c1 - ln c2``
(Hofmann 2003, astro-ph/0302346) with a gauge: ``--reference-telescope`` (its
``c = 1``) or, for a type without one, the type mean (geometric mean of the
type's ``c = 1``). Errors are the sandwich covariance with the full covariance
of the channel means, which the cross moments of the events shared by several
pairs give exactly (no independence assumed). A channel with fewer than
``--min-events`` selected events is left out with a log line; a reference
telescope without a usable channel is an error (exit 3).

Writes new files only: ``array_inter_calibration.ecsv`` (per telescope),
``array_inter_calibration_covariance.ecsv`` (covariance of ``ln c``, long form)
and ``array_inter_calibration.h5`` (both tables).
"""

from ..argtypes import positive_int


def at_least_two(text):
    """An integer >= 2 (a pair with one event has no variance)."""
    import argparse

    value = positive_int(text)
    if value < 2:
        raise argparse.ArgumentTypeError(f"must be at least 2: {value}")
    return value


NAME = "array-inter-calibration"
HELP = "relative throughput of the telescopes of each type from pair statistics of shower events"
OUTPUT_ECSV = "array_inter_calibration.ecsv"
OUTPUT_COV = "array_inter_calibration_covariance.ecsv"
OUTPUT_HDF5 = "array_inter_calibration.h5"
METHOD = (
    "weighted linear least squares of mean ln amplitude ratios of equidistant telescope "
    "pairs, sandwich covariance from the events shared between pairs"
)


def add_arguments(parser):
    parser.add_argument(
        "--input",
        nargs="+",
        required=True,
        metavar="PAIRS.h5",
        help="pair statistics files of array-pair-stats (different observation blocks)",
    )
    parser.add_argument(
        "--quantity",
        choices=["intensity", "energy"],
        default="intensity",
        help="which same-type channels to fit (default intensity)",
    )
    parser.add_argument(
        "--reference-telescope",
        type=positive_int,
        action="append",
        default=None,
        metavar="TEL_ID",
        help="reference telescope of its type (c = 1; repeatable, one per type); "
        "types without one use the type mean",
    )
    parser.add_argument(
        "--min-events",
        type=at_least_two,
        default=10,
        metavar="N",
        help="channels with fewer selected events are left out (default 10)",
    )


def resolve_references(refs, info, where):
    """``type -> tel_id`` of the ``--reference-telescope`` ids (usage errors for bad ids)."""
    from ..errors import UsageError

    type_of = dict(zip(info["tel_ids"].tolist(), info["tel_types"].tolist(), strict=True))
    out = {}
    for ref in refs or []:
        if ref not in type_of:
            raise UsageError(f"--reference-telescope {ref}: no such telescope in {where}")
        if type_of[ref] in out:
            raise UsageError(f"--reference-telescope: two references for type {type_of[ref]}")
        out[type_of[ref]] = ref
    return out


def telescope_time_range(result_tel_ids, used, data, info):
    """Per telescope, (first, last) selected event time (MJD TAI) over its used channels."""
    import numpy as np

    tmin = np.full(len(result_tel_ids), np.nan)
    tmax = np.full(len(result_tel_ids), np.nan)
    for i, t in enumerate(result_tel_ids.tolist()):
        mine = used[(data.tel_1[used] == t) | (data.tel_2[used] == t)]
        if mine.size:
            tmin[i] = info["time_min"][mine].min()
            tmax[i] = info["time_max"][mine].max()
    return tmin, tmax


def run(args, ctx):
    import logging

    import numpy as np

    from ..array.fit import inter_calibrate
    from ..errors import InputDataError
    from ..io.array_pair_stats import gather
    from ..io.array_products import write_hdf5

    log = logging.getLogger(__name__)
    paths = ctx.add_inputs(args.input, role="array_pair_stats")
    data, info = gather(paths)
    refs = resolve_references(args.reference_telescope, info, paths[0])
    try:
        result = inter_calibrate(
            data, info["tel_ids"], info["tel_types"], args.quantity, refs, args.min_events
        )
    except ValueError as err:
        raise InputDataError(
            paths[0] if len(paths) == 1 else f"{len(paths)} inputs", str(err)
        ) from None
    for c, why in result.dropped:
        log.info(
            "channel %s %d-%d dropped: %s", data.quantity[c], data.tel_1[c], data.tel_2[c], why
        )
    if not np.any(result.status == "ok"):
        raise InputDataError(
            paths[0],
            f"no telescope pair with >= {args.min_events} selected "
            f"{args.quantity} events: nothing to calibrate",
        )
    for t, s in zip(result.tel_ids.tolist(), result.status.tolist(), strict=True):
        if s != "ok":
            log.warning("telescope %d: %s", t, s)
    table = inter_table(result, data, info, args)
    cov = covariance_table(result.tel_ids, result.tel_type, result.status, result.cov)
    cov.meta.update({k: table.meta[k] for k in ("product", "use_case", "obs_ids")})
    table.write(ctx.output(OUTPUT_ECSV), format="ascii.ecsv", overwrite=True)
    cov.write(ctx.output(OUTPUT_COV), format="ascii.ecsv", overwrite=True)
    write_hdf5(ctx.output(OUTPUT_HDF5), "inter", {"coefficients": table, "covariance": cov})
    ctx.extra_provenance["types"] = result.type_summary


def inter_table(result, data, info, args):
    """The per-telescope table of an :class:`InterCalibration`."""
    import numpy as np
    from astropy.table import Table

    from ..io.array_products import describe, mjd_tai_to_time

    tmin, tmax = telescope_time_range(result.tel_ids, result.used, data, info)
    all_min = np.nanmin(info["time_min"][np.isfinite(info["time_min"])])
    all_max = np.nanmax(info["time_max"][np.isfinite(info["time_max"])])
    tmin = np.where(np.isfinite(tmin), tmin, all_min)
    tmax = np.where(np.isfinite(tmax), tmax, all_max)
    gauge = [str(result.type_summary.get(t, {}).get("reference", "none")) for t in result.tel_type]
    table = Table()
    table["tel_id"] = result.tel_ids.astype(np.int16)
    table["telescope_type"] = result.tel_type.astype(str)
    table["coefficient"] = np.exp(result.ln_c)
    table["coefficient_err"] = np.exp(result.ln_c) * result.ln_err
    table["ln_coefficient"] = result.ln_c
    table["ln_coefficient_err"] = result.ln_err
    table["ln_coefficient_err_naive"] = result.ln_err_naive
    table["gauge"] = np.asarray(gauge, dtype=str)
    table["n_pairs"] = result.n_channels.astype(np.int64)
    table["n_events"] = result.n_measurements.astype(np.int64)
    table["time_start"] = mjd_tai_to_time(tmin)
    table["time_end"] = mjd_tai_to_time(tmax)
    table["status"] = result.status.astype(str)
    describe(
        table,
        {
            "tel_id": "telescope id",
            "telescope_type": "telescope type (ctapipe)",
            "coefficient": "relative throughput c within the type (gauge: reference telescope or "
            "geometric mean of the type = 1)",
            "coefficient_err": "standard error of c (c * ln_coefficient_err)",
            "ln_coefficient": "ln c",
            "ln_coefficient_err": "standard error of ln c: sandwich covariance with the events "
            "shared between pairs",
            "ln_coefficient_err_naive": "standard error of ln c if pairs were independent",
            "gauge": "reference telescope id of the type, or mean (type geometric mean = 1)",
            "n_pairs": "pairs (channels) of this telescope used in the fit",
            "n_events": "selected pair events of this telescope used in the fit",
            "time_start": "first selected event of the telescope's pairs (UTC)",
            "time_end": "last selected event of the telescope's pairs (UTC)",
            "status": "ok, or why there is no value",
        },
    )
    table.meta.update(
        {
            "product": "array inter-calibration (relative throughput per telescope type)",
            "use_case": "UC-120-2.32",
            "method": METHOD,
            "references": "Hofmann 2003 astro-ph/0302346; Mitchell et al. 2015 arXiv:1510.06526",
            "quantity": args.quantity,
            "min_events": args.min_events,
            "reference_telescopes": sorted(int(r) for r in (args.reference_telescope or [])),
            "types": {
                k: {kk: (float(vv) if isinstance(vv, float) else vv) for kk, vv in v.items()}
                for k, v in result.type_summary.items()
            },
            "obs_ids": list(info["obs_ids"]),
            "validity_start": mjd_tai_to_time([all_min])[0].isot,
            "validity_end": mjd_tai_to_time([all_max])[0].isot,
            "n_events": int(info["n_events"]),
            "n_tel_events": int(info["n_tel_events"]),
            "n_pairs": int(result.used.size),
            "dropped_pairs": [
                f"{data.quantity[c]} {data.tel_1[c]}-{data.tel_2[c]}: {why}"
                for c, why in result.dropped
            ],
            "selection": info["selection"],
            "input_files": [i["name"] if i else None for i in info["inputs"]],
        }
    )
    return table


def covariance_table(tel_ids, tel_types, status, cov):
    """Long-form covariance of ln c between the telescopes with a result."""
    import numpy as np
    from astropy.table import Table

    from ..io.array_products import describe

    ok = np.flatnonzero(status == "ok")
    i, j = np.meshgrid(ok, ok, indexing="ij")
    i, j = i.ravel(), j.ravel()
    keep = np.isfinite(cov[i, j])
    i, j = i[keep], j[keep]
    table = Table()
    table["tel_id_1"] = tel_ids[i].astype(np.int16)
    table["tel_id_2"] = tel_ids[j].astype(np.int16)
    table["telescope_type_1"] = tel_types[i].astype(str)
    table["telescope_type_2"] = tel_types[j].astype(str)
    table["cov_ln_coefficient"] = cov[i, j]
    describe(
        table,
        {
            "tel_id_1": "first telescope",
            "tel_id_2": "second telescope",
            "telescope_type_1": "type of the first telescope",
            "telescope_type_2": "type of the second telescope",
            "cov_ln_coefficient": "covariance of ln c of the two telescopes",
        },
    )
    return table
