"""The normalised meteorological table: what ``ingest-meteo`` writes and the atmosphere steps read.

One ECSV file (``meteo.ecsv``), one row per (time, grid point, pressure level),
sorted by time, latitude, longitude and decreasing pressure (increasing altitude):

=====================  ======  ==============================================
column                 unit    content
=====================  ======  ==============================================
``time``               (UTC)   analysis/valid time, astropy ``Time`` (isot, utc)
``latitude``           deg     grid point latitude
``longitude``          deg     grid point longitude, in [-180, 180)
``pressure``           hPa     isobaric level
``geopotential_height`` m      Φ / g0 (geopotential metres)
``altitude``           m       geometric altitude above sea level (WGS84 gravity)
``temperature``        K       air temperature
``relative_humidity``  %       relative humidity (as delivered: w.r.t. water/ice mix)
=====================  ======  ==============================================

Table meta: ``site`` (name), ``site_latitude``, ``site_longitude`` [deg],
``site_altitude`` [m], ``data_source`` (``GDAS`` or ``ERA5``), ``dataset``,
``window_start``/``window_end`` (ISO UTC), ``grid_selection`` (``nearest`` or
``box``), ``input_files`` (basenames).
"""

import numpy as np

from ..errors import InputDataError

#: column name -> (unit string, description)
COLUMNS = {
    "time": (None, "analysis or valid time (UTC)"),
    "latitude": ("deg", "grid point latitude"),
    "longitude": ("deg", "grid point longitude"),
    "pressure": ("hPa", "isobaric level"),
    "geopotential_height": ("m", "geopotential height (geopotential / 9.80665 m s-2)"),
    "altitude": ("m", "geometric altitude above sea level"),
    "temperature": ("K", "air temperature"),
    "relative_humidity": ("%", "relative humidity"),
}
REQUIRED_META = ("site", "site_latitude", "site_longitude", "site_altitude", "data_source")
FILENAME = "meteo.ecsv"


def read_meteo_table(path):
    """Read and check a normalised meteorological table.

    Raises
    ------
    InputDataError
        If the file is not an ECSV table with the columns, units and meta above,
        or holds NaN values.
    """
    from astropy.table import Table
    from astropy.time import Time

    try:
        table = Table.read(path, format="ascii.ecsv")
    except Exception as err:  # astropy raises many types for malformed files
        raise InputDataError(
            path, f"not a readable ECSV table ({type(err).__name__}: {err})"
        ) from None
    check_meteo_table(table, path)
    if not isinstance(table["time"], Time):
        table["time"] = Time(table["time"], scale="utc")
    return table


def check_meteo_table(table, path=None):
    """Raise :class:`InputDataError` unless ``table`` follows the normalised layout."""
    import astropy.units as u

    missing = [c for c in COLUMNS if c not in table.colnames]
    if missing:
        raise InputDataError(path, f"meteorological table lacks column(s) {', '.join(missing)}")
    for name, (unit, _) in COLUMNS.items():
        if unit is None:
            continue
        col_unit = table[name].unit
        if col_unit is None or not u.Unit(col_unit).is_equivalent(u.Unit(unit)):
            raise InputDataError(path, f"column {name} has unit {col_unit}, expected {unit}")
        values = np.asarray(table[name], dtype=float)
        if not np.all(np.isfinite(values)):
            raise InputDataError(path, f"column {name} holds NaN or infinite values")
    missing_meta = [k for k in REQUIRED_META if k not in table.meta]
    if missing_meta:
        raise InputDataError(path, f"meteorological table lacks meta {', '.join(missing_meta)}")
    if len(table) == 0:
        raise InputDataError(path, "meteorological table has no rows")
