"""Read pressure-level fields from GRIB files (GDAS ds083.2 GRIB2, ERA5 GRIB 1 or 2) with ecCodes.

What is read
    * GDAS/FNL (NCAR ds083.2, NCEP centre ``kwbc``): ``gh`` geopotential height
      [gpm], ``t`` [K], ``r`` [%] on isobaric levels (GRIB2 fixed surface 100);
    * ERA5 pressure levels (ECMWF centre ``ecmf``): ``z`` geopotential
      [m**2 s**-2], ``t`` [K], ``r`` [%] on isobaric levels, GRIB edition 1 or 2.

How
    Messages are scanned once. A message is skipped from its header alone when its
    parameter, level type or validity time is not wanted; otherwise only the values
    of the selected grid points are decoded (``codes_get_double_elements``). The
    grid must be a regular latitude/longitude grid (any scanning direction,
    longitudes in any convention).
"""

import numpy as np

from ..errors import InputDataError
from .meteo_fields import (
    MeteoFields,
    check_fields,
    check_pressure_axis,
    normalise_levels,
    select_grid_points,
    unit_factor,
    wrap_longitude,
)

#: GRIB shortName -> (normalised variable, quantity for the unit check)
PARAMETERS = {
    "gh": ("geopotential_height", "geopotential_height"),
    "z": ("geopotential_height", "geopotential"),
    "t": ("temperature", "temperature"),
    "r": ("relative_humidity", "relative_humidity"),
}
#: paramId (ECMWF/WMO parameter database) -> shortName
PARAM_IDS = {156: "gh", 129: "z", 130: "t", 157: "r"}
#: code of isobaric levels (GRIB1 indicatorOfTypeOfLevel, GRIB2 typeOfFirstFixedSurface)
ISOBARIC = 100
#: keys that identify a message's grid
GEOMETRY_KEYS = ("Ni", "Nj", "latitudeOfFirstGridPoint", "longitudeOfFirstGridPoint")
CENTRES = {
    "kwbc": ("GDAS", "NCEP GDAS/FNL 1-degree analysis (NCAR ds083.2)"),
    "ecmf": ("ERA5", "ECMWF ERA5 reanalysis on pressure levels (reanalysis-era5-pressure-levels)"),
}
VARIABLES = ("geopotential_height", "temperature", "relative_humidity")
#: grid step [deg] of a centre's product, for a grid whose increments are not given
#: (a one-point extraction): GDAS ds083.2 1 degree, ERA5 on the CDS's default 0.25 degree
NOMINAL_STEPS = {"kwbc": 1.0, "ecmf": 0.25}


def _time_key(dt64):
    """Integer YYYYMMDDHHMM of a datetime64 (comparable with GRIB validity date/time)."""
    text = np.datetime_as_string(np.datetime64(dt64, "m"), unit="m")
    return int(text.replace("-", "").replace("T", "").replace(":", ""))


def _grid_axes(h, path):
    """Latitude and longitude axes and layout of a message's regular lat/lon grid."""
    from eccodes import codes_get

    grid_type = codes_get(h, "gridType")
    if grid_type != "regular_ll":
        raise InputDataError(path, f"GRIB grid type {grid_type!r} is not regular_ll")
    ni, nj = codes_get(h, "Ni"), codes_get(h, "Nj")
    lat1 = codes_get(h, "latitudeOfFirstGridPointInDegrees", float)
    lat2 = codes_get(h, "latitudeOfLastGridPointInDegrees", float)
    lon1 = codes_get(h, "longitudeOfFirstGridPointInDegrees", float)
    lon2 = codes_get(h, "longitudeOfLastGridPointInDegrees", float)
    if codes_get(h, "jPointsAreConsecutive"):
        raise InputDataError(path, "GRIB grids with consecutive j points are not supported")
    lats = np.linspace(lat1, lat2, nj)
    if codes_get(h, "iScansNegatively"):
        span = -((lon1 - lon2) % 360.0)
    else:
        span = (lon2 - lon1) % 360.0
    lons = lon1 + (np.arange(ni) * span / (ni - 1) if ni > 1 else np.zeros(1))
    return ni, lats, lons


def _grid_steps(h, centre):
    """Latitude and longitude steps [deg] of a message's grid: its increments when given."""
    from eccodes import codes_get

    given = codes_get(h, "ijDirectionIncrementGiven")
    steps = []
    for key in ("jDirectionIncrementInDegrees", "iDirectionIncrementInDegrees"):
        value = codes_get(h, key, float) if given else None
        valid = value is not None and 0 < value <= 360
        steps.append(value if valid else NOMINAL_STEPS.get(centre))
    return tuple(steps)


