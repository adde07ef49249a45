"""What every meteorological reader returns, and what the readers share.

A reader (:mod:`.grib_meteo`, :mod:`.era5_netcdf`) opens one file, keeps only the
times inside the requested window and the grid points selected around the site,
checks units, levels and values, and returns :class:`MeteoFields`:
fields on (time, pressure level, grid point) in SI-like units (K, %, and
geopotential height in metres = geopotential / g0).

Shared here: format detection from the first bytes of a file
(:func:`detect_format`), the units the readers know (:data:`KNOWN_UNITS`),
the choice of grid points (:func:`select_grid_points`) and the checks on the
values (:func:`check_fields`).
"""

from dataclasses import dataclass, field

import numpy as np

from ..atmosphere.gravity import G0
from ..errors import InputDataError

#: first bytes of the formats the readers know -> format name
MAGIC = {
    b"GRIB": "grib",
    b"CDF\x01": "netcdf3",
    b"CDF\x02": "netcdf3",
    b"\x89HDF": "netcdf4",
}

#: quantity -> {unit string as found in files -> factor to the normalised unit}
#: (geopotential in m**2 s**-2 becomes geopotential height in m by dividing by g0)
KNOWN_UNITS = {
    "geopotential": {
        "m**2 s**-2": 1.0 / G0,
        "m2 s-2": 1.0 / G0,
        "m^2/s^2": 1.0 / G0,
        "m2/s2": 1.0 / G0,
        "m**2/s**2": 1.0 / G0,
    },
    "geopotential_height": {"gpm": 1.0, "m": 1.0},
    "temperature": {"K": 1.0, "kelvin": 1.0},
    "relative_humidity": {"%": 1.0, "percent": 1.0},
    "pressure": {"hPa": 1.0, "mbar": 1.0, "millibars": 1.0, "millibar": 1.0, "Pa": 0.01},
}


def detect_format(path):
    """The format of ``path`` from its first bytes: ``grib``, ``netcdf3`` or ``netcdf4``.

    Raises
    ------
    InputDataError
        For an empty file or one that starts with none of the known signatures.
    """
    with open(path, "rb") as f:
        head = f.read(4)
    if not head:
        raise InputDataError(path, "empty file (expected GRIB or netCDF)")
    fmt = MAGIC.get(head)
    if fmt is None:
        raise InputDataError(
            path, f"not a GRIB or netCDF file (starts with {head!r}, format detected from content)"
        )
    return fmt


def unit_factor(path, quantity, unit, variable):
    """Factor that converts ``variable`` given in ``unit`` to the normalised unit.

    Raises
    ------
    InputDataError
        If ``unit`` is not one the readers know for ``quantity``.
    """
    factors = KNOWN_UNITS[quantity]
    key = str(unit).strip() if unit is not None else ""
    if key not in factors:
        known = ", ".join(repr(u) for u in factors)
        raise InputDataError(
            path, f"variable {variable} has unknown unit {key!r} for {quantity} (known: {known})"
        )
    return factors[key]


def wrap_longitude(lon):
    """Longitude in [-180, 180)."""
    return (np.asarray(lon, dtype=float) + 180.0) % 360.0 - 180.0


def _axis_neighbours(axis, value, path, name, mode, periodic=False, step=None):
    """Indices into ``axis`` (1-D, monotonic) of the nearest node or the two enclosing nodes.

    A value outside the axis is accepted by ``nearest`` when it lies within half a grid
    step (``step``, or the axis spacing if not given) of the edge node.
    """
    axis = np.asarray(axis, dtype=float)
    if periodic:
        offsets = wrap_longitude(axis - value)  # signed distance of each node from the value
    else:
        offsets = axis - value
    if axis.size == 0:
        raise InputDataError(path, f"empty {name} axis")
    below = np.nonzero(offsets <= 0)[0]
    above = np.nonzero(offsets >= 0)[0]
    if below.size == 0 or above.size == 0:
        return _beyond_edge(axis, offsets, value, path, name, mode, periodic, step)
    lo = below[np.argmax(offsets[below])]  # closest node at or below
    hi = above[np.argmin(offsets[above])]  # closest node at or above
    if mode == "nearest":
        return np.array([lo if -offsets[lo] <= offsets[hi] else hi])
    if lo == hi:  # the site is on a grid line: take it and its neighbour towards the interior
        other = lo + 1 if lo + 1 < axis.size else lo - 1
        if other < 0:
            raise InputDataError(path, f"the file's grid has a single {name} node")
        return np.sort(np.array([lo, other]))
    return np.sort(np.array([lo, hi]))


