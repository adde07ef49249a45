"""Download ERA5 pressure-level data for a site and a night from the Copernicus CDS.

Asks the Climate Data Store for ``reanalysis-era5-pressure-levels``: geopotential,
temperature and relative humidity on all 37 pressure levels, every hour that covers
the astronomical night of ``--date`` (or the UTC window ``--start``/``--end``), over
a box around the site. Writes ``era5.grib`` (``--format grib``) or ``era5.nc``
(``--format netcdf``), the files ``ingest-meteo`` reads, after checking the content.

The API key comes only from ``--credentials`` (a ``.cdsapirc``-style file with
``url:`` and ``key:`` lines); ``~/.cdsapirc`` and the CDSAPI_* variables are never
read. Network errors, time-outs and HTTP 408/429/5xx are retried with exponential
back-off, then the step exits 100; a refused key or request exits 3.
"""

import sys

from ..fetch import options

NAME = "fetch-era5"
HELP = "download ERA5 pressure levels (z, t, r) for a site and night from the Copernicus CDS"
DEFAULT_URL = "https://cds.climate.copernicus.eu/api"


def add_arguments(parser):
    options.add_site_and_window_arguments(parser, half_width_default=0.5, grid_text="0.25 deg")
    parser.add_argument(
        "--format",
        choices=["grib", "netcdf"],
        default="grib",
        help="file format: grib -> era5.grib, netcdf -> era5.nc (default grib)",
    )
    options.add_service_arguments(
        parser,
        DEFAULT_URL,
        "CDS credentials in the .cdsapirc format (lines 'url: ...' and 'key: ...'); "
        "its url is used unless --url is given",
    )


def run(args, ctx):
    import argparse

    from ..errors import InputDataError
    from ..fetch import era5
    from ..fetch.http import check_grib, check_netcdf

    credentials = options.credentials_file(args.credentials)
    _, latitude, longitude = options.resolve_site(args)
    times = options.resolve_times(args, latitude, longitude, step_hours=1)
    area = era5.area_box(latitude, longitude, args.half_width, era5.GRID_DEG)
    request = era5.era5_request(times, area, args.format)
    file_url, key = era5.read_cdsapirc(credentials)
    if file_url and not args.url:
        try:
            options.http_url(file_url)
        except argparse.ArgumentTypeError as err:
            raise InputDataError(credentials, f"url: {err}") from None
    url = args.url or file_url or DEFAULT_URL
    policy = options.retry_policy(args)

    import logging

    log = logging.getLogger("calibpipe_tasks.fetch.cds")
    log.info(
        "CDS %s: %s, %d hours %s ... %s, area %s",
        url,
        era5.DATASET,
        len(times),
        times[0].isoformat(),
        times[-1].isoformat(),
        area,
    )
    basename = era5.FORMATS[args.format]
    target = ctx.output(basename)
    era5.retrieve(request, target, url, key, policy, credentials, sys.stderr.isatty(), log)
    source = f"{url.rstrip('/')} ({era5.DATASET})"
    (check_grib if args.format == "grib" else check_netcdf)(target, source)
    ctx.extra_provenance["service_url"] = url
    ctx.extra_provenance["dataset"] = era5.DATASET
    ctx.extra_provenance["request"] = request
    from importlib.metadata import version

    ctx.extra_provenance["client_versions"] = {
        name: version(name) for name in ("cdsapi", "ecmwf-datastores-client", "multiurl")
    }