def read_grib_meteo(path, site_lat, site_lon, mode, start, end):
    """Read the pressure-level fields of a GRIB file at the selected grid points.

    Parameters
    ----------
    path : pathlib.Path
        GRIB file (edition 1 or 2, any number of messages).
    site_lat, site_lon : float
        Site coordinates [deg].
    mode : {"nearest", "box"}
        Grid point selection (:func:`.meteo_fields.select_grid_points`).
    start, end : numpy.datetime64
        Time window (UTC, inclusive).

    Returns
    -------
    MeteoFields or None
        ``None`` if the file has no message inside the window.

    Raises
    ------
    InputDataError
        Truncated or corrupt file, unknown units, missing variables or levels,
        NaN values, a site outside the grid, mixed grids.
    """
    import eccodes
    from eccodes import (
        codes_get,
        codes_get_double_elements,
        codes_get_long,
        codes_grib_new_from_file,
        codes_release,
    )

    t_lo, t_hi = _time_key(start), _time_key(end)
    grid = None
    index = None
    centre = None
    factors = {}
    keys, chunks = [], []
    try:
        with open(path, "rb") as f:
            while True:
                h = codes_grib_new_from_file(f)
                if h is None:
                    break
                try:
                    # integer keys only on this path: string and computed keys cost more
                    short_name = PARAM_IDS.get(codes_get_long(h, "paramId"))
                    if short_name is None:
                        continue
                    if codes_get_long(h, "edition") == 1:
                        if codes_get_long(h, "indicatorOfTypeOfLevel") != ISOBARIC:
                            continue
                        level = float(codes_get_long(h, "level"))
                    else:
                        if codes_get_long(h, "typeOfFirstFixedSurface") != ISOBARIC:
                            continue
                        scaled = codes_get_long(h, "scaledValueOfFirstFixedSurface")
                        factor = codes_get_long(h, "scaleFactorOfFirstFixedSurface")
                        level = scaled / 10.0**factor / 100.0  # Pa -> hPa
                    geometry = tuple(codes_get_long(h, k) for k in GEOMETRY_KEYS)
                    if grid is None:
                        centre = codes_get(h, "centre")
                        ni, lats, lons = _grid_axes(h, path)
                        steps = _grid_steps(h, centre)
                        lat_i, lon_i = select_grid_points(
                            lats, lons, site_lat, site_lon, mode, path, steps
                        )
                        jj, ii = np.meshgrid(lat_i, lon_i, indexing="ij")
                        index = (jj * ni + ii).ravel().tolist()
                        points = (lats[jj.ravel()], wrap_longitude(lons[ii.ravel()]))
                        grid = geometry
                    elif geometry != grid:
                        raise InputDataError(path, "messages on different grids")
                    when = codes_get_long(h, "validityDate") * 10000 + codes_get_long(
                        h, "validityTime"
                    )
                    if when < t_lo or when > t_hi:
                        continue
                    if short_name not in factors:
                        variable, quantity = PARAMETERS[short_name]
                        factors[short_name] = unit_factor(
                            path, quantity, codes_get(h, "units"), short_name
                        )
                    values = np.asarray(codes_get_double_elements(h, "values", index))
                    if codes_get_long(h, "bitmapPresent"):
                        values[values == codes_get(h, "missingValue", float)] = np.nan
                    keys.append((when, short_name, level))
                    chunks.append(values * factors[short_name])
                finally:
                    codes_release(h)
    except eccodes.CodesInternalError as err:
        raise InputDataError(
            path, f"truncated or corrupt GRIB file ({type(err).__name__}: {err})"
        ) from None
    if not keys:
        return None
    return _assemble(path, centre, keys, np.array(chunks), points, steps)


def _assemble(path, centre, keys, values, points, steps=None):
    """Arrange the decoded messages on (time, level, point) and check completeness."""
    when = np.array([k[0] for k in keys], dtype=np.int64)
    names = np.array([k[1] for k in keys])
    levels = np.array([k[2] for k in keys])
    z_names = {"gh", "z"} & set(names.tolist())
    if len(z_names) != 1:
        problem = "both gh and z" if z_names else "no geopotential (gh or z)"
        raise InputDataError(path, f"GRIB file has {problem} on pressure levels")
    for needed in ("t", "r"):
        if needed not in names:
            raise InputDataError(path, f"GRIB file has no {needed!r} messages on pressure levels")
    uniq_t, t_idx = np.unique(when, return_inverse=True)
    uniq_p, p_idx = np.unique(levels, return_inverse=True)
    var_names = [z_names.pop(), "t", "r"]
    v_idx = np.select([names == n for n in var_names], [0, 1, 2], default=-1)
    keep = v_idx >= 0
    cube = np.full((3, uniq_t.size, uniq_p.size, values.shape[1]), np.nan)
    count = np.zeros((3, uniq_t.size, uniq_p.size), dtype=int)
    np.add.at(count, (v_idx[keep], t_idx[keep], p_idx[keep]), 1)
    if np.any(count > 1):
        v, t, p = np.argwhere(count > 1)[0]
        raise InputDataError(
            path, f"duplicate {var_names[v]} message at {uniq_t[t]} {uniq_p[p]:g} hPa"
        )
    if np.any(count == 0):
        v, t, p = np.argwhere(count == 0)[0]
        stamp = str(uniq_t[t])
        raise InputDataError(
            path,
            f"missing level {uniq_p[p]:g} hPa of {var_names[v]} at "
            f"{stamp[:4]}-{stamp[4:6]}-{stamp[6:8]} {stamp[8:10]}:{stamp[10:12]} UTC",
        )
    cube[v_idx[keep], t_idx[keep], p_idx[keep]] = values[keep]
    check_pressure_axis(path, uniq_p)
    stamps = [f"{s[:4]}-{s[4:6]}-{s[6:8]}T{s[8:10]}:{s[10:12]}" for s in uniq_t.astype(str)]
    source, dataset = CENTRES.get(centre, (str(centre).upper(), f"GRIB from centre {centre}"))
    fields = MeteoFields(
        path=str(path),
        source=source,
        dataset=dataset,
        times=np.array(stamps, dtype="datetime64[s]"),
        pressure=uniq_p,
        latitude=points[0],
        longitude=points[1],
        geopotential_height=cube[0],
        temperature=cube[1],
        relative_humidity=cube[2],
        grid_step=steps,
    )
    fields = normalise_levels(fields)
    check_fields(fields)
    return fields
