"""Download GDAS analyses (NCAR ds083.2) for a site and a night from NCAR's GDEX.

Submits a subset request to GDEX (formerly RDA) for dataset d083002: geopotential
height, temperature and relative humidity (HGT, TMP, R H) on the isobaric levels
1000-10 hPa, the 6-hourly analyses that cover the astronomical night of ``--date``
(or the UTC window ``--start``/``--end``), over a box around the site; waits until
GDEX has prepared it, downloads the GRIB2 files and concatenates them in time order
into ``gdas.grib2``, the file ``ingest-meteo`` reads.

The API token comes only from ``--credentials`` (a file holding the token). Network
errors, time-outs and HTTP 408/429/5xx are retried with exponential back-off, then
the step exits 100; a refused token or request exits 3.
"""

from ..fetch import options

NAME = "fetch-gdas"
HELP = "download GDAS (ds083.2) GRIB2 analyses for a site and night from NCAR GDEX"
DEFAULT_URL = "https://gdex.ucar.edu/api"


def add_arguments(parser):
    options.add_site_and_window_arguments(parser, half_width_default=1.0, grid_text="1 deg")
    options.add_service_arguments(
        parser, DEFAULT_URL, "file holding the GDEX API token (from the GDEX user profile)"
    )
    parser.add_argument(
        "--poll-interval",
        type=options.non_negative_float,
        default=30.0,
        help="first wait between checks of the request status [s], growing by 1.5 (default 30)",
    )
    parser.add_argument(
        "--max-wait",
        type=options.non_negative_float,
        default=6 * 3600.0,
        help="exit 100 if GDEX has not prepared the request after this many seconds "
        "(default 21600)",
    )
    parser.add_argument(
        "--request-id",
        default=None,
        help="resume this earlier GDEX request (e.g. after an exit 100 while it was queued) "
        "instead of submitting a new one",
    )


def run(args, ctx):
    import logging

    from ..fetch import gdex

    credentials = options.credentials_file(args.credentials)
    _, latitude, longitude = options.resolve_site(args)
    times = options.resolve_times(args, latitude, longitude, step_hours=gdex.STEP_HOURS)
    from ..fetch.era5 import area_box

    area = area_box(latitude, longitude, args.half_width, gdex.GRID_DEG)
    request = gdex.gdex_request(times, area)
    token = gdex.read_token(credentials)
    url = args.url or DEFAULT_URL
    logging.getLogger("calibpipe_tasks.fetch.gdex").info(
        "GDEX %s: %s %s, area %s", url, gdex.DATASET, request["date"], area
    )
    target = ctx.output(gdex.OUTPUT)
    done = gdex.retrieve(
        request,
        target,
        url,
        token,
        options.retry_policy(args),
        credentials,
        poll_interval=args.poll_interval,
        max_wait=args.max_wait,
        request_id=args.request_id,
    )
    ctx.extra_provenance["service_url"] = url
    ctx.extra_provenance["dataset"] = gdex.DATASET
    ctx.extra_provenance["request"] = request
    ctx.extra_provenance["gdex_request_id"] = done["request_id"]
    ctx.extra_provenance["gdex_files"] = done["files"]
