"""Pressure and temperature at the site, for astropy's atmospheric refraction.

Stars are placed with astropy's ICRS -> AltAz transformation, which applies the
refraction of ERFA's ``refco``/``atioq`` model (Green 1987, *Spherical Astronomy*,
§4.31; Hohenkerk & Sinclair 1985) when the AltAz frame has a pressure. The
pressure and temperature come either from the meteorological table of
``ingest-meteo`` (interpolated to the site's altitude, grid point nearest the
site, time nearest the chunk) or from the US Standard Atmosphere 1976 at the
site's altitude; :class:`SiteWeather` records which.
"""

from dataclasses import dataclass

import numpy as np

from ..atmosphere.standard_atmosphere import us_standard_atmosphere

SOURCE_STANDARD = "US Standard Atmosphere 1976 at the site altitude"


@dataclass(frozen=True)
class SiteWeather:
    """Ground conditions for refraction.

    Attributes
    ----------
    pressure_hpa : float
    temperature_c : float
    relative_humidity : float
        Fraction 0-1.
    source : str
        Where the values come from.
    """

    pressure_hpa: float
    temperature_c: float
    relative_humidity: float
    source: str


def standard_weather(altitude_m, relative_humidity=0.0):
    """:class:`SiteWeather` of the US Standard Atmosphere 1976 at ``altitude_m``."""
    temperature, pressure, _ = us_standard_atmosphere(float(altitude_m))
    return SiteWeather(
        float(pressure) / 100.0, float(temperature) - 273.15, relative_humidity, SOURCE_STANDARD
    )


def weather_from_profile(
    altitude_m,
    level_altitude_m,
    level_pressure_hpa,
    level_temperature_k,
    level_humidity_pct=None,
    source="meteorological table",
):
    """Site conditions from one meteorological profile (pressure levels) at ``altitude_m``.

    log(pressure) and temperature are interpolated linearly in altitude; below the
    lowest level they are extrapolated along the hydrostatic line of the two lowest
    levels (linear in log p and in T).

    Parameters
    ----------
    altitude_m : float
        Site altitude [m].
    level_altitude_m, level_pressure_hpa, level_temperature_k : array_like
        The profile's levels.
    level_humidity_pct : array_like, optional
        Relative humidity [%] of the levels.
    source : str
        Recorded in the result.
    """
    z = np.asarray(level_altitude_m, float)
    order = np.argsort(z)
    z = z[order]
    logp = np.log(np.asarray(level_pressure_hpa, float)[order])
    temp = np.asarray(level_temperature_k, float)[order]

    def interp(values):
        if altitude_m < z[0] and z.size > 1:
            slope = (values[1] - values[0]) / (z[1] - z[0])
            return values[0] + slope * (altitude_m - z[0])
        return np.interp(altitude_m, z, values)

    rh = 0.0
    if level_humidity_pct is not None:
        rh = float(np.clip(interp(np.asarray(level_humidity_pct, float)[order]) / 100.0, 0, 1))
    return SiteWeather(float(np.exp(interp(logp))), float(interp(temp)) - 273.15, rh, source)
