"""Optical PSF per telescope from muon ring width versus radius (UC-120-2.10).

Reads the ctapipe DL1 muon tables of one or many files (same reader, join and
quality selection as ``muon-throughput``), bins each telescope's rings in ring
radius, takes the sigma-clipped mean width and its standard error per bin (bins
with fewer than ``--min-rings-per-bin`` rings are left out), and fits
``width = intercept + slope * radius`` by weighted least squares (weights
``1/sem**2``; parameter errors from the covariance; reduced chi-square). The
width at ``--reference-radius`` with its propagated error is reported too.

Writes ``muon_psf.ecsv`` (one row per telescope), ``muon_psf_bins.ecsv`` (the
binned points that were fitted) and ``muon_psf.h5`` with each telescope's row
at ``/dl1/monitoring/telescope/optical_psf/muon/tel_NNN``. A telescope with too
few usable bins gets a row with NaN fit values and a status saying why.
"""

from ..argtypes import positive_float, positive_int
from .muon_options import (
    add_clipping_arguments,
    add_muon_input_argument,
    add_selection_arguments,
)

NAME = "muon-psf"
HELP = "optical PSF per telescope from the muon ring width versus radius relation"
OUTPUT_ECSV = "muon_psf.ecsv"
OUTPUT_BINS = "muon_psf_bins.ecsv"
OUTPUT_HDF5 = "muon_psf.h5"


def add_arguments(parser):
    add_muon_input_argument(parser)
    parser.add_argument(
        "--radius-range",
        nargs=2,
        type=positive_float,
        default=[0.9, 1.3],
        metavar=("MIN", "MAX"),
        help="ring radius range to bin [deg] (default 0.9 1.3)",
    )
    parser.add_argument(
        "--radius-bins", type=positive_int, default=8, help="number of radius bins (default 8)"
    )
    parser.add_argument(
        "--min-rings-per-bin",
        type=positive_int,
        default=10,
        metavar="N",
        help="leave out bins with fewer rings (default 10)",
    )
    parser.add_argument(
        "--reference-radius",
        type=positive_float,
        default=1.1,
        metavar="DEG",
        help="radius at which the fitted width is reported (default 1.1 deg)",
    )
    add_clipping_arguments(parser)
    add_selection_arguments(parser)


