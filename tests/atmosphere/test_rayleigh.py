"""Rayleigh scattering against Bucholtz (1995)."""

import numpy as np

from calibpipe_tasks.atmosphere.integration import cumulative_exponential_integral
from calibpipe_tasks.atmosphere.rayleigh import (
    cross_section,
    depolarisation_ratio,
    king_factor,
    optical_depth,
    volume_scattering_coefficient,
)
from calibpipe_tasks.atmosphere.standard_atmosphere import us_standard_atmosphere


def bucholtz_1962_optical_depth(wavelength_nm):
    """Bucholtz (1995), Applied Optics 34, 2765, eq. (9) with the coefficients of his
    Table 3 for the 1962 U.S. Standard Atmosphere (sea level, 1013.25 hPa), his
    analytic representation of the optical depths he tabulates."""
    lam = np.asarray(wavelength_nm) / 1e3
    short = lam <= 0.5
    a = np.where(short, 6.50362e-3, 8.64627e-3)
    b = np.where(short, 3.55212, 3.99668)
    c = np.where(short, 1.35579, 1.10298e-3)
    d = np.where(short, 0.11563, 2.71393e-2)
    return a * lam ** -(b + c * lam + d / lam)


def test_sea_level_optical_depth_of_us_standard_atmosphere_matches_bucholtz():
    """USSA 1976 equals USSA 1962 below 51 km; CO2 300 ppm as in Bucholtz's standard air."""
    z = np.arange(0.0, 86001.0, 100.0)
    temperature, pressure, _ = us_standard_atmosphere(z)
    wavelengths = np.arange(200.0, 1001.0, 1.0)
    beta = volume_scattering_coefficient(wavelengths[:, None], pressure, temperature, 0.0, 300.0)
    tau = optical_depth(z, beta, 0.0, [86000.0])[:, 0]
    np.testing.assert_allclose(tau, bucholtz_1962_optical_depth(wavelengths), rtol=5e-3)


def test_cross_section_does_not_depend_on_pressure():
    lam = np.array([[300.0], [550.0]])
    sigma = cross_section(lam, np.array([101325.0, 5000.0]), np.array([288.15, 220.0]), 0.0, 420)
    np.testing.assert_allclose(sigma[:, 0], sigma[:, 1], rtol=1e-4)


def test_king_factor_and_depolarisation_of_dry_air():
    """Bates (1984) / Tomasi (2005): F_K(air) ~ 1.049 at 500 nm, depolarisation ~ 0.028-0.03."""
    king = king_factor(np.array([300.0, 500.0, 1000.0]), 360.0)
    assert np.all(np.diff(king) < 0)
    assert 1.045 < king[1] < 1.052
    rho = depolarisation_ratio(king)
    assert np.all((rho > 0.026) & (rho < 0.033))
    # F = (6 + 3 rho) / (6 - 7 rho) inverts the depolarisation ratio
    np.testing.assert_allclose((6 + 3 * rho) / (6 - 7 * rho), king, rtol=1e-12)


def test_exponential_integration_is_exact_for_an_exponential():
    z = np.array([0.0, 1000.0, 3500.0, 10000.0])
    f = 2.0 * np.exp(-z / 8000.0)
    integral = cumulative_exponential_integral(z, f)
    np.testing.assert_allclose(integral, 2.0 * 8000.0 * (1 - np.exp(-z / 8000.0)), rtol=1e-12)
