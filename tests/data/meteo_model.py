"""A physical model atmosphere and writers of GDAS/ERA5-like files, for sample data and tests.

Model (the "known truth" the readers must recover)
    * temperature: U.S. Standard Atmosphere 1976 (NOAA-S/T 76-1562) plus a
      latitude offset, an annual cycle whose amplitude grows with latitude and
      whose phase follows the hemisphere, a synoptic wave and, near the ground,
      a diurnal cycle; the offsets fade above the tropopause (weight 1 below
      12 km, 0.3 above 20 km);
    * pressure: hydrostatic equilibrium d ln p / dz = -g(phi, z) M / (R T) with
      WGS84 latitude-dependent gravity (:mod:`calibpipe_tasks.atmosphere.gravity`)
      from a sea-level pressure with an annual term, a synoptic wave and the
      semidiurnal tide;
    * geopotential: Phi(z) = g(phi) R z / (R + z), the exact integral of the same gravity;
    * relative humidity: a moist boundary layer (scale ~1.8 km), a mid/upper
      tropospheric moisture band near 8.5 km and a dry stratosphere; drier in
      the southern subtropics (Atacama), modulated in time.
    The level heights z_k of the isobaric levels follow from the integrated
    ln p(z); T, RH and Phi are then evaluated at z_k.

Writers
    GDAS/FNL GRIB2 as NCAR ds083.2 (centre kwbc, one analysis time per file, gh [gpm],
    t, r on fixed surface 100, latitudes north to south, longitudes 0..360);
    ERA5 GRIB edition 1 or 2 (centre ecmf, paramId 129/130/157, hourly);
    ERA5 netCDF in the classic CDS layout (netCDF3 64-bit offset, packed shorts,
    hours since 1900) and in the new CDS layout (netCDF4, valid_time seconds since
    1970, pressure_level, number, expver).
"""

import numpy as np

from calibpipe_tasks.atmosphere.gravity import effective_earth_radius, gravity, normal_gravity
from calibpipe_tasks.atmosphere.standard_atmosphere import M0, R_STAR, us_standard_atmosphere

GDAS_LEVELS = np.array(
    [1000, 975, 950, 925, 900, 850, 800, 750, 700, 650, 600, 550, 500]
    + [450, 400, 350, 300, 250, 200, 150, 100, 70, 50, 40, 30, 20],
    dtype=float,
)
ERA5_LEVELS = np.array(
    [1, 2, 3, 5, 7, 10, 20, 30, 50, 70, 100, 125, 150, 175, 200, 225, 250, 300, 350, 400]
    + [450, 500, 550, 600, 650, 700, 750, 775, 800, 825, 850, 875, 900, 925, 950, 975, 1000],
    dtype=float,
)
#: fine altitude grid of the hydrostatic integration [m] (z = 0 is a node)
Z_GRID = np.arange(-2000.0, 60000.0 + 1.0, 50.0)


def _day_of_year(times):
    t = np.asarray(times, dtype="datetime64[s]")
    year_start = t.astype("datetime64[Y]").astype("datetime64[s]")
    return (t - year_start).astype(float) / 86400.0


def _hours(times):
    """Hours since 2000-01-01 (continuous time for waves)."""
    t = np.asarray(times, dtype="datetime64[s]")
    return (t - np.datetime64("2000-01-01T00:00:00")).astype(float) / 3600.0


def temperature(z, lat, lon, times):
    """Model temperature [K] at geometric altitude z [m] (broadcasting arrays)."""
    lat, lon = np.asarray(lat, dtype=float), np.asarray(lon, dtype=float)
    doy, hours = _day_of_year(times), _hours(times)
    s = np.sin(np.deg2rad(lat))
    mean_offset = 14.0 - 45.0 * s**2  # warm tropics, cold high latitudes
    peak = np.where(lat >= 0, 200.0, 17.0)  # warmest ~ 19 Jul (north), ~ 17 Jan (south)
    annual = 9.0 * np.abs(s) * np.cos(2 * np.pi * (doy - peak) / 365.25)
    synoptic = 1.5 * np.sin(2 * np.pi * hours / (24 * 4.5) + np.deg2rad(lon))
    local_hour = (np.mod(hours, 24.0) + lon / 15.0) % 24.0
    diurnal = (
        2.0 * np.cos(2 * np.pi * (local_hour - 15.0) / 24.0) * np.exp(-np.maximum(z, 0) / 1500)
    )
    weight = np.clip(1.0 - 0.7 * (z - 12000.0) / 8000.0, 0.3, 1.0)
    t_std, _, _ = us_standard_atmosphere(np.clip(z, -5000.0, 86000.0))
    return t_std + (mean_offset + annual + synoptic) * weight + diurnal