def _beyond_edge(axis, offsets, value, path, name, mode, periodic, step):
    """The edge node for ``nearest`` if within half a grid step, else the refusal."""
    if step is None:
        step = np.abs(np.diff(axis)).min() if axis.size > 1 else 0.0
    edge = int(np.argmin(np.abs(offsets)))
    distance = abs(float(offsets[edge]))
    if mode == "nearest" and step > 0 and distance <= step / 2 + 1e-9:
        return np.array([edge])
    shown = wrap_longitude(axis) if periodic else axis
    problem = (
        f"site {name} {value:.4f} is outside the file's grid "
        f"({name} {shown.min():g} to {shown.max():g})"
    )
    if mode != "nearest":
        problem += f": --grid-selection {mode} needs grid points on both sides of the site"
    elif step > 0:
        problem += (
            f" by {distance:.4f} deg, more than half the grid step of {step:g} deg"
            " (--grid-selection nearest accepts up to half a step)"
        )
    else:
        problem += " and the grid step is unknown"
    raise InputDataError(path, problem)


def select_grid_points(latitudes, longitudes, site_lat, site_lon, mode, path, steps=None):
    """Grid points of a regular latitude/longitude grid to keep for a site.

    Parameters
    ----------
    latitudes, longitudes : ndarray
        The grid's 1-D axes (degrees; longitudes in any convention, e.g. 0..360).
    site_lat, site_lon : float
        The site (degrees, east positive).
    mode : {"nearest", "box"}
        ``nearest``: the grid node nearest in latitude and in longitude;
        ``box``: the 2 x 2 nodes surrounding the site.
    path : path-like
        The file (for error messages).
    steps : (float or None, float or None), optional
        The grid step in latitude and longitude [deg] from the file's metadata; None:
        the spacing of the axes. ``nearest`` accepts a site outside the grid within
        half a step of its edge (e.g. a one-point extraction), ``box`` never does.

    Returns
    -------
    lat_index, lon_index : ndarray of int
        Indices into the axes (1 or 2 each); the selected points are their outer product.

    Raises
    ------
    InputDataError
        If the site lies outside the grid.
    """
    lon_axis = np.asarray(longitudes, dtype=float)
    global_lon = lon_axis.size > 1 and np.isclose(
        np.abs(np.diff(lon_axis)).min() * lon_axis.size, 360.0
    )
    lat_step, lon_step = steps if steps is not None else (None, None)
    lat_index = _axis_neighbours(latitudes, site_lat, path, "latitude", mode, step=lat_step)
    lon_index = (
        _axis_neighbours(lon_axis, site_lon, path, "longitude", mode, periodic=True, step=lon_step)
        if not global_lon
        else _global_lon_neighbours(lon_axis, site_lon, mode)
    )
    return lat_index, lon_index


def _global_lon_neighbours(lon_axis, site_lon, mode):
    """Neighbours on a longitude axis that wraps around the globe."""
    offsets = wrap_longitude(lon_axis - site_lon)
    lo = int(np.argmax(np.where(offsets <= 0, offsets, -np.inf)))
    hi = int(np.argmin(np.where(offsets >= 0, offsets, np.inf)))
    if mode == "nearest":
        return np.array([lo if -offsets[lo] <= offsets[hi] else hi])
    if lo == hi:
        hi = (lo + 1) % lon_axis.size
    return np.array(sorted({lo, hi}))


