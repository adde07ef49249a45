"""Ingest meteorological model data (GDAS or ERA5) for a site and a time window.

Reads one or more local files of
  * GDAS/FNL analyses (NCAR ds083.2 style GRIB2: gh, t, r on isobaric levels),
  * ERA5 pressure levels as GRIB (edition 1 or 2) or netCDF (classic or new CDS layout),
the format detected from each file's content, keeps the grid point nearest to the
site (``--grid-selection nearest``; a site outside the file's grid is accepted
within half a grid step of its edge, e.g. for a one-point extraction) or the
2 x 2 points around it (``box``) and the times inside the window, and writes
``meteo.ecsv``: one row per time, grid point and pressure level with geopotential
height, geometric altitude (WGS84 latitude-dependent gravity), temperature and
relative humidity. The log and the table meta give the distance from the site to
the grid point.

The window is by default the astronomical night (Sun below -18 degrees) that
starts in the evening of ``--date`` at the site; ``--start``/``--end`` give an
explicit UTC window instead.

Exit codes: 0 success; 2 bad usage (unknown site, bad dates, a window entirely in
daytime); 3 unusable data (unreadable, truncated or empty file, missing variables
or levels, NaN values, unknown units, non-monotonic levels, site outside the
grid, no data in the window).
"""

from ..argtypes import iso_date, utc_datetime

NAME = "ingest-meteo"
HELP = "normalised meteorological table (GDAS/ERA5 GRIB or netCDF) for a site and a night"
SELECTIONS = ("nearest", "box")


def add_arguments(parser):
    parser.add_argument(
        "--meteo-files",
        nargs="+",
        required=True,
        metavar="FILE",
        help="GRIB or netCDF files of one source (GDAS or ERA5); several files may span the night",
    )
    where = parser.add_argument_group("site (either --site or --latitude/--longitude)")
    where.add_argument("--site", help="CTAO site name: North or South (aliases: LaPalma, Paranal)")
    where.add_argument("--latitude", type=float, help="site latitude [deg]")
    where.add_argument("--longitude", type=float, help="site longitude [deg], east positive")
    where.add_argument(
        "--altitude", type=float, default=None, help="site altitude [m] (default 0 with lat/lon)"
    )
    when = parser.add_argument_group("time window (either --date or --start/--end)")
    when.add_argument(
        "--date",
        type=iso_date,
        help="the astronomical night (Sun below -18 deg) starting in the evening of this date",
    )
    when.add_argument("--start", type=utc_datetime, help="window start, UTC (YYYY-MM-DDTHH:MM)")
    when.add_argument("--end", type=utc_datetime, help="window end, UTC (YYYY-MM-DDTHH:MM)")
    when.add_argument(
        "--allow-daytime",
        action="store_true",
        help="accept a --start/--end window in which the Sun never goes below -18 deg",
    )
    parser.add_argument(
        "--grid-selection",
        choices=SELECTIONS,
        default="nearest",
        help="grid point nearest to the site, or the 2x2 box of points around it",
    )


def _site(args):
    from ..errors import UsageError
    from ..sites import custom_site, get_site

    coords = (args.latitude, args.longitude)
    if args.site is not None:
        if any(c is not None for c in coords) or args.altitude is not None:
            raise UsageError("give either --site or --latitude/--longitude/--altitude, not both")
        return get_site(args.site)
    if any(c is None for c in coords):
        raise UsageError("give --site NAME or both --latitude and --longitude")
    altitude = 0.0 if args.altitude is None else args.altitude
    return custom_site(args.latitude, args.longitude, altitude)


