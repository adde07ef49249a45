"""Read ERA5 pressure-level fields from netCDF files as the Copernicus CDS delivers them.

Two layouts exist:

* classic (CDS before Sept. 2024): netCDF3 64-bit offset, dimensions
  ``time, level, latitude, longitude``, ``time`` in ``hours since 1900-01-01``,
  ``level`` in millibars, variables ``z, t, r`` packed as shorts with
  ``scale_factor``/``add_offset`` and ``_FillValue``/``missing_value``; when
  ERA5 and ERA5T are mixed, an extra ``expver`` dimension;
* new (CDS since Sept. 2024): netCDF4/HDF5, dimensions
  ``valid_time, pressure_level, latitude, longitude``, ``valid_time`` in
  ``seconds since 1970-01-01``, float variables, plus ``number`` and ``expver``
  coordinates.

Only the hyperslab covering the selected times and grid points is read.
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

TIME_NAMES = ("valid_time", "time")
LEVEL_NAMES = ("pressure_level", "level", "isobaricInhPa", "plev")
LAT_NAMES = ("latitude", "lat")
LON_NAMES = ("longitude", "lon")
#: netCDF variable -> (normalised variable, quantity for the unit check)
VARIABLES = {
    "z": ("geopotential_height", "geopotential"),
    "t": ("temperature", "temperature"),
    "r": ("relative_humidity", "relative_humidity"),
}
DATASET = "ECMWF ERA5 reanalysis on pressure levels (reanalysis-era5-pressure-levels)"
#: ERA5's grid step on the CDS's default grid [deg], for a one-point file without metadata
NOMINAL_STEP = 0.25
#: attributes of the new CDS layout's variables that give the grid increments [deg]
STEP_ATTRIBUTES = ("GRIB_jDirectionIncrementInDegrees", "GRIB_iDirectionIncrementInDegrees")


def _find(ds, names, what, path):
    for name in names:
        if name in ds.variables:
            return name
    raise InputDataError(path, f"netCDF file has no {what} coordinate (looked for {names})")


def _times(ds, name, path):
    """The time coordinate as datetime64[s] (UTC)."""
    import cftime

    var = ds.variables[name]
    units = getattr(var, "units", None)
    calendar = getattr(var, "calendar", "standard")
    if units is None or " since " not in units:
        raise InputDataError(path, f"time coordinate {name} has unknown unit {units!r}")
    try:
        dates = cftime.num2date(
            np.asarray(var[:], dtype=np.int64),
            units,
            calendar=calendar,
            only_use_cftime_datetimes=False,
            only_use_python_datetimes=True,
        )
    except (ValueError, TypeError) as err:
        raise InputDataError(path, f"time coordinate {name}: {err}") from None
    return np.array([np.datetime64(d.replace(tzinfo=None), "s") for d in np.atleast_1d(dates)])


def _grid_steps(ds, lats, lons):
    """Latitude and longitude steps [deg]: the GRIB increments kept as attributes of ``z``
    (new CDS layout), else the coordinate spacing, else ERA5's nominal 0.25 degree."""
    steps = []
    for attribute, axis in zip(STEP_ATTRIBUTES, (lats, lons), strict=True):
        try:
            value = float(getattr(ds.variables["z"], attribute))
        except (AttributeError, TypeError, ValueError):
            value = np.nan
        if not 0 < value <= 360:
            value = float(np.abs(np.diff(axis)).min()) if axis.size > 1 else NOMINAL_STEP
        steps.append(value)
    return tuple(steps)


def _read_variable(ds, name, dims, time_slice, lat_slice, lon_slice, path):
    """Read ``name`` on (time, level, lat, lon) for the given slices, masked values as NaN."""
    var = ds.variables[name]
    var_dims = list(var.dimensions)
    index = []
    merge_axis = None
    for dim in var_dims:
        if dim == dims["time"]:
            index.append(time_slice)
        elif dim == dims["lat"]:
            index.append(lat_slice)
        elif dim == dims["lon"]:
            index.append(lon_slice)
        elif dim == dims["level"]:
            index.append(slice(None))
        elif dim == "expver":
            merge_axis = len(index)
            index.append(slice(None))
        elif len(ds.dimensions[dim]) == 1:
            index.append(0)
        else:
            raise InputDataError(path, f"variable {name} has unexpected dimension {dim!r}")
    data = var[tuple(index)]
    data = np.ma.filled(np.ma.asarray(data, dtype=float), np.nan)
    kept = [d for d, i in zip(var_dims, index, strict=True) if not isinstance(i, int)]
    if merge_axis is not None:
        # ERA5 + ERA5T: each time holds values in exactly one expver slice
        data = np.nanmax(np.moveaxis(data, kept.index("expver"), 0), axis=0, initial=-np.inf)
        data[np.isneginf(data)] = np.nan
        kept.remove("expver")
    order = [kept.index(dims[k]) for k in ("time", "level", "lat", "lon")]
    return np.transpose(data, order)