#: mean Earth radius R1 = (2a + b) / 3 of GRS 80 [km] (Moritz 2000, J. Geodesy 74, 128)
EARTH_MEAN_RADIUS_KM = 6371.0088


def great_circle_km(lat1, lon1, lat2, lon2):
    """Great-circle distance [km] between points given in degrees (on the mean sphere)."""
    import astropy.units as u
    from astropy.coordinates import angular_separation

    separation = angular_separation(lon1 * u.deg, lat1 * u.deg, lon2 * u.deg, lat2 * u.deg)
    return separation.to_value(u.rad) * EARTH_MEAN_RADIUS_KM


@dataclass
class MeteoFields:
    """Meteorological fields of one file, on the selected times and grid points.

    Attributes
    ----------
    path : str
        The file read.
    source : str
        ``"GDAS"`` or ``"ERA5"``.
    dataset : str
        Description of the product.
    times : ndarray of datetime64[s]
        Analysis/valid times (UTC), increasing, shape (nt,).
    pressure : ndarray
        Isobaric levels [hPa], decreasing, shape (nl,).
    latitude, longitude : ndarray
        The selected grid points [deg], longitude in [-180, 180), shape (np,).
    geopotential_height, temperature, relative_humidity : ndarray
        Fields [m], [K], [%] of shape (nt, nl, np).
    grid_step : (float, float) or None
        The grid step in latitude and longitude [deg] (file metadata or axis spacing).
    """

    path: str
    source: str
    dataset: str
    times: np.ndarray
    pressure: np.ndarray
    latitude: np.ndarray
    longitude: np.ndarray
    geopotential_height: np.ndarray
    temperature: np.ndarray
    relative_humidity: np.ndarray
    grid_step: tuple | None = None
    variables: tuple = field(
        default=("geopotential_height", "temperature", "relative_humidity"), repr=False
    )


def check_pressure_axis(path, levels_hpa):
    """Raise unless the pressure levels are finite, positive and strictly monotonic."""
    levels = np.asarray(levels_hpa, dtype=float)
    if levels.size < 2:
        raise InputDataError(path, f"only {levels.size} pressure level(s); need at least 2")
    if not np.all(np.isfinite(levels)) or np.any(levels <= 0):
        raise InputDataError(path, "pressure levels must be finite and positive")
    steps = np.diff(levels)
    if not (np.all(steps > 0) or np.all(steps < 0)):
        raise InputDataError(path, f"pressure levels are not strictly monotonic: {levels.tolist()}")


def check_fields(fields):
    """Raise :class:`InputDataError` if a selected value is NaN/missing or out of range."""
    for name in fields.variables:
        values = getattr(fields, name)
        bad = ~np.isfinite(values)
        if bad.any():
            it, il, _ = np.argwhere(bad)[0]
            when = np.datetime_as_string(fields.times[it], unit="s")
            raise InputDataError(
                fields.path,
                f"{name} is missing (NaN/fill value) at {when} UTC, "
                f"{fields.pressure[il]:g} hPa ({int(bad.sum())} values)",
            )
    if np.any(fields.temperature <= 0):
        raise InputDataError(fields.path, "temperature <= 0 K")
    if np.any((fields.relative_humidity < -1) | (fields.relative_humidity > 150)):
        raise InputDataError(fields.path, "relative humidity outside [-1, 150] %")


def normalise_levels(fields):
    """Return ``fields`` with levels in decreasing pressure (increasing altitude)."""
    order = np.argsort(-fields.pressure, kind="stable")
    if np.array_equal(order, np.arange(order.size)):
        return fields
    fields.pressure = fields.pressure[order]
    for name in fields.variables:
        setattr(fields, name, getattr(fields, name)[:, order, :])
    return fields
