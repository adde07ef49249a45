"""Pointing corrections per telescope and chunk from measured star positions (step 2 of 2).

Reads ``star_positions.h5`` of ``track-stars`` and fits, per telescope and time
chunk, the correction (δalt, δaz and optionally a camera rotation) by weighted
least squares (weights: the inverse 2×2 covariance of each measured position)
through the full AltAz -> TelescopeFrame transformation — not a 2-D translation.
Every chunk gets a row; a chunk without enough stars, or with a bad χ²/ndf, has
``is_valid = false`` and the reason in ``status`` (never a crash, never valid without stars).

Writes ``pointing_corrections.h5`` at ctapipe's
``/dl1/monitoring/telescope/pointing/star_tracking/tel_NNN`` and
``pointing_corrections.ecsv``. Method: docs/pointing-calibration.md.
"""

from ..argtypes import positive_float, positive_int

NAME = "fit-pointing"
HELP = "pointing correction (δalt, δaz) per telescope and chunk from star positions"
OUTPUT_HDF5 = "pointing_corrections.h5"
OUTPUT_ECSV = "pointing_corrections.ecsv"
OUTPUT_PLOT = "pointing_corrections.png"


def add_arguments(parser):
    parser.add_argument(
        "--input", required=True, metavar="STARS.h5", help="star_positions.h5 of track-stars"
    )
    parser.add_argument("--fit-rotation", action="store_true", help="also fit a camera rotation")
    parser.add_argument(
        "--min-stars",
        type=positive_int,
        default=3,
        help="fewest distinct stars for a valid correction (default 3)",
    )
    parser.add_argument(
        "--max-reduced-chi2",
        type=positive_float,
        default=5.0,
        help="largest chi2/ndf of a valid correction (default 5)",
    )
    parser.add_argument(
        "--plot",
        action="store_true",
        help=f"also write {OUTPUT_PLOT}: camera with expected/measured stars, correction vs time",
    )
    parser.add_argument(
        "--clip",
        type=positive_float,
        default=5.0,
        help="drop star points beyond this many sigma and refit (default 5)",
    )


