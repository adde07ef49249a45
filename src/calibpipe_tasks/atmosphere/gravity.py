"""Gravity and altitude conversions on the WGS84 ellipsoid.

Meteorological models give geopotential Φ [m²/s²] (ERA5 ``z``) or geopotential
height Z = Φ / g0 [gpm] (GDAS ``HGT``). The geometric altitude h above sea level
follows from the latitude-dependent normal gravity and effective Earth radius:

* normal gravity at sea level, Somigliana's formula with the WGS84 constants
  (NIMA TR8350.2, 3rd ed. 2000, eq. 4-1):
  g(φ) = g_e (1 + k sin²φ) / sqrt(1 - e² sin²φ);
* effective Earth radius (Mahoney 2008, "A discussion of various measures of
  altitude", after List 1968, Smithsonian Meteorological Tables, p. 217):
  R(φ) = a / (1 + f + m - 2 f sin²φ);
* geometric altitude from geopotential height (List 1968 / Mahoney 2008):
  h = R(φ) Z / (g(φ)/g0 · R(φ) - Z), and its inverse Z = g(φ)/g0 · R(φ) h / (R(φ) + h).
"""

import numpy as np

#: standard gravity [m/s²] (the conventional g0 of geopotential height)
G0 = 9.80665
#: WGS84 semi-major axis [m], flattening, first eccentricity squared
WGS84_A = 6378137.0
WGS84_F = 1 / 298.257223563
WGS84_E2 = 6.69437999014e-3
#: WGS84 normal gravity at the equator [m/s²] and Somigliana's constant k
GAMMA_E = 9.7803253359
SOMIGLIANA_K = 1.931852652458e-3
#: gravity ratio m = ω² a² b / (GM) of WGS84
WGS84_M = 0.00344978650684


def normal_gravity(latitude_deg):
    """Normal gravity at sea level [m/s²] (Somigliana, WGS84; NIMA TR8350.2 eq. 4-1)."""
    s2 = np.sin(np.deg2rad(latitude_deg)) ** 2
    return GAMMA_E * (1 + SOMIGLIANA_K * s2) / np.sqrt(1 - WGS84_E2 * s2)


def effective_earth_radius(latitude_deg):
    """Effective Earth radius [m] for the free-air gravity gradient (List 1968)."""
    s2 = np.sin(np.deg2rad(latitude_deg)) ** 2
    return WGS84_A / (1 + WGS84_F + WGS84_M - 2 * WGS84_F * s2)


def gravity(latitude_deg, altitude_m):
    """Gravity [m/s²] at geometric altitude ``altitude_m`` above sea level.

    Inverse-square decrease with the effective radius: g = g(φ) (R / (R + h))².
    """
    radius = effective_earth_radius(latitude_deg)
    return normal_gravity(latitude_deg) * (radius / (radius + np.asarray(altitude_m))) ** 2


def geometric_from_geopotential_height(geopotential_height_m, latitude_deg):
    """Geometric altitude above sea level [m] from geopotential height Z = Φ/g0 [m].

    h = R Z / (g(φ)/g0 · R - Z)  (List 1968; Mahoney 2008).
    """
    z = np.asarray(geopotential_height_m, dtype=float)
    radius = effective_earth_radius(latitude_deg)
    ratio = normal_gravity(latitude_deg) / G0
    return radius * z / (ratio * radius - z)


def geopotential_height_from_geometric(altitude_m, latitude_deg):
    """Geopotential height Z = Φ/g0 [m] of a geometric altitude (inverse of the above)."""
    h = np.asarray(altitude_m, dtype=float)
    radius = effective_earth_radius(latitude_deg)
    return normal_gravity(latitude_deg) / G0 * radius * h / (radius + h)


def geometric_from_geopotential(geopotential_m2_s2, latitude_deg):
    """Geometric altitude [m] from geopotential Φ [m²/s²] (ERA5 variable ``z``)."""
    return geometric_from_geopotential_height(np.asarray(geopotential_m2_s2) / G0, latitude_deg)