def _window(args, site):
    from ..atmosphere.night import astronomical_night, is_entirely_daytime
    from ..errors import UsageError

    explicit = args.start is not None or args.end is not None
    if args.date is not None and explicit:
        raise UsageError("give either --date or --start/--end, not both")
    if args.date is not None:
        try:
            return astronomical_night(
                args.date, site.latitude_deg, site.longitude_deg, site.altitude_m
            )
        except ValueError as err:
            raise UsageError(f"no astronomical night at site {site.name}: {err}") from None
    if args.start is None or args.end is None:
        raise UsageError("give --date or both --start and --end")
    if args.end <= args.start:
        raise UsageError(f"--end {args.end.isoformat()} is not after --start")
    if not args.allow_daytime and is_entirely_daytime(
        args.start, args.end, site.latitude_deg, site.longitude_deg, site.altitude_m
    ):
        raise UsageError(
            f"window {args.start.isoformat()} to {args.end.isoformat()} UTC is entirely in "
            f"daytime at site {site.name} (Sun above -18 deg); use --allow-daytime to accept it"
        )
    return args.start, args.end


def _read(path, fmt, site, selection, start, end):
    from ..io.era5_netcdf import read_era5_netcdf
    from ..io.grib_meteo import read_grib_meteo

    reader = read_grib_meteo if fmt == "grib" else read_era5_netcdf
    return reader(path, site.latitude_deg, site.longitude_deg, selection, start, end)


def _grid_point_distance(fields, site, selection):
    """Log and return the distance [km] from the site to the nearest selected grid point."""
    import logging

    import numpy as np

    from ..io.meteo_fields import great_circle_km, wrap_longitude

    km = great_circle_km(site.latitude_deg, site.longitude_deg, fields.latitude, fields.longitude)
    k = int(np.argmin(km))
    d_lat = fields.latitude[k] - site.latitude_deg
    d_lon = float(wrap_longitude(fields.longitude[k] - site.longitude_deg))
    step = "unknown" if fields.grid_step is None else "{:g} x {:g} deg".format(*fields.grid_step)
    which = "grid point" if selection == "nearest" else f"nearest of the {km.size} grid points"
    logging.getLogger(__name__).info(
        "%s %g N %g E is %.2f km from the site (offset %+.4f deg in latitude, %+.4f deg in "
        "longitude; grid step %s)",
        which, fields.latitude[k], fields.longitude[k], km[k], d_lat, d_lon, step,
    )  # fmt: skip
    return round(float(km[k]), 3)


def run(args, ctx):
    import numpy as np

    from ..errors import InputDataError
    from ..io.meteo_fields import detect_format
    from ..io.meteo_table import (
        FILENAME,
        build_meteo_table,
        check_meteo_table,
        combine_fields,
        write_meteo_table,
    )
    from ..progress import progress

    site = _site(args)
    paths = [ctx.add_input(p, role="meteo") for p in args.meteo_files]
    start, end = _window(args, site)
    t0, t1 = np.datetime64(start, "s"), np.datetime64(end, "s")
    parts = []
    for path in progress(paths, "reading meteorological files"):
        fields = _read(path, detect_format(path), site, args.grid_selection, t0, t1)
        if fields is not None:
            parts.append(fields)
    if not parts:
        names = ", ".join(str(p) for p in paths)
        raise InputDataError(
            names, f"no data between {start.isoformat()} and {end.isoformat()} UTC"
        )
    fields = combine_fields(parts)
    meta = {
        "site": site.name,
        "site_latitude": site.latitude_deg,
        "site_longitude": site.longitude_deg,
        "site_altitude": site.altitude_m,
        "window_start": start.isoformat(),
        "window_end": end.isoformat(),
        "window": "astronomical night" if args.date is not None else "explicit",
        "grid_selection": args.grid_selection,
        "grid_point_distance_km": _grid_point_distance(fields, site, args.grid_selection),
        "input_files": [p.name for p in paths],
    }
    if fields.grid_step is not None:
        meta["grid_step_deg"] = [float(v) for v in fields.grid_step]
    table = build_meteo_table(fields, meta)
    # the checks of every reader of the table, naming the inputs (not the temporary output)
    check_meteo_table(table, ", ".join(str(p) for p in paths))
    write_meteo_table(table, ctx.output(FILENAME))
    ctx.extra_provenance.update(
        window_start=start.isoformat(), window_end=end.isoformat(), n_rows=len(table)
    )