def sea_level_pressure(lat, lon, times):
    """Model pressure at z = 0 [Pa]."""
    doy, hours = _day_of_year(times), _hours(times)
    s = np.sin(np.deg2rad(lat))
    annual = 600.0 * s * np.cos(2 * np.pi * doy / 365.25)
    synoptic = 400.0 * np.sin(2 * np.pi * hours / (24 * 4.5) + np.deg2rad(lon) + 1.0)
    tide = 100.0 * np.cos(2 * np.pi * (np.mod(hours, 24.0) + lon / 15.0 - 10.0) / 12.0)
    return 101325.0 + 300.0 + annual + synoptic + tide


def relative_humidity(z, lat, lon, times):
    """Model relative humidity [%] at geometric altitude z [m]."""
    hours = _hours(times)
    dry = np.where(np.asarray(lat) < 0, 0.55, 1.0)  # Atacama
    wave = np.sin(2 * np.pi * hours / 72.0 + np.deg2rad(lon))
    boundary = (62.0 + 10.0 * wave) * np.exp(-((z / 1800.0) ** 2))
    upper = (30.0 - 8.0 * wave) * np.exp(-(((z - 8500.0) / 2500.0) ** 2))
    rh = 3.0 + dry * (5.0 + boundary + upper) * np.where(z > 16000.0, 0.2, 1.0)
    return np.clip(rh, 0.5, 100.0)


def geopotential(z, lat):
    """Geopotential [m2 s-2] of geometric altitude z: integral of g(phi) (R / (R + z))^2."""
    radius = effective_earth_radius(lat)
    return normal_gravity(lat) * radius * z / (radius + z)


def truth(times, lats, lons, levels_hpa):
    """The model on isobaric levels.

    Parameters
    ----------
    times : array of datetime64, shape (nt,)
    lats, lons : arrays, shape (ny,), (nx,) (a regular grid's axes)
    levels_hpa : array, shape (nl,)

    Returns
    -------
    dict of arrays of shape (nt, nl, ny, nx)
        ``altitude`` [m], ``geopotential`` [m2 s-2], ``geopotential_height`` [gpm],
        ``temperature`` [K], ``relative_humidity`` [%].
    """
    times = np.asarray(times, dtype="datetime64[s]")
    lats, lons = np.asarray(lats, dtype=float), np.asarray(lons, dtype=float)
    tt, yy, xx = np.meshgrid(times, lats, lons, indexing="ij")
    tt, yy, xx = tt.reshape(-1, 1), yy.reshape(-1, 1), xx.reshape(-1, 1)  # columns
    z = Z_GRID[None, :]
    temp = temperature(z, yy, xx, tt)
    integrand = gravity(yy, z) * (M0 / R_STAR) / temp  # -d ln p / dz [1/m]
    cumulative = np.concatenate(
        [
            np.zeros((integrand.shape[0], 1)),
            np.cumsum(0.5 * (integrand[:, 1:] + integrand[:, :-1]) * 50.0, axis=1),
        ],
        axis=1,
    )
    i0 = int(np.argmin(np.abs(Z_GRID)))
    ln_p = np.log(sea_level_pressure(yy, xx, tt)) - (cumulative - cumulative[:, i0 : i0 + 1])
    levels = np.asarray(levels_hpa, dtype=float)
    z_levels = np.empty((ln_p.shape[0], levels.size))
    for k, target in enumerate(
        np.log(levels * 100.0)
    ):  # loop over <= 37 levels, vectorised columns
        j = np.clip(np.sum(ln_p > target, axis=1) - 1, 0, Z_GRID.size - 2)
        rows = np.arange(ln_p.shape[0])
        frac = (ln_p[rows, j] - target) / (ln_p[rows, j] - ln_p[rows, j + 1])
        z_levels[:, k] = Z_GRID[j] + frac * 50.0
    shape = (times.size, lats.size, lons.size, levels.size)
    out = {
        "altitude": z_levels,
        "geopotential": geopotential(z_levels, yy),
        "temperature": temperature(z_levels, yy, xx, tt),
        "relative_humidity": relative_humidity(z_levels, yy, xx, tt),
    }
    out["geopotential_height"] = out["geopotential"] / 9.80665
    return {k: np.moveaxis(v.reshape(shape), 3, 1) for k, v in out.items()}


# ---------------------------------------------------------------------------- GRIB writers


