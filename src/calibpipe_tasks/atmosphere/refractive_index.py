"""Refractive index of moist air with CO₂: Ciddor (1996), Applied Optics 35, 1566.

With σ = 1/λ_vac [µm⁻¹]:

* standard dry air (15 °C, 101325 Pa, 450 ppm CO₂), eq. (1):
  10⁸ (n_as - 1) = k1 / (k0 - σ²) + k3 / (k2 - σ²);
* other CO₂ contents x_c [ppm], eq. (2): n_axs - 1 = (n_as - 1) [1 + 0.534e-6 (x_c - 450)];
* pure water vapour at 20 °C, 1333 Pa, eq. (3):
  10⁸ (n_ws - 1) = 1.022 (w0 + w1 σ² + w2 σ⁴ + w3 σ⁶);
* moist air, eq. (5): n - 1 = (ρ_a / ρ_axs)(n_axs - 1) + (ρ_w / ρ_ws)(n_ws - 1), with
  the densities of eq. (4) from the BIPM compressibility (Appendix, eq. 12):
  ρ_a = p M_a (1 - x_w) / (Z R T), ρ_w = p M_w x_w / (Z R T).

In the two ratios the molar masses and R cancel, so n - 1 needs only
p (1 - x_w) / (Z T) and p x_w / (Z T) relative to the reference states.
"""

import numpy as np

from .air_density import compressibility

_K0, _K1, _K2, _K3 = 238.0185, 5792105.0, 57.362, 167917.0
_W0, _W1, _W2, _W3 = 295.235, 2.6422, -0.032380, 0.004028
_CF = 1.022
#: reference states of eq. (4): dry air 15 °C / 101325 Pa, water vapour 20 °C / 1333 Pa
_T_AXS, _P_AXS = 288.15, 101325.0
_T_WS, _P_WS = 293.15, 1333.0
_MOLES_AXS = _P_AXS / (compressibility(_P_AXS, _T_AXS, 0.0) * _T_AXS)
_MOLES_WS = _P_WS / (compressibility(_P_WS, _T_WS, 1.0) * _T_WS)


def refractivity_standard_dry_air(wavelength_nm, co2_ppm=450.0):
    """n_axs - 1 of dry air at 15 °C, 101325 Pa with ``co2_ppm`` CO₂ (Ciddor eqs. 1-2)."""
    s2 = (1e3 / np.asarray(wavelength_nm, dtype=float)) ** 2
    n_as = 1e-8 * (_K1 / (_K0 - s2) + _K3 / (_K2 - s2))
    return n_as * (1 + 0.534e-6 * (np.asarray(co2_ppm, dtype=float) - 450.0))


def refractivity_standard_water_vapour(wavelength_nm):
    """n_ws - 1 of pure water vapour at 20 °C, 1333 Pa (Ciddor eq. 3)."""
    s2 = (1e3 / np.asarray(wavelength_nm, dtype=float)) ** 2
    return 1e-8 * _CF * (_W0 + _W1 * s2 + _W2 * s2**2 + _W3 * s2**3)


def refractivity(wavelength_nm, pressure_pa, temperature_k, water_mole_fraction, co2_ppm):
    """Refractivity n - 1 of moist air (Ciddor 1996 eq. 5), vectorised by broadcasting.

    Parameters
    ----------
    wavelength_nm : array_like
        Vacuum wavelength [nm]; give shape (n_wavelength, 1) to get a
        (n_wavelength, n_level) result for level arrays of shape (n_level,).
    pressure_pa, temperature_k, water_mole_fraction : array_like
        Total pressure [Pa], temperature [K], mole fraction of water vapour.
    co2_ppm : float or array_like
        CO₂ mole fraction [ppm = µmol/mol].

    Returns
    -------
    ndarray
        n - 1 (dimensionless).
    """
    p = np.asarray(pressure_pa, dtype=float)
    t = np.asarray(temperature_k, dtype=float)
    xw = np.asarray(water_mole_fraction, dtype=float)
    moles = p / (compressibility(p, t, xw) * t)
    dry = moles * (1 - xw) / _MOLES_AXS
    wet = moles * xw / _MOLES_WS
    return dry * refractivity_standard_dry_air(wavelength_nm, co2_ppm) + (
        wet * refractivity_standard_water_vapour(wavelength_nm)
    )
