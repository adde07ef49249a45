"""Ingest FRAM aerosol optical depth measurements delivered by ACADA (FITS) for a site.

Reads one or more ACADA FRAM FITS files (``DATATYPE = 'FRAM'`` binary table:
``timestamp``, ``ra``/``dec`` or ``alt``/``az``, ``aod``, ``aod_err``,
``peak_wavelength``; scalar or vector-valued rows, see
``calibpipe_tasks.io.fram_fits``), flattens them to one row per measurement,
computes the apparent horizontal coordinates at the site (astropy, with
refraction for the US Standard Atmosphere 1976 pressure and temperature at the
site's altitude; no network: astropy's bundled IERS tables), and writes
``fram.ecsv`` sorted by time: ``time`` (UTC), ``file``, ``row``, ``element``,
``ra``/``dec`` (when given), ``alt``, ``az``, ``zenith_angle`` [deg], ``aod``,
``aod_err``, ``peak_wavelength`` [nm].

Measurements that cannot be used - AOD or error NaN, error <= 0, wavelength not
positive, AOD below -5 times its error (a negative AOD within the noise is a
valid measurement and is kept) - are dropped and counted in the table's
metadata (``n_invalid``).

Exit codes: 0 success; 2 bad usage (unknown ``--site``); 3 unusable data (not
FITS, no FRAM table, missing columns or units, NaN times or coordinates, row
lengths that differ between columns, no valid measurement at all).
"""

NAME = "ingest-fram"
HELP = "normalised FRAM aerosol optical depth table (ACADA FITS) for a site"
FILENAME = "fram.ecsv"
#: an AOD more negative than this many errors is not noise but a broken measurement
NEGATIVE_SIGMA = 5.0


def add_arguments(parser):
    parser.add_argument(
        "--fram-files",
        nargs="+",
        required=True,
        metavar="FILE",
        help="ACADA FRAM FITS files of one FRAM (several files may span the night)",
    )
    parser.add_argument(
        "--site", required=True, help="CTAO site name: North or South (aliases: LaPalma, Paranal)"
    )


def invalid_reasons(aod, aod_err, wavelength_nm):
    """Per measurement, why it cannot be used ('' if it can); see the module docstring."""
    import numpy as np

    reason = np.full(aod.shape, "", dtype=object)
    bad_wl = ~(np.isfinite(wavelength_nm) & (wavelength_nm > 0))
    negative = np.isfinite(aod) & np.isfinite(aod_err) & (aod < -NEGATIVE_SIGMA * aod_err)
    reason[negative] = "aod_negative"
    reason[bad_wl] = "wavelength"
    reason[np.isfinite(aod_err) & (aod_err <= 0)] = "aod_err_not_positive"
    reason[~np.isfinite(aod_err)] = "aod_err_nan"
    reason[~np.isfinite(aod)] = "aod_nan"
    return reason


def altaz_frame(time, site):
    """The apparent horizontal frame at the site: refraction for the US Standard Atmosphere
    1976 pressure and temperature at the site's altitude, dry air, 0.5 micron."""
    import astropy.units as u
    from astropy.coordinates import AltAz, EarthLocation

    from ..atmosphere.night import offline_iers
    from ..atmosphere.standard_atmosphere import us_standard_atmosphere

    offline_iers()
    temperature, pressure, _ = us_standard_atmosphere(site.altitude_m)
    location = EarthLocation.from_geodetic(
        site.longitude_deg * u.deg, site.latitude_deg * u.deg, site.altitude_m * u.m
    )
    return AltAz(
        obstime=time,
        location=location,
        pressure=float(pressure) * u.Pa,
        temperature=(float(temperature) * u.K).to(u.deg_C, equivalencies=u.temperature()),
        relative_humidity=0.0,
        obswl=0.5 * u.micron,
    )


def horizontal_coordinates(time, ra_deg, dec_deg, site):
    """Apparent altitude and azimuth [deg] of ICRS directions at the site (:func:`altaz_frame`)."""
    import warnings

    import astropy.units as u
    import numpy as np
    from astropy.coordinates import SkyCoord
    from astropy.utils.exceptions import AstropyWarning

    frame = altaz_frame(time, site)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AstropyWarning)
        altaz = SkyCoord(ra=ra_deg * u.deg, dec=dec_deg * u.deg, frame="icrs").transform_to(frame)
    return np.asarray(altaz.alt.to_value(u.deg)), np.asarray(altaz.az.to_value(u.deg))