def _check_complete(path):
    """Raise if a netCDF3 file is shorter than its header says.

    The netCDF library reads the missing part of a truncated netCDF3 file as zeros
    or fill values without an error; SciPy's pure-Python netCDF3 reader checks the
    sizes. (A truncated netCDF4/HDF5 file already fails to open.)
    """
    with open(path, "rb") as f:
        if f.read(3) != b"CDF":
            return
    from scipy.io import netcdf_file

    try:
        with netcdf_file(path, "r", mmap=False):
            pass
    except Exception as err:  # scipy raises ValueError/TypeError/EOFError on short files
        raise InputDataError(
            path, f"truncated netCDF3 file (data shorter than the header declares: {err})"
        ) from None


def read_era5_netcdf(path, site_lat, site_lon, mode, start, end):
    """Read ERA5 z, t, r from a netCDF file (classic or new CDS layout) at the selected points.

    Parameters
    ----------
    path : pathlib.Path
        netCDF3 or netCDF4 file.
    site_lat, site_lon : float
        Site coordinates [deg].
    mode : {"nearest", "box"}
        Grid point selection.
    start, end : numpy.datetime64
        Time window (UTC, inclusive).

    Returns
    -------
    MeteoFields or None
        ``None`` if the file has no time inside the window.

    Raises
    ------
    InputDataError
        Unreadable/truncated file, missing variables, unknown units, NaN or
        missing levels, non-monotonic levels, a site outside the grid.
    """
    return read_dataset(path, lambda ds: _read(ds, path, site_lat, site_lon, mode, start, end))


def read_dataset(path, read):
    """``read(ds)`` of the open netCDF file ``path``; a truncated or unreadable file is an
    :class:`InputDataError` naming it."""
    import netCDF4

    _check_complete(path)
    try:
        ds = netCDF4.Dataset(path, "r")
    except OSError as err:
        raise InputDataError(path, f"truncated or unreadable netCDF file ({err})") from None
    try:
        return read(ds)
    except (OSError, RuntimeError, IndexError) as err:
        raise InputDataError(path, f"truncated or unreadable netCDF data ({err})") from None
    finally:
        ds.close()


def time_coordinate(ds, path):
    """The time coordinate (``valid_time`` or ``time``) of an open dataset as datetime64[s]."""
    return _times(ds, _find(ds, TIME_NAMES, "time", path), path)


def _read(ds, path, site_lat, site_lon, mode, start, end):
    missing = [v for v in VARIABLES if v not in ds.variables]
    if missing:
        raise InputDataError(
            path, f"netCDF file lacks variable(s) {', '.join(missing)} (needs z, t, r)"
        )
    names = {
        "time": _find(ds, TIME_NAMES, "time", path),
        "level": _find(ds, LEVEL_NAMES, "pressure level", path),
        "lat": _find(ds, LAT_NAMES, "latitude", path),
        "lon": _find(ds, LON_NAMES, "longitude", path),
    }
    times = _times(ds, names["time"], path)
    level_var = ds.variables[names["level"]]
    level_factor = unit_factor(path, "pressure", getattr(level_var, "units", "hPa"), names["level"])
    levels = np.asarray(level_var[:], dtype=float) * level_factor
    check_pressure_axis(path, levels)
    lats = np.asarray(ds.variables[names["lat"]][:], dtype=float)
    lons = np.asarray(ds.variables[names["lon"]][:], dtype=float)
    steps = _grid_steps(ds, lats, lons)
    lat_i, lon_i = select_grid_points(lats, lons, site_lat, site_lon, mode, path, steps)

    in_window = np.nonzero((times >= start) & (times <= end))[0]
    if in_window.size == 0:
        return None
    t_slice = slice(int(in_window[0]), int(in_window[-1]) + 1)
    lat_slice = slice(int(lat_i.min()), int(lat_i.max()) + 1)
    lon_slice = slice(int(lon_i.min()), int(lon_i.max()) + 1)
    t_keep = in_window - in_window[0]

    out = {}
    for var_name, (target, quantity) in VARIABLES.items():
        factor = unit_factor(
            path, quantity, getattr(ds.variables[var_name], "units", None), var_name
        )
        cube = _read_variable(ds, var_name, names, t_slice, lat_slice, lon_slice, path)
        cube = cube[t_keep][:, :, lat_i - lat_i.min()][:, :, :, lon_i - lon_i.min()]
        out[target] = cube.reshape(cube.shape[0], cube.shape[1], -1) * factor
    jj, ii = np.meshgrid(lat_i, lon_i, indexing="ij")
    order = np.argsort(times[in_window], kind="stable")
    fields = MeteoFields(
        path=str(path),
        source="ERA5",
        dataset=DATASET,
        times=times[in_window][order],
        pressure=levels,
        latitude=lats[jj.ravel()],
        longitude=wrap_longitude(lons[ii.ravel()]),
        **{k: v[order] for k, v in out.items()},
        grid_step=steps,
    )
    fields = normalise_levels(fields)
    check_fields(fields)
    return fields
