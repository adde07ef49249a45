"""Measured star positions in sky-pedestal variance images (pointing from stars, step 1 of 2).

Reads one ctapipe DL1 file of variance images (``ctapipe-process`` with the
``VarianceExtractor`` on sky-pedestal events, event type 5) with the drive
pointing at ``/dl0/monitoring/telescope/pointing/tel_NNN``. Per telescope and
time chunk: the catalogue stars expected in the field (ctapipe's bundled
Hipparcos catalogue, offline; magnitude limit and field radius per telescope
type), their predicted positions through AltAz -> TelescopeFrame with
atmospheric refraction (pressure and temperature from ``--meteo``, the table of
``ingest-meteo``, else the US Standard Atmosphere 1976 at the site's altitude),
and each star's measured position by a PSF-template fit on baseline-subtracted,
stacked images, with covariance and a flag (outside the camera, broken pixel,
blended, too faint). Method and references: docs/pointing-calibration.md.

Writes ``star_positions.h5`` (``/dl1/monitoring/telescope/pointing/star_positions/tel_NNN``
and ``.../star_chunks/tel_NNN``), ``star_positions.ecsv`` and ``star_chunks.ecsv``.
"""

from ..argtypes import positive_float, positive_int

NAME = "track-stars"
HELP = "star positions (expected and measured) in sky-pedestal variance images"
OUTPUT_HDF5 = "star_positions.h5"
OUTPUT_ECSV = "star_positions.ecsv"
OUTPUT_CHUNKS = "star_chunks.ecsv"

#: defaults per telescope size type: magnitude limit, PSF sigma [deg]
TYPE_DEFAULTS = {
    "LST": {"magnitude_limit": 7.5, "psf_sigma": 0.04},
    "MST": {"magnitude_limit": 7.0, "psf_sigma": 0.06},
    "SST": {"magnitude_limit": 6.0, "psf_sigma": 0.08},
}


def _type_value(text):
    """``TYPE=VALUE`` (e.g. ``LST=7.5``), normalised to ``"LST=7.5"`` (round-trips via YAML)."""
    import argparse

    if "=" not in str(text):
        raise argparse.ArgumentTypeError(f"expected TYPE=VALUE (e.g. LST=7.5): {text!r}")
    key, value = str(text).split("=", 1)
    try:
        return f"{key.strip().upper()}={float(value):g}"
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number in {text!r}") from None


def _pairs(items):
    return {k: float(v) for k, v in (item.split("=", 1) for item in items or [])}


def add_arguments(parser):
    parser.add_argument(
        "--input", required=True, metavar="DL1.h5", help="ctapipe DL1 file of variance images"
    )
    parser.add_argument(
        "--pointing",
        default=None,
        metavar="DL0.h5",
        help="file with the drive pointing /dl0/monitoring/telescope/pointing/tel_NNN "
        "(default: the input; ctapipe-process does not copy it, give its input file)",
    )
    parser.add_argument(
        "--meteo",
        default=None,
        metavar="METEO.ecsv",
        help="meteorological table of ingest-meteo for the refraction (default: standard "
        "atmosphere at the site altitude)",
    )
    parser.add_argument(
        "--catalogue",
        default="Hipparcos",
        choices=["Hipparcos", "Yale"],
        help="ctapipe's bundled star catalogue (default Hipparcos)",
    )
    parser.add_argument(
        "--magnitude-limit",
        type=_type_value,
        action="append",
        default=None,
        metavar="TYPE=MAG",
        help="faintest V magnitude tracked per telescope type (defaults LST=7.5, MST=7.0, SST=6.0)",
    )
    parser.add_argument(
        "--field-radius",
        type=_type_value,
        action="append",
        default=None,
        metavar="TYPE=DEG",
        help="catalogue search radius per telescope type (default: the camera radius)",
    )
    parser.add_argument(
        "--psf-sigma",
        type=_type_value,
        action="append",
        default=None,
        metavar="TYPE=DEG",
        help="Gaussian PSF sigma of the fit template (defaults LST=0.04, MST=0.06, SST=0.08)",
    )
    parser.add_argument(
        "--chunk-duration",
        type=positive_float,
        default=60.0,
        metavar="SECONDS",
        help="length of a time chunk (default 60)",
    )
    parser.add_argument(
        "--stack-size",
        type=positive_int,
        default=None,
        metavar="N",
        help="events stacked per measurement (default: the whole chunk)",
    )
    parser.add_argument(
        "--min-snr",
        type=positive_float,
        default=5.0,
        help="minimum significance of a star's fitted amplitude (default 5)",
    )


