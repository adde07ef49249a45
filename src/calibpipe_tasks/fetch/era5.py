"""ERA5 pressure-level data from the Copernicus Climate Data Store (CDS).

The request (:func:`era5_request`) is the one the CDS web form of
``reanalysis-era5-pressure-levels`` produces: product type, the variables
geopotential, temperature and relative humidity, all 37 pressure levels, the
years/months/days and hours, the area ``[north, west, south, east]`` and the data
format. The CDS selects the Cartesian product of year x month x day x time, so a
window that crosses midnight also brings the evening hours of the second day (and,
across a month end, some days in between); ``ingest-meteo`` keeps only the window.

:func:`retrieve` hands the request to ``cdsapi``; since cdsapi 0.7 the client
delegates to ``ecmwf-datastores-client`` for the CDS of 2024 on
(``https://cds.climate.copernicus.eu/api``), which speaks an OGC API - Processes
dialect: ``POST {url}/retrieve/v1/processes/{dataset}/execution`` with
``{"inputs": request}`` and the key in a ``PRIVATE-TOKEN`` header, then polling of
``{url}/retrieve/v1/jobs/{id}`` until ``successful``, then ``.../results`` whose
``asset.value.href`` is the file to download.
"""

import math

from ..errors import InputDataError, TemporaryFailure, UsageError

DATASET = "reanalysis-era5-pressure-levels"
DEFAULT_URL = "https://cds.climate.copernicus.eu/api"
VARIABLES = ("geopotential", "relative_humidity", "temperature")
#: the 37 ERA5 pressure levels [hPa]
PRESSURE_LEVELS_HPA = (
    1, 2, 3, 5, 7, 10, 20, 30, 50, 70, 100, 125, 150, 175, 200, 225, 250, 300, 350,
    400, 450, 500, 550, 600, 650, 700, 750, 775, 800, 825, 850, 875, 900, 925, 950,
    975, 1000,
)  # fmt: skip
GRID_DEG = 0.25
FORMATS = {"grib": "era5.grib", "netcdf": "era5.nc"}
#: longest wait between two status polls of a CDS job [s]
POLL_MAX = 120.0


def area_box(latitude_deg, longitude_deg, half_width_deg, grid_deg):
    """Box ``[north, west, south, east]`` around a site, on the grid, at least ``half_width`` wide.

    The edges are rounded outwards to multiples of ``grid_deg``, so the grid points
    around the site are always inside. Latitudes are clipped to [-90, 90].
    """
    if half_width_deg < 0:
        raise UsageError(f"area half-width must not be negative: {half_width_deg}")

    def down(x):
        return round(math.floor(round(x / grid_deg, 9)) * grid_deg, 6)

    def up(x):
        return round(math.ceil(round(x / grid_deg, 9)) * grid_deg, 6)

    north = min(90.0, up(latitude_deg + half_width_deg))
    south = max(-90.0, down(latitude_deg - half_width_deg))
    west = down(longitude_deg - half_width_deg)
    east = up(longitude_deg + half_width_deg)
    return [north, west, south, east]


def era5_request(times, area, data_format="grib"):
    """The CDS request for ERA5 pressure-level z, t, r at ``times`` over ``area``.

    Parameters
    ----------
    times : sequence of datetime.datetime
        UTC hours wanted (on the hour).
    area : list of float
        ``[north, west, south, east]`` in degrees.
    data_format : {"grib", "netcdf"}

    Returns
    -------
    dict
        The request, as the CDS form of ``reanalysis-era5-pressure-levels`` writes it.
    """
    if data_format not in FORMATS:
        raise UsageError(f"unknown format {data_format!r} (known: {', '.join(FORMATS)})")
    if not times:
        raise UsageError("no times to request")
    return {
        "product_type": ["reanalysis"],
        "variable": list(VARIABLES),
        "pressure_level": [str(p) for p in PRESSURE_LEVELS_HPA],
        "year": sorted({f"{t.year:04d}" for t in times}),
        "month": sorted({f"{t.month:02d}" for t in times}),
        "day": sorted({f"{t.day:02d}" for t in times}),
        "time": sorted({f"{t.hour:02d}:00" for t in times}),
        "area": [float(a) for a in area],
        "data_format": data_format,
        "download_format": "unarchived",
    }


