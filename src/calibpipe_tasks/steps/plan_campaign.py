"""Plan a molecular-atmosphere campaign: which of the nights the meteorological files cover.

Reads only the time axes (netCDF) or message headers (GRIB) of the files, computes each
night's astronomical night window at the site (as ``ingest-meteo --date`` does) and
schedules the nights with at least ``--min-times`` analysis times inside their window.
A night without data is not an error: it is listed with its reason and the campaign
index reports it failed, while the other nights are delivered.

Writes ``campaign_plan.json`` (every night: window, number of meteorological times,
the files covering it, ``scheduled`` or ``no-data`` with the reason; every file: format,
sha256, first and last time) and ``scheduled_nights.json`` (the JSON list of the
scheduled dates, over which the campaign workflow scatters).

Exit codes: 0 success; 2 bad usage (unknown site, a date that is not YYYY-MM-DD, a date
given twice, a night without astronomical night); 3 unusable data (an empty, truncated
or unreadable file, a time axis of unknown unit, no night covered at all).
"""

from ..argtypes import iso_date, positive_int

NAME = "plan-campaign"
HELP = "the nights of a molecular-atmosphere campaign the meteorological files cover"
PLAN_FILENAME = "campaign_plan.json"
SCHEDULED_FILENAME = "scheduled_nights.json"
PLAN_VERSION = "1.0.0"


def add_arguments(parser):
    parser.add_argument(
        "--dates",
        nargs="+",
        required=True,
        type=iso_date,
        metavar="YYYY-MM-DD",
        help="the nights of the campaign (each the night starting in the evening of the date)",
    )
    parser.add_argument(
        "--meteo-files",
        nargs="+",
        required=True,
        metavar="FILE",
        help="GRIB or netCDF files of one source (GDAS or ERA5) covering the campaign",
    )
    parser.add_argument("--site", required=True, help="CTAO site name: North or South")
    parser.add_argument(
        "--min-times",
        type=positive_int,
        default=1,
        help="meteorological analysis times a night needs inside its window (default 1, "
        "ingest-meteo's own condition)",
    )


def _windows(dates, site):
    from ..atmosphere.night import astronomical_night
    from ..errors import UsageError

    windows = []
    for date in dates:
        try:
            windows.append(
                astronomical_night(date, site.latitude_deg, site.longitude_deg, site.altitude_m)
            )
        except ValueError as err:
            raise UsageError(f"no astronomical night at site {site.name}: {err}") from None
    return windows


def plan_document(site, min_times, files, nights):
    """The campaign plan (``campaign_plan.json``) of the nights of :func:`plan_nights`."""
    from ..atmosphere.campaign import STATUS_SCHEDULED

    return {
        "plan_version": PLAN_VERSION,
        "product": "molecular-atmosphere-campaign-plan",
        "site": {
            "name": site.name,
            "latitude_deg": site.latitude_deg,
            "longitude_deg": site.longitude_deg,
            "altitude_m": site.altitude_m,
        },
        "min_times": min_times,
        "n_nights": len(nights),
        "n_scheduled": sum(n["status"] == STATUS_SCHEDULED for n in nights),
        "files": files,
        "nights": nights,
    }


def run(args, ctx):
    import json
    import logging

    from ..atmosphere.campaign import STATUS_SCHEDULED, iso_utc, plan_nights
    from ..errors import InputDataError, UsageError
    from ..io.meteo_times import meteo_file_times
    from ..outputs import sha256_of
    from ..progress import progress
    from ..sites import get_site

    site = get_site(args.site)
    dates = [d.isoformat() for d in args.dates]
    repeated = sorted({d for d in dates if dates.count(d) > 1})
    if repeated:
        raise UsageError(f"--dates: night {repeated[0]} is given twice")
    paths = ctx.add_inputs(args.meteo_files, role="meteo")
    names = [p.name for p in paths]
    if len(set(names)) != len(names):
        raise UsageError("--meteo-files: two files have the same name")
    files, file_times = [], {}
    for path in progress(paths, "reading the files' time axes"):
        fmt, times = meteo_file_times(path)
        file_times[path.name] = times
        files.append(
            {
                "name": path.name,
                "format": fmt,
                "sha256": sha256_of(path),
                "n_times": int(times.size),
                "first_utc": iso_utc(times[0]) if times.size else None,
                "last_utc": iso_utc(times[-1]) if times.size else None,
            }
        )
    nights = plan_nights(dates, _windows(args.dates, site), file_times, args.min_times)
    scheduled = [n["date"] for n in nights if n["status"] == STATUS_SCHEDULED]
    log = logging.getLogger(__name__)
    for night in nights:  # one line per night, in campaign order (campaign_runner reads them)
        if night["status"] == STATUS_SCHEDULED:
            log.info(
                "night %s: scheduled (%d meteorological times)", night["date"], night["n_times"]
            )
        else:
            log.info("night %s: no data: %s", night["date"], night["reason"])
    if not scheduled:
        raise InputDataError(
            ", ".join(names), f"no night of the campaign has data: {nights[0]['reason']}"
        )
    plan = plan_document(site, args.min_times, files, nights)
    with open(ctx.output(PLAN_FILENAME), "w") as f:
        f.write(json.dumps(plan, indent=2) + "\n")
    with open(ctx.output(SCHEDULED_FILENAME), "w") as f:
        f.write(json.dumps(scheduled) + "\n")
    ctx.extra_provenance.update(n_nights=len(nights), n_scheduled=len(scheduled))
