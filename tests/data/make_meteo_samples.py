"""Generate the small synthetic meteorological tables used by the atmosphere tests and jobs.

    .venv/bin/python tests/data/make_meteo_samples.py

Writes ``meteo_north_era5like.ecsv`` (ERA5's 37 pressure levels, 1000-1 hPa,
CTAO-North, 3 times x 2 grid points) and ``meteo_south_gdaslike.ecsv`` (GDAS's
levels 1000-20 hPa, CTAO-South, 2 times x 2 grid points) in the normalised
layout of ``calibpipe_tasks.io.meteo_table``. Each profile is the US Standard
Atmosphere 1976 temperature shifted by a few kelvin, integrated hydrostatically
(moist air, local gravity) from a surface pressure, with a plausible humidity
profile; levels below the site's ground are kept, as ERA5 and GDAS deliver them.
These are synthetic stand-ins until a real ``ingest-meteo`` product is bundled.
"""

from pathlib import Path

import numpy as np
from astropy.table import Table
from astropy.time import Time

from calibpipe_tasks.atmosphere.air_density import R_GAS, molar_mass_moist_air
from calibpipe_tasks.atmosphere.gravity import geopotential_height_from_geometric, gravity
from calibpipe_tasks.atmosphere.integration import cumulative_exponential_integral
from calibpipe_tasks.atmosphere.standard_atmosphere import us_standard_atmosphere
from calibpipe_tasks.atmosphere.water_vapour import (
    saturation_vapour_pressure,
    water_vapour_mole_fraction,
)
from calibpipe_tasks.io.meteo_table import COLUMNS
from calibpipe_tasks.sites import get_site

HERE = Path(__file__).parent
ERA5_LEVELS = [1000, 975, 950, 925, 900, 875, 850, 825, 800, 775, 750, 700, 650, 600, 550,
               500, 450, 400, 350, 300, 250, 225, 200, 175, 150, 125, 100, 70, 50, 30, 20,
               10, 7, 5, 3, 2, 1]  # fmt: skip
GDAS_LEVELS = [1000, 975, 950, 925, 900, 850, 800, 750, 700, 650, 600, 550, 500, 450, 400,
               350, 300, 250, 200, 150, 100, 70, 50, 40, 30, 20]  # fmt: skip


def humidity(z_m, p_pa, t_k):
    """Relative humidity [%]: 50 % at sea level falling with a 3.5 km scale to the
    tropopause (12 km), above it a stratospheric water vapour mole fraction of 5 ppm."""
    troposphere = 3.0 + 47.0 * np.exp(-z_m / 3500.0)
    stratosphere = 100.0 * 5e-6 * p_pa / saturation_vapour_pressure(t_k)
    return np.where(z_m < 12000.0, troposphere, np.minimum(troposphere, stratosphere))


def profile(levels_hpa, latitude, surface_hpa, dt_k):
    z = np.arange(0.0, 60001.0, 10.0)
    t, _, _ = us_standard_atmosphere(np.minimum(z, 86000.0))
    t = t + dt_k * np.exp(-z / 20000.0)
    rh = 3.0 + 47.0 * np.exp(-z / 3500.0)
    # hydrostatic: d ln p / dz = -g M / (Z R T), M of the moist air (two passes for x_w)
    xw = np.zeros_like(z)
    for _ in range(2):
        scale = gravity(latitude, z) * molar_mass_moist_air(xw, 420e-6) / (R_GAS * t)
        p = surface_hpa * 100.0 * np.exp(-cumulative_exponential_integral(z, scale))
        rh = humidity(z, p, t)
        xw = water_vapour_mole_fraction(p, t, rh)
    ln_p = np.log(p[::-1])
    levels = np.asarray(levels_hpa, dtype=float)
    alt = np.interp(np.log(levels * 100.0), ln_p, z[::-1])
    temp = np.interp(np.log(levels * 100.0), ln_p, t[::-1])
    return alt, temp, np.interp(np.log(levels * 100.0), ln_p, rh[::-1])


def make(site_name, levels, times, offsets, dts, surfaces, source, dataset, name):
    site = get_site(site_name)
    rows = {k: [] for k in COLUMNS}
    for it, time in enumerate(times):
        for ip, (dlat, dlon) in enumerate(offsets):
            lat, lon = site.latitude_deg + dlat, site.longitude_deg + dlon
            alt, temp, rh = profile(levels, lat, surfaces[it][ip], dts[it][ip])
            n = len(levels)
            rows["time"] += [time] * n
            rows["latitude"] += [lat] * n
            rows["longitude"] += [lon] * n
            rows["pressure"] += list(levels)
            rows["geopotential_height"] += list(geopotential_height_from_geometric(alt, lat))
            rows["altitude"] += list(alt)
            rows["temperature"] += list(temp)
            rows["relative_humidity"] += list(rh)
    table = Table()
    table["time"] = Time(rows["time"], scale="utc", format="isot")
    for key, (unit, description) in COLUMNS.items():
        if key != "time":
            table[key] = np.round(np.asarray(rows[key], dtype=float), 4)
            table[key].unit = unit
        table[key].description = description
    table.meta.update(
        {
            "site": site.name,
            "site_latitude": site.latitude_deg,
            "site_longitude": site.longitude_deg,
            "site_altitude": site.altitude_m,
            "data_source": source,
            "dataset": dataset,
            "window_start": times[0],
            "window_end": times[-1],
            "grid_selection": "box",
            "input_files": ["synthetic (tests/data/make_meteo_samples.py)"],
        }
    )
    table.write(HERE / name, format="ascii.ecsv", overwrite=True)


if __name__ == "__main__":
    make(
        "North",
        ERA5_LEVELS,
        ["2023-01-15T21:00:00.000", "2023-01-16T00:00:00.000", "2023-01-16T03:00:00.000"],
        [(0.0, 0.0), (0.25, 0.0)],
        [[-4.0, -3.5], [-4.5, -4.0], [-5.0, -4.6]],
        [[1018.0, 1017.5], [1017.0, 1016.8], [1016.5, 1016.0]],
        "ERA5",
        "synthetic, ERA5 pressure-level layout",
        "meteo_north_era5like.ecsv",
    )
    make(
        "South",
        GDAS_LEVELS,
        ["2023-07-10T00:00:00.000", "2023-07-10T06:00:00.000"],
        [(0.0, 0.0), (0.0, 1.0)],
        [[-2.0, -1.5], [-3.0, -2.2]],
        [[1015.0, 1014.2], [1014.6, 1013.9]],
        "GDAS",
        "synthetic, GDAS ds083.2 pressure-level layout",
        "meteo_south_gdaslike.ecsv",
    )
