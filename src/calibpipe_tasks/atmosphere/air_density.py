"""Number and mass density of moist air from the real-gas law with compressibility.

CIPM-2007 equation for the density of moist air (Picard, Davis, Gläser &
Fujii 2008, Metrologia 45, 149; update of Davis 1992, Metrologia 29, 67):

* molar mass of dry air with CO₂ mole fraction x_CO2 (the CO₂ term of the
  CIPM-2007 equation): M_a = [28.96546 + 12.011 (x_CO2 - 0.0004)] 10⁻³ kg/mol;
* compressibility factor Z (eq. A1.4, the BIPM-1981/91 form used by Ciddor 1996):
  Z = 1 - p/T [a0 + a1 t + a2 t² + (b0 + b1 t) x_w + (c0 + c1 t) x_w²]
      + (p/T)² (d + e x_w²),  t in °C;
* density (eq. 1): ρ = p M_a / (Z R T) [1 - x_w (1 - M_w / M_a)];
* number density of molecules: N = p / (Z k_B T).
"""

import numpy as np

#: molar gas constant [J/(mol K)] (CIPM-2007) and Boltzmann constant [J/K] (SI 2019)
R_GAS = 8.314472
K_BOLTZMANN = 1.380649e-23
#: molar mass of water [kg/mol] (CIPM-2007)
M_WATER = 18.01528e-3
#: compressibility coefficients (CIPM-2007 Table A1.2 / Ciddor 1996 Appendix A)
_A0, _A1, _A2 = 1.58123e-6, -2.9331e-8, 1.1043e-10
_B0, _B1 = 5.707e-6, -2.051e-8
_C0, _C1 = 1.9898e-4, -2.376e-6
_D, _E = 1.83e-11, -0.765e-8


def molar_mass_dry_air(co2_mole_fraction):
    """Molar mass of dry air [kg/mol] with CO₂ mole fraction x_CO2 (CIPM-2007, Picard 2008)."""
    return (28.96546 + 12.011 * (np.asarray(co2_mole_fraction, dtype=float) - 0.0004)) * 1e-3


def compressibility(pressure_pa, temperature_k, water_mole_fraction):
    """Compressibility factor Z of moist air (CIPM-2007 eq. A1.4; Ciddor 1996 eq. 12)."""
    p = np.asarray(pressure_pa, dtype=float)
    temp = np.asarray(temperature_k, dtype=float)
    xw = np.asarray(water_mole_fraction, dtype=float)
    t = temp - 273.15
    pt = p / temp
    return (
        1
        - pt * (_A0 + _A1 * t + _A2 * t**2 + (_B0 + _B1 * t) * xw + (_C0 + _C1 * t) * xw**2)
        + pt**2 * (_D + _E * xw**2)
    )


def number_density(pressure_pa, temperature_k, water_mole_fraction):
    """Number density of air molecules [m⁻³]: N = p / (Z k_B T)."""
    z = compressibility(pressure_pa, temperature_k, water_mole_fraction)
    return np.asarray(pressure_pa, dtype=float) / (z * K_BOLTZMANN * np.asarray(temperature_k))


def mass_density(pressure_pa, temperature_k, water_mole_fraction, co2_mole_fraction):
    """Mass density of moist air [kg/m³] (CIPM-2007 eq. 1).

    ρ = p M_a / (Z R T) [1 - x_w (1 - M_w / M_a)].
    """
    p = np.asarray(pressure_pa, dtype=float)
    temp = np.asarray(temperature_k, dtype=float)
    xw = np.asarray(water_mole_fraction, dtype=float)
    ma = molar_mass_dry_air(co2_mole_fraction)
    z = compressibility(p, temp, xw)
    return p * ma / (z * R_GAS * temp) * (1 - xw * (1 - M_WATER / ma))


def molar_mass_moist_air(water_mole_fraction, co2_mole_fraction):
    """Mean molar mass of moist air [kg/mol]: (1 - x_w) M_a + x_w M_w."""
    xw = np.asarray(water_mole_fraction, dtype=float)
    return (1 - xw) * molar_mass_dry_air(co2_mole_fraction) + xw * M_WATER
