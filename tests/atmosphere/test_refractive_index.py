"""Ciddor (1996) refractive index against NIST's published values.

Reference: J. A. Stone and J. H. Zimmerman, "Index of Refraction of Air",
NIST Engineering Metrology Toolbox, documentation Table 1 (Ciddor equation,
450 ppm CO2; humidity as relative humidity with NIST's saturation vapour
pressure: IAPWS over water, over ice below 0 °C). Values are printed to 1e-9.
"""

import numpy as np
import pytest

from calibpipe_tasks.atmosphere.refractive_index import (
    refractivity,
    refractivity_standard_dry_air,
)
from calibpipe_tasks.atmosphere.water_vapour import water_vapour_mole_fraction

# (t [°C], RH [%], p [kPa], λ [nm], n) -- NIST EMT Table 1, Ciddor column
NIST_TABLE_1 = [
    (20, 0, 101.325, 633, 1.000271800),
    (20, 0, 60, 633, 1.000160924),
    (20, 0, 120, 633, 1.000321916),
    (50, 0, 100, 633, 1.000243285),
    (5, 0, 100, 633, 1.000282756),
    (-40, 0, 100, 633, 1.000337580),
    (50, 100, 120, 633, 1.000287924),
    (40, 75, 120, 633, 1.000299418),
    (20, 100, 100, 633, 1.000267394),
    (40, 100, 110, 1700, 1.000270247),
    (20, 0, 101.325, 1700, 1.000268479),
    (40, 100, 110, 300, 1.000289000),
    (20, 0, 101.325, 300, 1.000286581),
    (-40, 0, 120, 300, 1.000427233),
]


@pytest.mark.parametrize("t_c, rh, p_kpa, wavelength, n", NIST_TABLE_1)
def test_nist_table_1(t_c, rh, p_kpa, wavelength, n):
    temperature, pressure = t_c + 273.15, p_kpa * 1e3
    xw = water_vapour_mole_fraction(pressure, temperature, rh, phase="nist")
    assert abs(1 + refractivity(wavelength, pressure, temperature, xw, 450.0) - n) <= 1e-9


def test_vectorised_over_wavelengths_and_levels_matches_scalar_calls():
    wavelengths = np.array([300.0, 633.0, 1700.0])
    p = np.array([101325.0, 60000.0])
    t = np.array([293.15, 323.15])
    xw = np.array([0.0, 0.05])
    grid = refractivity(wavelengths[:, None], p, t, xw, 450.0)
    assert grid.shape == (3, 2)
    for i, lam in enumerate(wavelengths):
        for j in range(2):
            assert grid[i, j] == refractivity(lam, p[j], t[j], xw[j], 450.0)


def test_standard_dry_air_is_ciddor_equation_1():
    """At 15 °C, 101325 Pa, dry, 450 ppm the moist-air formula reduces to eq. (1)."""
    wavelengths = np.array([350.0, 633.0])
    full = refractivity(wavelengths, 101325.0, 288.15, 0.0, 450.0)
    np.testing.assert_allclose(full, refractivity_standard_dry_air(wavelengths), rtol=1e-12)
    # eq. (1) at 633 nm, by hand: 1e-8 (5792105/(238.0185-s2) + 167917/(57.362-s2))
    s2 = (1 / 0.633) ** 2
    by_hand = 1e-8 * (5792105 / (238.0185 - s2) + 167917 / (57.362 - s2))
    assert full[1] == pytest.approx(by_hand, rel=1e-12)


def test_more_co2_raises_refractivity_as_ciddor_equation_2():
    ratio = refractivity(633.0, 101325.0, 288.15, 0.0, 550.0) / refractivity(
        633.0, 101325.0, 288.15, 0.0, 450.0
    )
    assert ratio == pytest.approx(1 + 0.534e-6 * 100, rel=1e-12)