def _per_type(pairs, name):
    values = {k: v[name] for k, v in TYPE_DEFAULTS.items()}
    values.update(_pairs(pairs))
    return values


def run(args, ctx):
    import logging

    import astropy.units as u
    import numpy as np
    from astropy.table import Table, vstack
    from astropy.time import Time
    from astropy.utils import iers
    from ctapipe.coordinates import TelescopeFrame

    from ..io.dl1_files import hdf5_without_timestamps
    from ..io.meteo_table import read_meteo_table
    from ..io.muon_monitoring import write_monitoring_hdf5
    from ..io.star_tracking import (
        STAR_CHUNKS_GROUP,
        STAR_POSITIONS_GROUP,
        read_catalogue,
        read_variance_images,
        site_weather_from_meteo,
    )
    from ..pointing.refraction import standard_weather
    from ..pointing.star_positions import FLAG_REASONS
    from ..pointing.tracking import TrackingSettings, chunk_indices, track_chunk

    iers.conf.auto_download = False
    log = logging.getLogger(__name__)
    path = ctx.add_input(args.input, role="dl1_variance_images")
    meteo = None
    if args.meteo is not None:
        meteo_path = ctx.add_input(args.meteo, role="meteo")
        meteo = read_meteo_table(meteo_path)
    pointing_path = None
    if args.pointing is not None:
        pointing_path = ctx.add_input(args.pointing, role="drive_pointing")
    subarray, telescopes, skipped = read_variance_images(path, pointing_path)
    for tel_id in skipped:
        log.warning("%s: telescope %d has no sky-pedestal images: no rows", path, tel_id)
    location = subarray.reference_location
    first = min(t["times"][0] for t in telescopes.values())
    catalogue = read_catalogue(args.catalogue, first)
    mags = _per_type(args.magnitude_limit, "magnitude_limit")
    psfs = _per_type(args.psf_sigma, "psf_sigma")
    radii = _pairs(args.field_radius)

    star_tables, chunk_tables = [], []
    for tel_id, data in telescopes.items():
        tel = subarray.tel[tel_id]
        size = tel.optics.size_type.name
        settings = TrackingSettings(
            magnitude_limit=mags.get(size, 7.0),
            field_radius_deg=radii.get(size),
            psf_sigma_deg=psfs.get(size, 0.05),
            stack_size=args.stack_size,
            min_snr=args.min_snr,
        )
        geometry = tel.camera.geometry.transform_to(TelescopeFrame())
        pix_lon, pix_lat = geometry.pix_x.to_value(u.rad), geometry.pix_y.to_value(u.rad)
        chunks = chunk_indices(data["times"].tai.mjd, args.chunk_duration)
        for chunk in np.unique(chunks):
            sel = chunks == chunk
            times = data["times"][sel]
            middle = times[len(times) // 2]
            if meteo is not None:
                weather = site_weather_from_meteo(
                    meteo, location, middle, f"meteo table {meteo_path.name}"
                )
            else:
                weather = standard_weather(location.height.to_value(u.m))
            rows = track_chunk(
                data["images"][sel],
                times,
                data["pointing_alt"][sel],
                data["pointing_az"][sel],
                pix_lon,
                pix_lat,
                catalogue,
                location,
                weather,
                settings,
            )
            n = rows["flag"].size
            table = Table()
            table["tel_id"] = np.full(n, tel_id, dtype=np.int16)
            table["chunk"] = np.full(n, chunk, dtype=np.int32)
            table["stack"] = rows["stack"].astype(np.int32)
            table["time"] = Time(rows["time_mjd"], format="mjd", scale="tai")
            table["n_events"] = rows["n_events"].astype(np.int32)
            table["star_id"] = rows["star_id"].astype(np.int64)
            table["ra"] = rows["ra"] * u.deg
            table["dec"] = rows["dec"] * u.deg
            table["magnitude"] = rows["magnitude"] * u.mag
            for name in (
                "star_alt",
                "star_az",
                "pointing_alt",
                "pointing_az",
                "expected_lon",
                "expected_lat",
            ):
                table[name] = np.rad2deg(rows[name]) * u.deg
            table["measured_lon"] = np.rad2deg(rows["x"]) * u.deg
            table["measured_lat"] = np.rad2deg(rows["y"]) * u.deg
            for name in ("cov_xx", "cov_xy", "cov_yy"):
                out = {"cov_xx": "cov_lon_lon", "cov_xy": "cov_lon_lat", "cov_yy": "cov_lat_lat"}
                table[out[name]] = np.rad2deg(np.rad2deg(rows[name])) * u.deg**2
            table["amplitude"] = rows["amplitude"] * u.dimensionless_unscaled
            table["amplitude_error"] = rows["amplitude_error"] * u.dimensionless_unscaled
            table["expected_amplitude"] = rows["expected_amplitude"] * u.dimensionless_unscaled
            table["baseline"] = rows["baseline"] * u.dimensionless_unscaled
            table["fit_chi2"] = rows["chi2"] * u.dimensionless_unscaled
            table["fit_ndf"] = rows["ndf"].astype(np.int32)
            table["flag"] = rows["flag"].astype(np.int16)
            table["reason"] = np.array([FLAG_REASONS[int(f)] for f in rows["flag"]], dtype="U32")
            table["pressure"] = np.full(n, weather.pressure_hpa) * u.hPa
            table["temperature"] = np.full(n, weather.temperature_c + 273.15) * u.K
            table["relative_humidity"] = (
                np.full(n, weather.relative_humidity) * u.dimensionless_unscaled
            )
            star_tables.append(table)
            c = Table()
            c["tel_id"] = [np.int16(tel_id)]
            c["chunk"] = [np.int32(chunk)]
            c["time_start"] = Time([times[0].tai.mjd], format="mjd", scale="tai")
            c["time_end"] = Time([times[-1].tai.mjd], format="mjd", scale="tai")
            c["n_events"] = [np.int32(len(times))]
            c["n_expected_stars"] = [np.int32(rows["n_catalogue"])]
            c["n_measured"] = [np.int32(np.count_nonzero(rows["flag"] == 0))]
            c["n_broken_pixels"] = [np.int32(rows["n_broken_pixels"])]
            c["baseline_spread"] = [rows["baseline_spread"]] * u.dimensionless_unscaled
            c["pressure"] = [weather.pressure_hpa] * u.hPa
            c["temperature"] = [weather.temperature_c + 273.15] * u.K
            c["refraction_source"] = [weather.source]
            c["magnitude_limit"] = [settings.magnitude_limit] * u.mag
            c["psf_sigma"] = [settings.psf_sigma_deg] * u.deg
            chunk_tables.append(c)

    stars = vstack(star_tables) if star_tables else Table()
    chunks_table = vstack(chunk_tables)
    for t in (stars, chunks_table):
        for name in ("time", "time_start", "time_end"):
            if name in t.colnames:
                t[name].format = "isot"
        t.meta.update(
            {
                "product": "star positions in sky-pedestal variance images",
                "catalogue": args.catalogue,
                "chunk_duration_s": args.chunk_duration,
                "stack_size": "chunk" if args.stack_size is None else args.stack_size,
                "input_file": path.name,
            }
        )
    describe(stars, chunks_table)
    stars.write(ctx.output(OUTPUT_ECSV), format="ascii.ecsv", overwrite=True)
    chunks_table.write(ctx.output(OUTPUT_CHUNKS), format="ascii.ecsv", overwrite=True)
    out = ctx.output(OUTPUT_HDF5)
    with hdf5_without_timestamps():
        write_monitoring_hdf5(out, stars, STAR_POSITIONS_GROUP, subarray)
        _append(out, chunks_table, STAR_CHUNKS_GROUP)
    ctx.extra_provenance["n_star_measurements"] = len(stars)
    ctx.extra_provenance["telescopes_without_images"] = skipped


def _append(path, table, group):
    import numpy as np
    from ctapipe.io import write_table

    for tel_id in np.unique(np.asarray(table["tel_id"])):
        rows = table[np.asarray(table["tel_id"]) == tel_id]
        rows.meta = {k: v if isinstance(v, str) else repr(v) for k, v in table.meta.items()}
        write_table(rows, path, f"{group}/tel_{int(tel_id):03d}", append=False)


STAR_DESCRIPTIONS = {
    "tel_id": "telescope id",
    "chunk": "time chunk number (per telescope, from the first event)",
    "stack": "stack of consecutive events within the chunk",
    "time": "mean time of the stack's events (TAI)",
    "n_events": "events in the stack",
    "star_id": "catalogue id (Hipparcos HIP number)",
    "ra": "ICRS right ascension at the epoch of observation",
    "dec": "ICRS declination at the epoch of observation",
    "magnitude": "V magnitude",
    "star_alt": "apparent (refracted) altitude of the star at the stack time",
    "star_az": "apparent azimuth of the star at the stack time",
    "pointing_alt": "reported (drive) pointing altitude at the stack time",
    "pointing_az": "reported (drive) pointing azimuth at the stack time",
    "expected_lon": "predicted TelescopeFrame fov_lon with the reported pointing",
    "expected_lat": "predicted TelescopeFrame fov_lat with the reported pointing",
    "measured_lon": "fitted TelescopeFrame fov_lon of the star (in [-180, 180))",
    "measured_lat": "fitted TelescopeFrame fov_lat of the star",
    "cov_lon_lon": "variance of measured_lon",
    "cov_lon_lat": "covariance of measured_lon and measured_lat",
    "cov_lat_lat": "variance of measured_lat",
    "amplitude": "fitted variance excess of the star summed over pixels (image units)",
    "amplitude_error": "standard error of amplitude",
    "expected_amplitude": (
        "amplitude predicted from the magnitude and the chunk's flux scale (weighted median"
        " over the chunk's fitted stars); where amplitude exceeds it, the position errors are"
        " computed at it"
    ),
    "baseline": "fitted local night-sky variance baseline (image units)",
    "fit_chi2": "chi2 of the star's PSF-template fit",
    "fit_ndf": "degrees of freedom of the star's fit",
    "flag": "0 ok, 1 outside camera, 2 broken pixel, 3 blended, 4 too faint, 5 fit failed",
    "reason": "the flag in words",
    "pressure": "ground pressure used for the refraction",
    "temperature": "ground temperature used for the refraction",
    "relative_humidity": "relative humidity used for the refraction (fraction)",
}
CHUNK_DESCRIPTIONS = {
    "tel_id": "telescope id",
    "chunk": "time chunk number",
    "time_start": "time of the first sky-pedestal event of the chunk (TAI)",
    "time_end": "time of the last sky-pedestal event of the chunk (TAI)",
    "n_events": "sky-pedestal events in the chunk",
    "n_expected_stars": "catalogue stars tracked in the field",
    "n_measured": "star measurements with flag 0",
    "n_broken_pixels": "pixels unusable in the chunk (given or found)",
    "baseline_spread": "pixel-to-pixel spread of the night-sky variance (image units)",
    "pressure": "ground pressure used for the refraction",
    "temperature": "ground temperature used for the refraction",
    "refraction_source": "where pressure and temperature come from",
    "magnitude_limit": "faintest V magnitude tracked",
    "psf_sigma": "Gaussian PSF sigma of the fit template",
}


def describe(stars, chunks):
    for table, descriptions in ((stars, STAR_DESCRIPTIONS), (chunks, CHUNK_DESCRIPTIONS)):
        for name, text in descriptions.items():
            if name in table.colnames:
                table[name].description = text