def _grib_grid(h, lats, lons, increments=None):
    """Set a regular lat/lon grid; ``increments`` (lat, lon) [deg] for one-point axes.

    A one-point grid without ``increments`` has its increments marked as not given.
    """
    from eccodes import codes_set

    codes_set(h, "Ni", lons.size)
    codes_set(h, "Nj", lats.size)
    codes_set(h, "latitudeOfFirstGridPointInDegrees", float(lats[0]))
    codes_set(h, "latitudeOfLastGridPointInDegrees", float(lats[-1]))
    codes_set(h, "longitudeOfFirstGridPointInDegrees", float(lons[0]))
    codes_set(h, "longitudeOfLastGridPointInDegrees", float(lons[-1]))
    if increments is None and lats.size > 1 and lons.size > 1:
        increments = (abs(lats[1] - lats[0]), abs(lons[1] - lons[0]))
    if increments is None:
        codes_set(h, "ijDirectionIncrementGiven", 0)
    else:
        codes_set(h, "iDirectionIncrementInDegrees", float(increments[1]))
        codes_set(h, "jDirectionIncrementInDegrees", float(increments[0]))
    codes_set(h, "jScansPositively", int(lats[-1] > lats[0]))


def write_grib(path, fields, times, lats, lons, levels, kind, edition=2, bits=16, increments=None):
    """Write a GRIB file with one message per (time, variable, level).

    Parameters
    ----------
    fields : dict
        Output of :func:`truth` on (times, levels, lats, lons).
    lats, lons : arrays
        Grid axes as they go into the file (lats north to south, lons in the file's convention).
    kind : {"gdas", "era5"}
        GDAS: centre kwbc, gh [gpm]; ERA5: centre ecmf, z [m2 s-2].
    increments : (float, float), optional
        Grid increments (lat, lon) [deg] to write for a one-point grid (see :func:`_grib_grid`).
    """
    from eccodes import (
        codes_grib_new_from_samples,
        codes_release,
        codes_set,
        codes_set_values,
        codes_write,
    )

    params = {
        "gdas": [(156, "geopotential_height"), (130, "temperature"), (157, "relative_humidity")],
        "era5": [(129, "geopotential"), (130, "temperature"), (157, "relative_humidity")],
    }[kind]
    sample = "regular_ll_pl_grib2" if edition == 2 else "regular_ll_pl_grib1"
    times = np.asarray(times, dtype="datetime64[s]")
    with open(path, "wb") as f:
        for it, t in enumerate(times):
            stamp = str(t)
            date = int(stamp[:10].replace("-", ""))
            hhmm = int(stamp[11:13] + stamp[14:16])
            for param_id, name in params:
                for il, level in enumerate(levels):
                    h = codes_grib_new_from_samples(sample)
                    codes_set(h, "centre", "kwbc" if kind == "gdas" else "ecmf")
                    if edition == 1:
                        codes_set(h, "table2Version", 128)
                    codes_set(h, "paramId", param_id)
                    codes_set(h, "typeOfLevel", "isobaricInhPa")
                    codes_set(h, "level", int(level))
                    codes_set(h, "dataDate", date)
                    codes_set(h, "dataTime", hhmm)
                    codes_set(h, "stepRange", "0")
                    _grib_grid(h, np.asarray(lats), np.asarray(lons), increments)
                    codes_set(h, "bitsPerValue", bits)
                    codes_set_values(
                        h, np.ascontiguousarray(fields[name][it, il], dtype=float).ravel()
                    )
                    codes_write(h, f)
                    codes_release(h)


# -------------------------------------------------------------------------- netCDF writers


def _pack(values, nbits=16):
    """CDS-style packing to shorts: add_offset = mid-range, scale ~ range / 2**16.

    The extreme values pack to +-32766, so that -32767 stays free for the fill value.
    """
    vmin, vmax = float(np.min(values)), float(np.max(values))
    scale = (vmax - vmin) / (2**nbits - 3) or 1.0
    offset = (vmax + vmin) / 2.0
    packed = np.clip(np.round((values - offset) / scale), -32766, 32766)
    return packed.astype(np.int16), scale, offset


ATTRS = {
    "z": ("m**2 s**-2", "Geopotential", "geopotential", "geopotential"),
    "t": ("K", "Temperature", "air_temperature", "temperature"),
    "r": ("%", "Relative humidity", "relative_humidity", "relative_humidity"),
}


