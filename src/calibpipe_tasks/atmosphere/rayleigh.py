"""Rayleigh scattering of moist air with CO₂: cross-section, King factor, optical depth.

Tomasi, Vitale, Petkov, Lupi & Cacciari (2005), "Improved algorithm for
calculations of Rayleigh-scattering optical depth in standard atmospheres",
Applied Optics 44, 3320 (after Bucholtz 1995, Applied Optics 34, 2765, and
Bates 1984, Planet. Space Sci. 32, 785):

* cross-section per molecule, Tomasi eq. (4):
  σ(λ) = 24 π³ (n² - 1)² / (λ⁴ N² (n² + 2)²) F_K(λ),
  with n the refractive index (Ciddor 1996) and N the number density of the same
  air (real gas), so that σ does not depend on pressure;
* King factor of air, Tomasi eqs. (22)-(23) with Bates (1984):
  F_N2 = 1.034 + 3.17e-4 λ⁻², F_O2 = 1.096 + 1.385e-3 λ⁻² + 1.448e-4 λ⁻⁴
  (λ in µm), F_Ar = 1.00, F_CO2 = 1.15, F_H2O = 1.001, weighted by the volume
  fractions 78.084 % N2, 20.946 % O2, 0.934 % Ar, x_CO2, and x_w of moist air;
* depolarisation ratio (Tomasi eq. 6 inverted): ρ = 6 (F_K - 1) / (7 F_K + 3);
* volume scattering coefficient β = N σ (Tomasi eq. 2), optical depth
  τ(h1, h2) = ∫ β dh (Tomasi eq. 1), integrated here with
  :func:`.integration.cumulative_exponential_integral`.
"""

import numpy as np

from .air_density import number_density
from .integration import cumulative_exponential_integral
from .refractive_index import refractivity

#: volume percentages of the dry-air constituents besides CO₂ (Tomasi 2005, Table 1)
N2_PERCENT, O2_PERCENT, AR_PERCENT = 78.084, 20.946, 0.934
KING_AR, KING_CO2, KING_H2O = 1.00, 1.15, 1.001


def king_factor(wavelength_nm, co2_ppm, water_mole_fraction=0.0):
    """King correction factor F_K of moist air (Tomasi 2005 eqs. 22-23; Bates 1984).

    Broadcasts ``wavelength_nm`` against ``water_mole_fraction``.
    """
    lam2 = (np.asarray(wavelength_nm, dtype=float) * 1e-3) ** 2
    f_n2 = 1.034 + 3.17e-4 / lam2
    f_o2 = 1.096 + 1.385e-3 / lam2 + 1.448e-4 / lam2**2
    co2_percent = np.asarray(co2_ppm, dtype=float) * 1e-4
    dry = (
        N2_PERCENT * f_n2 + O2_PERCENT * f_o2 + AR_PERCENT * KING_AR + co2_percent * KING_CO2
    ) / (N2_PERCENT + O2_PERCENT + AR_PERCENT + co2_percent)
    xw = np.asarray(water_mole_fraction, dtype=float)
    return (1 - xw) * dry + xw * KING_H2O


def depolarisation_ratio(king):
    """Depolarisation ratio ρ from the King factor F_K = (6 + 3ρ) / (6 - 7ρ)."""
    king = np.asarray(king, dtype=float)
    return 6 * (king - 1) / (7 * king + 3)


def cross_section(wavelength_nm, pressure_pa, temperature_k, water_mole_fraction, co2_ppm):
    """Rayleigh cross-section per molecule [m²] (Tomasi 2005 eq. 4).

    Broadcasting as in :func:`.refractive_index.refractivity`: wavelengths of
    shape (n_wavelength, 1) against levels of shape (n_level,).
    """
    lam = np.asarray(wavelength_nm, dtype=float) * 1e-9
    n_minus_1 = refractivity(
        wavelength_nm, pressure_pa, temperature_k, water_mole_fraction, co2_ppm
    )
    n2 = (1 + n_minus_1) ** 2
    density = number_density(pressure_pa, temperature_k, water_mole_fraction)
    lorentz = (n2 - 1) / (n2 + 2)
    king = king_factor(wavelength_nm, co2_ppm, water_mole_fraction)
    return 24 * np.pi**3 * lorentz**2 / (lam**4 * density**2) * king


def volume_scattering_coefficient(
    wavelength_nm, pressure_pa, temperature_k, water_mole_fraction, co2_ppm
):
    """β = N σ [m⁻¹] (Tomasi 2005 eq. 2), same broadcasting as :func:`cross_section`."""
    density = number_density(pressure_pa, temperature_k, water_mole_fraction)
    return density * cross_section(
        wavelength_nm, pressure_pa, temperature_k, water_mole_fraction, co2_ppm
    )


def optical_depth(altitude_m, beta, from_altitude_m, to_altitudes_m):
    """Optical depth from one altitude up to each of several altitudes (Tomasi 2005 eq. 1).

    Parameters
    ----------
    altitude_m : ndarray, shape (n_level,)
        Increasing altitudes at which ``beta`` is given; must contain
        ``from_altitude_m`` and every ``to_altitudes_m`` as nodes.
    beta : ndarray, shape (..., n_level)
        Volume scattering coefficient [m⁻¹].
    from_altitude_m : float
        Lower end (the observation level).
    to_altitudes_m : ndarray, shape (n_to,)
        Upper ends (emission altitudes), each >= ``from_altitude_m``.

    Returns
    -------
    ndarray, shape (..., n_to)
        τ, integrated between nodes assuming β exponential in altitude.
    """
    altitude_m = np.asarray(altitude_m, dtype=float)
    cumulative = cumulative_exponential_integral(altitude_m, beta)
    start = np.searchsorted(altitude_m, from_altitude_m)
    stop = np.searchsorted(altitude_m, np.asarray(to_altitudes_m, dtype=float))
    if not np.allclose(altitude_m[stop], to_altitudes_m) or not np.isclose(
        altitude_m[start], from_altitude_m
    ):
        raise ValueError("integration limits must be nodes of the altitude grid")
    return cumulative[..., stop] - cumulative[..., start, None]
