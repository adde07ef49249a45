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
``window_start``/``window_end`` (ISO UTC), ``window`` (``astronomical night`` or
``explicit``), ``grid_selection`` (``nearest`` or ``box``), ``grid_point_distance_km``
(site to the nearest selected grid point, great circle), ``grid_step_deg`` ([latitude,
longitude] step of the file's grid), ``input_files`` (basenames).

:func:`combine_fields`, :func:`build_meteo_table` and :func:`write_meteo_table` make
the table from the readers' :class:`~.meteo_fields.MeteoFields`.
"""

import numpy as np

from ..errors import InputDataError
from .table_checks import Col, Monotonic, TableKind, check_table, read_ecsv

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
#: the checks every step reading the table applies (:mod:`.table_checks`): columns and
#: units above, finite values, at least one row, the meta, and within each profile
#: (time, grid point) pressure strictly decreasing with altitude
KIND = TableKind(
    name="meteorological table",
    columns={
        name: Col(
            unit,
            finite=unit is not None,
            positive=name in ("pressure", "temperature"),
            time=name == "time",
        )
        for name, (unit, _) in COLUMNS.items()
    },
    meta=REQUIRED_META,
    monotonic=(
        Monotonic(
            "pressure", "decreasing", along="altitude", group_by=("time", "latitude", "longitude")
        ),
    ),
    locate_by="altitude",
)


def read_meteo_table(path):
    """Read and check a normalised meteorological table.

    Raises
    ------
    InputDataError
        If the file is not an ECSV table with the columns, units and meta above,
        holds NaN values or a profile whose pressure does not decrease with altitude.
    """
    return read_ecsv(path, KIND)  # the check makes the time column an astropy Time


def check_meteo_table(table, path=None):
    """Raise :class:`InputDataError` unless ``table`` follows the layout (:data:`KIND`)."""
    check_table(table, KIND, path)


#: decimals kept in the written table (well below the precision of the sources)
DECIMALS = {
    "latitude": 6,
    "longitude": 6,
    "pressure": 4,
    "geopotential_height": 2,
    "altitude": 2,
    "temperature": 3,
    "relative_humidity": 3,
}


def combine_fields(fields_list):
    """Join the :class:`~.meteo_fields.MeteoFields` of several files along time.

    All parts must come from the same source, on the same levels and grid points,
    and no time may appear twice.

    Raises
    ------
    InputDataError
        Naming the first file that does not match the others.
    """
    first = fields_list[0]
    for other in fields_list[1:]:
        if other.source != first.source:
            raise InputDataError(
                other.path, f"{other.source} data cannot be mixed with {first.source} data"
            )
        if other.pressure.shape != first.pressure.shape or not np.allclose(
            other.pressure, first.pressure
        ):
            raise InputDataError(other.path, f"pressure levels differ from those of {first.path}")
        same_points = other.latitude.shape == first.latitude.shape and np.allclose(
            np.c_[other.latitude, other.longitude], np.c_[first.latitude, first.longitude]
        )
        if not same_points:
            raise InputDataError(other.path, f"grid points differ from those of {first.path}")
    times = np.concatenate([f.times for f in fields_list])
    owner = np.concatenate([np.full(f.times.size, i) for i, f in enumerate(fields_list)])
    order = np.argsort(times, kind="stable")
    times, owner = times[order], owner[order]
    dup = np.nonzero(times[1:] == times[:-1])[0]
    if dup.size:
        i = dup[0]
        raise InputDataError(
            fields_list[owner[i + 1]].path,
            f"time {np.datetime_as_string(times[i], unit='s')} is also in "
            f"{fields_list[owner[i]].path}",
        )
    merged = {
        name: np.concatenate([getattr(f, name) for f in fields_list])[order]
        for name in first.variables
    }
    return type(first)(
        path=first.path,
        source=first.source,
        dataset=first.dataset,
        times=times,
        pressure=first.pressure,
        latitude=first.latitude,
        longitude=first.longitude,
        **merged,
        grid_step=first.grid_step,
    )


def build_meteo_table(fields, meta):
    """The normalised table of :data:`COLUMNS` from combined fields.

    Parameters
    ----------
    fields : MeteoFields
        Fields on (time, level, point) with levels in decreasing pressure.
    meta : dict
        Table meta (see the module docstring); ``data_source`` and ``dataset``
        are taken from ``fields``.

    Returns
    -------
    astropy.table.Table
        One row per (time, point, level), sorted by time, latitude, longitude and
        decreasing pressure, with geometric altitude from the geopotential height
        and latitude-dependent gravity (:mod:`..atmosphere.gravity`).
    """
    from astropy.table import Table
    from astropy.time import Time

    from ..atmosphere.gravity import geometric_from_geopotential_height

    point_order = np.lexsort((fields.longitude, fields.latitude))
    nt, nl, npt = fields.temperature.shape
    t_idx, p_idx, l_idx = np.meshgrid(
        np.arange(nt), point_order, np.arange(nl), indexing="ij"
    )  # rows: time, point (by lat, lon), level (decreasing pressure)
    t_idx, p_idx, l_idx = t_idx.ravel(), p_idx.ravel(), l_idx.ravel()
    lat = fields.latitude[p_idx]
    gph = fields.geopotential_height[t_idx, l_idx, p_idx]
    columns = {
        "latitude": lat,
        "longitude": fields.longitude[p_idx],
        "pressure": fields.pressure[l_idx],
        "geopotential_height": gph,
        "altitude": geometric_from_geopotential_height(gph, lat),
        "temperature": fields.temperature[t_idx, l_idx, p_idx],
        "relative_humidity": fields.relative_humidity[t_idx, l_idx, p_idx],
    }
    table = Table()
    # astropy parses datetime64 one by one: convert the nt distinct times, then index
    table["time"] = Time(fields.times, scale="utc", precision=0)[t_idx]
    table["time"].format = "isot"
    table["time"].info.description = COLUMNS["time"][1]
    for name, values in columns.items():
        unit, description = COLUMNS[name]
        table[name] = np.round(values, DECIMALS[name]) + 0.0  # + 0.0: no negative zeros
        table[name].unit = unit
        table[name].description = description
    table.meta.update(meta)
    table.meta["data_source"] = fields.source
    table.meta["dataset"] = fields.dataset
    return table


def write_meteo_table(table, path):
    """Write the table as ECSV, byte for byte what astropy's ECSV writer gives, but faster.

    astropy's writer formats row by row in Python (~5 s for 10^5 rows). Here astropy
    writes the header and the first row (which fixes the header's column types) and
    the other rows are formatted column-wise: floats as their shortest repr (what
    astropy writes too), times as ISO strings to the second. ``tests/io`` checks the
    bytes equal those of ``Table.write(format="ascii.ecsv")``.
    """
    import io

    check_meteo_table(table, path)
    header = io.StringIO()
    table[:1].write(header, format="ascii.ecsv")
    rest = table[1:]
    seconds = np.round(rest["time"].unix).astype(np.int64).astype("datetime64[s]")
    times = np.datetime_as_string(seconds, unit="s").tolist()
    # Python's float repr is the shortest round-trip repr, as numpy's str() that astropy uses
    columns = [times] + [list(map(repr, rest[n].tolist())) for n in list(COLUMNS)[1:]]
    body = "".join(line + "\n" for line in map(" ".join, zip(*columns, strict=True)))
    with open(path, "w") as f:
        f.write(header.getvalue())
        f.write(body)