def run(args, ctx):
    import astropy.units as u
    import numpy as np
    from astropy.table import Table
    from astropy.time import Time

    from ..errors import InputDataError
    from ..io.fram_fits import read_fram_fits
    from ..sites import get_site

    site = get_site(args.site)
    paths = ctx.add_inputs(args.fram_files, role="fram")
    parts, frames, counts = [], set(), {}
    n_rows = 0
    vector = False
    for index, path in enumerate(paths):
        data = read_fram_fits(path)
        reason = invalid_reasons(data["aod"], data["aod_err"], data["peak_wavelength_nm"])
        for r in set(reason) - {""}:
            counts[r] = counts.get(r, 0) + int(np.sum(reason == r))
        keep = reason == ""
        if data["frame"] == "icrs":
            alt, az = horizontal_coordinates(
                data["time"][keep], data["ra_deg"][keep], data["dec_deg"][keep], site
            )
        else:
            alt, az = data["alt_deg"][keep], data["az_deg"][keep]
        part = {
            "time": data["time"][keep],
            "file": np.full(int(keep.sum()), index),
            "row": data["row"][keep],
            "element": data["element"][keep],
            "alt": alt,
            "az": az % 360.0,
            "aod": data["aod"][keep],
            "aod_err": data["aod_err"][keep],
            "peak_wavelength": data["peak_wavelength_nm"][keep],
        }
        if data["frame"] == "icrs":
            part["ra"], part["dec"] = data["ra_deg"][keep], data["dec_deg"][keep]
        parts.append(part)
        frames.add(data["frame"])
        n_rows += data["n_rows"]
        vector |= data["vector"]
    n_valid = sum(len(p["aod"]) for p in parts)
    if n_valid == 0:
        names = ", ".join(str(p) for p in paths)
        detail = ", ".join(f"{v} {k}" for k, v in sorted(counts.items()))
        raise InputDataError(names, f"no valid AOD measurement ({detail})")
    if len(frames) > 1:
        parts = [{k: v for k, v in p.items() if k not in ("ra", "dec")} for p in parts]
    time = Time(
        np.concatenate([p["time"].utc.jd1 for p in parts]),
        np.concatenate([p["time"].utc.jd2 for p in parts]),
        format="jd",
        scale="utc",
    )
    order = np.argsort(time.jd1 - time.jd1.min() + time.jd2, kind="stable")
    table = Table()
    table["time"] = time[order]
    table["time"].format = "isot"
    table["time"].precision = 3
    columns = [c for c in ("file", "row", "element", "ra", "dec", "alt", "az") if c in parts[0]]
    for name in columns:
        table[name] = np.concatenate([p[name] for p in parts])[order]
    table["zenith_angle"] = 90.0 - table["alt"]
    for name in ("aod", "aod_err", "peak_wavelength"):
        table[name] = np.concatenate([p[name] for p in parts])[order]
    units = {
        "ra": u.deg,
        "dec": u.deg,
        "alt": u.deg,
        "az": u.deg,
        "zenith_angle": u.deg,
        "peak_wavelength": u.nm,
    }
    for name, unit in units.items():
        if name in table.colnames:
            table[name].unit = unit
    descriptions = {
        "time": "measurement time (UTC)",
        "file": "index of the input file (meta input_files)",
        "row": "row (FRAM image) in the input file",
        "element": "position of the measurement in a vector-valued row (0 for scalar rows)",
        "ra": "right ascension of the line of sight (ICRS)",
        "dec": "declination of the line of sight (ICRS)",
        "alt": "apparent altitude at the site (with refraction)",
        "az": "azimuth at the site (north through east)",
        "zenith_angle": "apparent zenith angle, 90 deg - alt",
        "aod": "aerosol optical depth along the line of sight (FRAM)",
        "aod_err": "1-sigma error of aod",
        "peak_wavelength": "peak wavelength of the FRAM filter",
    }
    for name in table.colnames:
        table[name].description = descriptions[name]
    table.meta.update(
        {
            "product": "FRAM aerosol optical depth measurements",
            "use_case": "UC-120-1.12",
            "site": site.name,
            "site_latitude": site.latitude_deg,
            "site_longitude": site.longitude_deg,
            "site_altitude": site.altitude_m,
            "coordinates": "ra/dec (ICRS)" if frames == {"icrs"} else "alt/az as given",
            "refraction": "US Standard Atmosphere 1976 at the site altitude, 0.5 micron",
            "vector_rows": vector,
            "n_rows": n_rows,
            "n_measurements": n_valid,
            "n_invalid": dict(sorted(counts.items())),
            "input_files": [p.name for p in paths],
        }
    )
    table.write(ctx.output(FILENAME), format="ascii.ecsv", overwrite=True)
    ctx.extra_provenance.update(n_rows=n_rows, n_measurements=n_valid, n_invalid=counts)