def run(args, ctx):
    import astropy.units as u
    import numpy as np
    import tables
    from astropy.table import Table
    from astropy.time import Time
    from ctapipe.instrument import SubarrayDescription
    from ctapipe.io import read_table

    from ..errors import InputDataError
    from ..io.dl1_files import hdf5_without_timestamps
    from ..io.muon_monitoring import write_monitoring_hdf5
    from ..io.muon_tables import open_checked
    from ..io.star_tracking import STAR_CHUNKS_GROUP, STAR_POSITIONS_GROUP, STAR_TRACKING_GROUP
    from ..pointing.correction_fit import fit_pointing_correction

    path = ctx.add_input(args.input, role="star_positions")
    with open_checked(path) as h5:
        if STAR_CHUNKS_GROUP not in h5:
            raise InputDataError(path, f"no star-tracking chunks ({STAR_CHUNKS_GROUP}/tel_NNN)")
        tel_ids = sorted(int(n[4:]) for n in h5.get_node(STAR_CHUNKS_GROUP)._v_children)
        with_stars = (
            {int(n[4:]) for n in h5.get_node(STAR_POSITIONS_GROUP)._v_children}
            if STAR_POSITIONS_GROUP in h5
            else set()
        )
    try:
        subarray = SubarrayDescription.from_hdf(path)
    except Exception:  # noqa: BLE001 - any unreadable subarray: write without it
        subarray = None
    rows = []
    star_tables = {}
    with tables.open_file(str(path)) as h5:
        for tel_id in tel_ids:
            chunks = read_table(h5, f"{STAR_CHUNKS_GROUP}/tel_{tel_id:03d}")
            stars = (
                read_table(h5, f"{STAR_POSITIONS_GROUP}/tel_{tel_id:03d}")
                if tel_id in with_stars
                else None
            )
            star_tables[tel_id] = stars
            for chunk in chunks:
                if stars is not None:
                    sel = (np.asarray(stars["chunk"]) == chunk["chunk"]) & (
                        np.asarray(stars["flag"]) == 0
                    )
                    s = stars[sel]
                else:
                    s = Table(
                        {
                            k: np.zeros(0)
                            for k in (
                                "star_alt",
                                "star_az",
                                "pointing_alt",
                                "pointing_az",
                                "measured_lon",
                                "measured_lat",
                                "cov_lon_lon",
                                "cov_lon_lat",
                                "cov_lat_lat",
                                "star_id",
                            )
                        }
                    )

                def rad(name, s=s):
                    col = s[name]
                    unit = getattr(col, "unit", None)
                    q = u.Quantity(col, unit if unit is not None else u.deg)
                    return q.to_value(u.rad if q.unit.physical_type == "angle" else u.rad**2)

                fit = fit_pointing_correction(
                    rad("star_alt"),
                    rad("star_az"),
                    rad("pointing_alt"),
                    rad("pointing_az"),
                    rad("measured_lon"),
                    rad("measured_lat"),
                    rad("cov_lon_lon"),
                    rad("cov_lon_lat"),
                    rad("cov_lat_lat"),
                    np.asarray(s["star_id"]),
                    fit_rotation=args.fit_rotation,
                    min_stars=args.min_stars,
                    max_reduced_chi2=args.max_reduced_chi2,
                    clip=args.clip,
                )
                alt = rad("pointing_alt")
                mean_alt = float(np.mean(alt)) if alt.size else np.nan
                cov = fit["covariance"]
                rows.append(
                    (
                        tel_id,
                        int(chunk["chunk"]),
                        chunk["time_start"],
                        chunk["time_end"],
                        mean_alt,
                        fit,
                        cov,
                    )
                )
    ARC = 180 / np.pi * 3600
    table = Table()
    table["tel_id"] = np.array([r[0] for r in rows], dtype=np.int16)
    table["chunk"] = np.array([r[1] for r in rows], dtype=np.int32)
    table["time_start"] = Time([r[2].tai.mjd for r in rows], format="mjd", scale="tai")
    table["time_end"] = Time([r[3].tai.mjd for r in rows], format="mjd", scale="tai")
    table["time"] = Time(
        [(r[2].tai.mjd + r[3].tai.mjd) / 2 for r in rows], format="mjd", scale="tai"
    )
    mean_alt = np.array([r[4] for r in rows])
    f = [r[5] for r in rows]
    covs = [r[6] for r in rows]
    table["pointing_alt"] = np.rad2deg(mean_alt) * u.deg
    table["delta_alt"] = np.array([x["delta_alt"] for x in f]) * ARC * u.arcsec
    table["delta_az"] = np.array([x["delta_az"] for x in f]) * ARC * u.arcsec
    table["delta_az_sky"] = table["delta_az"] * np.cos(mean_alt)
    table["rotation"] = np.array([x["rotation"] for x in f]) * ARC * u.arcsec
    table["delta_alt_error"] = np.sqrt([c[0, 0] for c in covs]) * ARC * u.arcsec
    table["delta_az_error"] = np.sqrt([c[1, 1] for c in covs]) * ARC * u.arcsec
    table["delta_az_sky_error"] = table["delta_az_error"] * np.cos(mean_alt)
    table["delta_alt_az_correlation"] = (
        np.array([c[0, 1] / np.sqrt(c[0, 0] * c[1, 1]) for c in covs]) * u.dimensionless_unscaled
    )
    table["rotation_error"] = (
        np.array([np.sqrt(c[2, 2]) if c.shape[0] > 2 else np.nan for c in covs]) * ARC * u.arcsec
    )
    table["chi2"] = np.array([x["chi2"] for x in f]) * u.dimensionless_unscaled
    table["ndf"] = np.array([x["ndf"] for x in f], dtype=np.int32)
    table["n_stars"] = np.array([x["n_stars"] for x in f], dtype=np.int32)
    table["n_points"] = np.array([x["n_points"] for x in f], dtype=np.int32)
    table["is_valid"] = np.array([x["is_valid"] for x in f], dtype=bool)
    table["status"] = np.array([x["reason"] for x in f], dtype="U80")
    for name in ("time_start", "time_end", "time"):
        table[name].format = "isot"
    descriptions = {
        "tel_id": "telescope id",
        "chunk": "time chunk number (as in star_chunks)",
        "time_start": "first sky-pedestal event of the chunk (TAI)",
        "time_end": "last sky-pedestal event of the chunk (TAI)",
        "time": "middle of the chunk (TAI)",
        "pointing_alt": "mean reported altitude of the fitted points",
        "delta_alt": "correction: true altitude minus reported altitude",
        "delta_az": "correction: true azimuth minus reported azimuth (coordinate)",
        "delta_az_sky": "delta_az * cos(altitude): the azimuth correction on the sky",
        "rotation": "camera rotation about the optical axis (NaN unless fitted)",
        "delta_alt_error": "standard error of delta_alt",
        "delta_az_error": "standard error of delta_az",
        "delta_az_sky_error": "standard error of delta_az_sky",
        "delta_alt_az_correlation": "correlation coefficient of delta_alt and delta_az",
        "rotation_error": "standard error of rotation (NaN unless fitted)",
        "chi2": "chi2 of the fit",
        "ndf": "degrees of freedom (2 x points - parameters)",
        "n_stars": "distinct stars used",
        "n_points": "star positions used (after clipping)",
        "is_valid": "true when the correction may be used",
        "status": "ok, or the reason why the correction is not valid",
    }
    for name, text in descriptions.items():
        table[name].description = text
    table.meta.update(
        {
            "product": "pointing corrections from star tracking",
            "model": "full AltAz -> TelescopeFrame, weights inverse covariance",
            "fit_rotation": bool(args.fit_rotation),
            "input_file": path.name,
        }
    )
    table.write(ctx.output(OUTPUT_ECSV), format="ascii.ecsv", overwrite=True)
    with hdf5_without_timestamps():
        write_monitoring_hdf5(ctx.output(OUTPUT_HDF5), table, STAR_TRACKING_GROUP, subarray)
    if args.plot:
        from ..plotting import plot_pointing_corrections

        plot_pointing_corrections(table, star_tables, ctx.output(OUTPUT_PLOT))
    ctx.extra_provenance["n_chunks"] = len(table)
    ctx.extra_provenance["n_valid"] = int(np.count_nonzero(table["is_valid"]))
