"""Command-line options shared by the ``fetch-*`` steps (standard library only)."""

import datetime
from pathlib import Path

from ..argtypes import (  # noqa: F401
    http_url,
    iso_date,
    non_negative_float,
    non_negative_int,
    utc_datetime,
)
from ..errors import UsageError


def add_site_and_window_arguments(parser, half_width_default, grid_text):
    """Options of the site (``--site`` or coordinates, ``--half-width``) and the window."""
    where = parser.add_argument_group("site (either --site or --latitude/--longitude)")
    where.add_argument("--site", help="CTAO site name: North or South (aliases: LaPalma, Paranal)")
    where.add_argument("--latitude", type=float, help="site latitude [deg]")
    where.add_argument("--longitude", type=float, help="site longitude [deg], east positive")
    where.add_argument(
        "--half-width",
        type=non_negative_float,
        default=half_width_default,
        help=f"half-width of the area box around the site [deg], rounded out to the "
        f"{grid_text} grid (default {half_width_default})",
    )
    when = parser.add_argument_group("time window (either --date or --start/--end)")
    when.add_argument(
        "--date",
        type=iso_date,
        help="the astronomical night starting in the evening of this (local) date",
    )
    when.add_argument("--start", type=utc_datetime, help="window start, UTC (YYYY-MM-DDTHH:MM)")
    when.add_argument("--end", type=utc_datetime, help="window end, UTC (YYYY-MM-DDTHH:MM)")


def add_service_arguments(parser, default_url, credentials_help, credentials_required=True):
    """``--credentials``, ``--url``, ``--max-retries``, ``--retry-wait``, ``--timeout``."""
    service = parser.add_argument_group("service")
    if credentials_help:
        service.add_argument(
            "--credentials", required=credentials_required, metavar="FILE", help=credentials_help
        )
    service.add_argument(
        "--url", type=http_url, default=None, help=f"service base URL (default {default_url})"
    )
    service.add_argument(
        "--max-retries",
        type=non_negative_int,
        default=5,
        help="retries after a network error, time-out or HTTP 408/429/5xx (default 5); "
        "then exit 100",
    )
    service.add_argument(
        "--retry-wait",
        type=non_negative_float,
        default=10.0,
        help="seconds before the first retry, doubled before each next one (default 10)",
    )
    service.add_argument(
        "--timeout",
        type=non_negative_float,
        default=60.0,
        help="connect/read time-out of each HTTP call [s] (default 60; 0: none)",
    )


def credentials_file(text):
    """The ``--credentials`` file as a Path; UsageError if it is missing or not a file."""
    path = Path(text)
    if path.is_dir():
        raise UsageError(f"{path}: credentials file is a directory")
    if not path.exists():
        raise UsageError(f"{path}: credentials file does not exist")
    if not path.is_file():
        raise UsageError(f"{path}: credentials file is not a regular file")
    return path


def retry_policy(args):
    """The :class:`.http.RetryPolicy` of the parsed options."""
    from .http import RetryPolicy

    return RetryPolicy(args.max_retries, args.retry_wait, args.timeout or None)


def resolve_site(args):
    """``(name, latitude, longitude)`` from ``--site`` or ``--latitude``/``--longitude``."""
    from ..sites import custom_site, get_site

    coordinates = (args.latitude, args.longitude)
    if args.site is not None:
        if any(c is not None for c in coordinates):
            raise UsageError("give either --site or --latitude/--longitude, not both")
        site = get_site(args.site)
    elif all(c is not None for c in coordinates):
        site = custom_site(args.latitude, args.longitude, 0.0)
    else:
        raise UsageError("give the site: --site NAME, or --latitude and --longitude")
    return site.name, site.latitude_deg, site.longitude_deg


def resolve_times(args, latitude, longitude, step_hours):
    """Data times (UTC) on the ``step_hours`` grid covering the night or the given window."""
    from .window import covering_times, night_times

    window = (args.start, args.end)
    if args.date is not None:
        if any(w is not None for w in window):
            raise UsageError("give either --date or --start/--end, not both")
        try:
            return night_times(args.date, latitude, longitude, step_hours)
        except ValueError as err:
            raise UsageError(f"{err}; give --start/--end instead") from None
    if not all(w is not None for w in window):
        raise UsageError("give the time window: --date DATE, or --start and --end")
    if args.end < args.start:
        raise UsageError(f"--end {args.end:%Y-%m-%dT%H:%M} is before --start")
    if args.end - args.start > datetime.timedelta(days=31):
        raise UsageError("the window is longer than 31 days; split it into several downloads")
    return covering_times(args.start, args.end, step_hours)