def write_era5_netcdf_classic(path, fields, times, lats, lons, levels):
    """ERA5 in the classic CDS netCDF layout (netCDF3 64-bit offset, packed shorts)."""
    import netCDF4

    times = np.asarray(times, dtype="datetime64[s]")
    order = np.argsort(levels)  # classic files list levels 1 ... 1000 hPa
    with netCDF4.Dataset(path, "w", format="NETCDF3_64BIT_OFFSET") as ds:
        ds.Conventions = "CF-1.6"
        ds.history = "generated by tests/data/generate_meteo_samples.py (model atmosphere)"
        ds.createDimension("longitude", lons.size)
        ds.createDimension("latitude", lats.size)
        ds.createDimension("level", levels.size)
        ds.createDimension("time", None)
        v = ds.createVariable("longitude", "f4", ("longitude",))
        v.units, v.long_name = "degrees_east", "longitude"
        v[:] = lons
        v = ds.createVariable("latitude", "f4", ("latitude",))
        v.units, v.long_name = "degrees_north", "latitude"
        v[:] = lats
        v = ds.createVariable("level", "i4", ("level",))
        v.units, v.long_name = "millibars", "pressure_level"
        v[:] = np.asarray(levels)[order].astype(np.int32)
        v = ds.createVariable("time", "i4", ("time",))
        v.units, v.long_name, v.calendar = "hours since 1900-01-01 00:00:00.0", "time", "gregorian"
        v[:] = ((times - np.datetime64("1900-01-01T00:00:00")) // np.timedelta64(1, "h")).astype(
            np.int32
        )
        for name, key in (("z", "geopotential"), ("t", "temperature"), ("r", "relative_humidity")):
            packed, scale, offset = _pack(fields[key][:, order])
            var = ds.createVariable(
                name, "i2", ("time", "level", "latitude", "longitude"), fill_value=np.int16(-32767)
            )
            var.scale_factor, var.add_offset = scale, offset
            var.missing_value = np.int16(-32767)
            var.units, var.long_name, var.standard_name = ATTRS[name][:3]
            var.set_auto_scale(False)
            var[:] = packed


def write_era5_netcdf_new(path, fields, times, lats, lons, levels):
    """ERA5 in the new CDS netCDF layout (netCDF4/HDF5, valid_time, pressure_level)."""
    import netCDF4

    times = np.asarray(times, dtype="datetime64[s]")
    with netCDF4.Dataset(path, "w", format="NETCDF4") as ds:
        ds.GRIB_centre = "ecmf"
        ds.GRIB_centreDescription = "European Centre for Medium-Range Weather Forecasts"
        ds.Conventions = "CF-1.7"
        ds.institution = "European Centre for Medium-Range Weather Forecasts"
        ds.history = "generated by tests/data/generate_meteo_samples.py (model atmosphere)"
        ds.createDimension("valid_time", times.size)
        ds.createDimension("pressure_level", levels.size)
        ds.createDimension("latitude", lats.size)
        ds.createDimension("longitude", lons.size)
        v = ds.createVariable("number", "i8", ())
        v.long_name, v.units, v.standard_name = "ensemble member numerical id", "1", "realization"
        v.assignValue(0)
        v = ds.createVariable("valid_time", "i8", ("valid_time",))
        v.long_name, v.standard_name = "time", "time"
        v.units, v.calendar = "seconds since 1970-01-01", "proleptic_gregorian"
        v[:] = (times - np.datetime64("1970-01-01T00:00:00")).astype(np.int64)
        v = ds.createVariable("pressure_level", "f8", ("pressure_level",))
        v.long_name, v.units, v.stored_direction = "pressure", "hPa", "decreasing"
        v[:] = levels
        v = ds.createVariable("latitude", "f8", ("latitude",))
        v.units, v.standard_name = "degrees_north", "latitude"
        v[:] = lats
        v = ds.createVariable("longitude", "f8", ("longitude",))
        v.units, v.standard_name = "degrees_east", "longitude"
        v[:] = lons
        v = ds.createVariable("expver", str, ("valid_time",))
        v.long_name = "Experiment version"
        for i in range(times.size):
            v[i] = "0001"
        for name, key in (("z", "geopotential"), ("t", "temperature"), ("r", "relative_humidity")):
            var = ds.createVariable(
                name,
                "f4",
                ("valid_time", "pressure_level", "latitude", "longitude"),
                zlib=True,
                complevel=1,
                fill_value=np.float32(np.nan),
            )
            var.units, var.long_name, var.standard_name, var.GRIB_shortName = (
                *ATTRS[name][:3],
                name,
            )
            var.coordinates = "number valid_time pressure_level latitude longitude expver"
            var[:] = fields[key].astype(np.float32)