def read_cdsapirc(path):
    """``(url, key)`` from a ``.cdsapirc``-style file (lines ``url: ...`` and ``key: ...``).

    ``url`` is None when the file has no ``url:`` line.

    Raises
    ------
    InputDataError
        If the file cannot be read, has no key, or holds a key of the CDS before 2024
        (``UID:KEY``), which the current CDS no longer accepts.
    """
    try:
        with open(path, encoding="utf-8") as f:
            lines = f.read().splitlines()
    except (OSError, UnicodeDecodeError) as err:
        raise InputDataError(path, f"cannot read the CDS credentials ({err})") from None
    config = {}
    for line in lines:
        key, sep, value = line.partition(":")
        if sep and key.strip() in ("url", "key"):
            config[key.strip()] = value.strip()
    key = config.get("key")
    if not key:
        raise InputDataError(path, "no 'key:' line (expected the .cdsapirc format: url: / key:)")
    if ":" in key:
        raise InputDataError(
            path,
            "key has the old 'UID:KEY' form of the CDS before 2024; use the personal access "
            "token of the current CDS",
        )
    return config.get("url") or None, key


def _cdsapi_client(url, key, policy, show_progress, log):
    """A ``cdsapi`` client with our retry policy and logging, built without reading any rc file."""
    import warnings

    import cdsapi

    with warnings.catch_warnings():
        # the constructor fetches service messages once and only warns when that fails
        warnings.simplefilter("ignore")
        client = cdsapi.Client(
            url=url,
            key=key,
            retry_max=1,
            sleep_max=POLL_MAX,
            timeout=policy.timeout,
            progress=show_progress,
            delete=False,
            info_callback=log.info,
            warning_callback=log.warning,
            error_callback=log.warning,
            debug_callback=log.debug,
        )
    # cdsapi >= 0.7 wraps an ecmwf.datastores.Client: give it bounded exponential back-off
    # (multiurl.robust takes (first wait, longest wait, factor)) and our number of attempts.
    inner = getattr(client, "client", None)
    if inner is not None and hasattr(inner, "retry_after"):
        first = max(policy.retry_wait, 0.0)
        longest = max(policy.wait(max(policy.max_retries - 1, 0)), first + 1.0)
        inner.retry_after = (first, longest, 2.0)
        inner.maximum_tries = policy.attempts
    return client


def retrieve(request, target, url, key, policy, credentials, show_progress, log):
    """Submit ``request`` to the CDS at ``url``, wait for it and download the result to ``target``.

    Raises
    ------
    TemporaryFailure
        Network errors, time-outs, HTTP 408/429/5xx after the retries; a truncated download.
    InputDataError
        Credentials refused (HTTP 401/403, naming ``credentials``), request refused
        (other 4xx), the job failed at the service, or a malformed reply.
    """
    import requests
    from ecmwf.datastores import processing

    from .http import describe_network_error, is_retriable, redact

    where = url.rstrip("/")
    try:
        client = _cdsapi_client(where, key, policy, show_progress, log)
        client.retrieve(DATASET, request, str(target))
    except requests.HTTPError as err:
        response = err.response
        code = response.status_code if response is not None else None
        lines = [line for line in str(err).splitlines() if line.strip()]
        detail = redact("; ".join(lines[1:3]) or (lines[0] if lines else ""))[:300]
        if code is None or is_retriable(code):
            raise TemporaryFailure(
                f"{where}: CDS unavailable (HTTP {code}) after {policy.attempts} attempts"
            ) from None
        if code in (401, 403):
            raise InputDataError(
                credentials, f"the CDS refused this key (HTTP {code}: {detail}); check the file"
            ) from None
        raise InputDataError(
            where, f"the CDS refused the request (HTTP {code}: {detail})"
        ) from None
    except (
        requests.ConnectionError,
        requests.Timeout,
        requests.exceptions.ChunkedEncodingError,
    ) as err:
        raise TemporaryFailure(
            f"{where}: CDS not reachable ({describe_network_error(err)}) "
            f"after {policy.attempts} attempts"
        ) from None
    except processing.DownloadError as err:
        raise TemporaryFailure(f"{where}: {redact(err)}") from None
    except AssertionError as err:
        if "size mismatch" in str(err):  # multiurl: the transfer broke off
            raise TemporaryFailure(f"{where}: download incomplete ({redact(err)})") from None
        raise InputDataError(where, "malformed reply from the CDS (unexpected JSON)") from None
    except processing.ProcessingFailedError as err:
        raise InputDataError(where, f"the CDS job failed: {redact(err)[:300]}") from None
    except (processing.LinkError, KeyError, TypeError, ValueError) as err:
        raise InputDataError(
            where, f"malformed reply from the CDS ({type(err).__name__}: {redact(err)[:200]})"
        ) from None
