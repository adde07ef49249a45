"""U.S. Standard Atmosphere 1976 below 86 km (NOAA/NASA/USAF, NOAA-S/T 76-1562, 1976).

Temperature is piecewise linear in geopotential altitude H (Table 4 of the
standard: base altitudes and lapse rates); pressure follows from hydrostatic
equilibrium (eqs. 33a/33b) and density from the ideal gas law (eq. 42) with the
sea-level molar mass of dry air. Geometric altitude z converts to geopotential
altitude with H = r0 z / (r0 + z) (eq. 18), r0 = 6356.766 km.
"""

import numpy as np

#: effective Earth radius of the standard [m] (eq. 18)
R0 = 6356766.0
#: standard gravity [m/s²], gas constant [J/(kmol K)] (as in the standard), molar mass [kg/kmol]
G0 = 9.80665
R_STAR = 8314.32
M0 = 28.9644
#: layer base geopotential altitudes [m'] and lapse rates [K/m'] (Table 4)
BASE_HEIGHTS = np.array([0.0, 11000.0, 20000.0, 32000.0, 47000.0, 51000.0, 71000.0, 84852.0])
LAPSE_RATES = np.array([-6.5e-3, 0.0, 1.0e-3, 2.8e-3, 0.0, -2.8e-3, -2.0e-3])
T0 = 288.15
P0 = 101325.0
#: highest geometric altitude [m] this module describes (H = 84852 m')
Z_MAX = 86000.0


def _layer_bases():
    """Temperature and pressure at the base of each layer (computed once from Table 4)."""
    temps = [T0]
    pressures = [P0]
    for i, lapse in enumerate(LAPSE_RATES[:-1]):
        dh = BASE_HEIGHTS[i + 1] - BASE_HEIGHTS[i]
        t_base, p_base = temps[-1], pressures[-1]
        t_top = t_base + lapse * dh
        if lapse == 0.0:
            p_top = p_base * np.exp(-G0 * M0 * dh / (R_STAR * t_base))
        else:
            p_top = p_base * (t_base / t_top) ** (G0 * M0 / (R_STAR * lapse))
        temps.append(t_top)
        pressures.append(p_top)
    return np.array(temps), np.array(pressures)


BASE_TEMPERATURES, BASE_PRESSURES = _layer_bases()


def geopotential_altitude(z_m):
    """Geopotential altitude H [m'] of geometric altitude z [m] (eq. 18)."""
    z = np.asarray(z_m, dtype=float)
    return R0 * z / (R0 + z)


def us_standard_atmosphere(z_m):
    """Temperature, pressure and density of the US Standard Atmosphere 1976.

    Parameters
    ----------
    z_m : array_like
        Geometric altitude above sea level [m], 0 <= z <= 86 km.

    Returns
    -------
    temperature : ndarray
        Kinetic temperature [K] (equal to the molecular-scale temperature below 86 km).
    pressure : ndarray
        Pressure [Pa].
    density : ndarray
        Mass density [kg/m³].
    """
    z = np.asarray(z_m, dtype=float)
    if np.any((z < -5000.0) | (z > Z_MAX)):
        raise ValueError("US Standard Atmosphere 1976 is implemented for -5 km <= z <= 86 km")
    h = geopotential_altitude(z)
    layer = np.clip(np.searchsorted(BASE_HEIGHTS, h, side="right") - 1, 0, len(LAPSE_RATES) - 1)
    lapse = LAPSE_RATES[layer]
    t_base = BASE_TEMPERATURES[layer]
    p_base = BASE_PRESSURES[layer]
    dh = h - BASE_HEIGHTS[layer]
    temperature = t_base + lapse * dh
    isothermal = lapse == 0.0
    safe_lapse = np.where(isothermal, 1.0, lapse)
    pressure = np.where(
        isothermal,
        p_base * np.exp(-G0 * M0 * dh / (R_STAR * t_base)),
        p_base * (t_base / temperature) ** (G0 * M0 / (R_STAR * safe_lapse)),
    )
    density = pressure * M0 / (R_STAR * temperature)
    return temperature, pressure, density