def run(args, ctx):
    import numpy as np
    from astropy.table import Table
    from astropy.time import Time

    from ..errors import UsageError
    from ..io.dl1_files import hdf5_without_timestamps
    from ..io.muon_monitoring import PSF_GROUP, write_monitoring_hdf5
    from ..muon.psf import binned_width, weighted_line_fit
    from .muon_options import read_selected_rings, selection_from_args

    paths = ctx.add_inputs(args.input, role="dl1_muon")
    r_min, r_max = args.radius_range
    if r_min >= r_max:
        raise UsageError("--radius-range MIN must be below MAX")
    cuts, type_cuts = selection_from_args(args)

    rings, selected, counts = read_selected_rings(paths, cuts, type_cuts)
    c = rings.columns
    edges = np.linspace(r_min, r_max, args.radius_bins + 1)
    empty = np.zeros(0)
    bins = binned_width(
        c["tel_id"][selected],
        c.get("muonring_radius", empty)[selected],
        c.get("muonefficiency_width", empty)[selected],
        edges,
        sigma=args.sigma,
        maxiters=args.max_iters,
    )
    usable = bins["n_used"] >= args.min_rings_per_bin

    tel_ids = sorted(rings.subarray.tel_ids)
    time = c["time_mjd"][selected]
    tel_sel = c["tel_id"][selected]
    rows = []
    for tel_id in tel_ids:  # one weighted fit per telescope (a handful)
        use = usable & (bins["tel_id"] == tel_id)
        in_tel = tel_sel == tel_id
        n_rings = int(np.count_nonzero(in_tel))
        t = time[in_tel]
        row = dict(
            tel_id=tel_id,
            telescope_type=str(rings.subarray.tel[tel_id]),
            n_rings=n_rings,
            n_bins=int(use.sum()),
            time_start=t.min() if t.size else np.nan,
            time_end=t.max() if t.size else np.nan,
        )
        if use.sum() >= 3:
            fit = weighted_line_fit(
                bins["radius_mean"][use], bins["width_mean"][use], bins["width_sem"][use]
            )
            ref = args.reference_radius
            var = fit["cov"][0, 0] + ref**2 * fit["cov"][1, 1] + 2 * ref * fit["cov"][0, 1]
            row.update(
                intercept=fit["intercept"],
                intercept_err=fit["intercept_err"],
                slope=fit["slope"],
                slope_err=fit["slope_err"],
                covariance=fit["cov"][0, 1],
                chi2=fit["chi2"],
                ndf=fit["ndf"],
                chi2_reduced=fit["chi2_reduced"],
                width_at_reference=fit["intercept"] + fit["slope"] * ref,
                width_at_reference_err=float(np.sqrt(var)),
                status="ok",
            )
        else:
            row.update(
                {k: np.nan for k in ("intercept", "intercept_err", "slope", "slope_err")},
                covariance=np.nan,
                chi2=np.nan,
                ndf=0,
                chi2_reduced=np.nan,
                width_at_reference=np.nan,
                width_at_reference_err=np.nan,
                status=f"fewer than 3 radius bins with >= {args.min_rings_per_bin} rings",
            )
        rows.append(row)

    table = Table(rows=rows)
    table["tel_id"] = table["tel_id"].astype(np.int16)
    table["ndf"] = table["ndf"].astype(np.int32)
    for name in ("time_start", "time_end"):
        table[name] = Time(np.asarray(table[name], dtype=float), format="mjd", scale="tai")
        table[name].format = "isot"
    order = ["tel_id", "telescope_type", "time_start", "time_end", "n_rings", "n_bins"]
    order += ["intercept", "intercept_err", "slope", "slope_err", "covariance", "chi2", "ndf"]
    order += ["chi2_reduced", "width_at_reference", "width_at_reference_err", "status"]
    table = table[order]
    for name in ("intercept", "intercept_err", "width_at_reference", "width_at_reference_err"):
        table[name].unit = "deg"
    table["covariance"].unit = "deg"
    units = {"intercept": "deg", "slope": "1 (deg per deg)"}
    table["slope"].description = "d(width)/d(radius) of the fitted line"
    table["intercept"].description = "fitted width at zero radius [deg]"
    table["covariance"].description = "covariance of intercept and slope from the fit"
    table["chi2_reduced"].description = "chi2 / ndf of the weighted fit"
    table["width_at_reference"].description = "fitted ring width at the reference radius"
    table["n_rings"].description = "rings passing the quality cuts"
    table["n_bins"].description = "radius bins used in the fit"
    table.meta.update(
        {
            "product": "optical PSF from muon ring width vs radius",
            "use_case": "UC-120-2.10",
            "method": "Muon Rings",
            "model": "width = intercept + slope * radius (weighted least squares, 1/sem^2)",
            "reference_radius_deg": args.reference_radius,
            "radius_bin_edges_deg": [float(e) for e in edges],
            "min_rings_per_bin": args.min_rings_per_bin,
            "units": units,
            "cuts": list(cuts),
            "type_cuts": [f"{p}={e}" for p, e in type_cuts],
            "input_files": [p.name for p in paths],
        }
    )

    points = Table()
    points["tel_id"] = bins["tel_id"].astype(np.int16)
    points["bin"] = bins["bin"].astype(np.int32)
    points["radius_low"] = edges[bins["bin"]] * np.ones(1)
    points["radius_high"] = edges[bins["bin"] + 1] * np.ones(1)
    points["radius_mean"] = bins["radius_mean"]
    points["n_rings"] = bins["n"].astype(np.int64)
    points["n_used"] = bins["n_used"].astype(np.int64)
    points["width_mean"] = bins["width_mean"]
    points["width_std"] = bins["width_std"]
    points["width_sem"] = bins["width_sem"]
    points["used_in_fit"] = usable
    for name in ("radius_low", "radius_high", "radius_mean", "width_mean", "width_std"):
        points[name].unit = "deg"
    points["width_sem"].unit = "deg"
    points.meta["product"] = "binned muon ring width vs radius (the points of muon_psf.ecsv)"

    table.write(ctx.output(OUTPUT_ECSV), format="ascii.ecsv", overwrite=True)
    points.write(ctx.output(OUTPUT_BINS), format="ascii.ecsv", overwrite=True)
    with hdf5_without_timestamps():
        write_monitoring_hdf5(ctx.output(OUTPUT_HDF5), table, PSF_GROUP, rings.subarray)
    ctx.extra_provenance["n_rings_selected"] = int(np.count_nonzero(selected))
    ctx.extra_provenance["selection"] = counts
