"""Saturation vapour pressure and real-gas density against published values."""

import numpy as np
import pytest

from calibpipe_tasks.atmosphere.air_density import compressibility, mass_density
from calibpipe_tasks.atmosphere.standard_atmosphere import us_standard_atmosphere
from calibpipe_tasks.atmosphere.water_vapour import (
    saturation_vapour_pressure,
    saturation_vapour_pressure_cipm2007,
    saturation_vapour_pressure_ice,
    saturation_vapour_pressure_water,
    water_vapour_mole_fraction,
)


@pytest.mark.parametrize(
    "temperature, published_mpa",
    # IAPWS-IF97 (2007 revision), Table 35: computer-program verification of eq. 30
    [(300.0, 0.353658941e-2), (500.0, 0.263889776e1), (600.0, 0.123443146e2)],
)
def test_iapws_if97_saturation_pressure(temperature, published_mpa):
    assert saturation_vapour_pressure_water(temperature) == pytest.approx(
        published_mpa * 1e6, rel=1e-8
    )


def test_sublimation_pressure_at_triple_point_and_below():
    assert saturation_vapour_pressure_ice(273.16) == pytest.approx(611.657, rel=1e-12)
    # IAPWS R14-08(2011) verification value at 230 K: 8.947 352 740 189e-6 MPa; the
    # two-term equation (Wagner, Saul & Pruss 1994) that NIST uses agrees within 1e-4
    assert saturation_vapour_pressure_ice(230.0) == pytest.approx(8.947352740189, rel=1e-4)


def test_cipm2007_and_iapws_agree_at_room_temperature():
    t = np.array([283.15, 293.15, 303.15])
    np.testing.assert_allclose(
        saturation_vapour_pressure_cipm2007(t), saturation_vapour_pressure_water(t), rtol=5e-4
    )


def test_mixed_phase_blend_limits():
    assert saturation_vapour_pressure(280.0, "mixed") == saturation_vapour_pressure_water(280.0)
    assert saturation_vapour_pressure(240.0, "mixed") == saturation_vapour_pressure_ice(240.0)
    mid = saturation_vapour_pressure(260.0, "mixed")
    assert saturation_vapour_pressure_ice(260.0) < mid < saturation_vapour_pressure_water(260.0)


def test_mole_fraction_at_saturation():
    xw = water_vapour_mole_fraction(101325.0, 293.15, 100.0, phase="water")
    assert xw == pytest.approx(2339.2 * 1.0041 / 101325.0, rel=1e-3)


def test_real_gas_density_reproduces_ussa_1976():
    """USSA 1976 density (ideal gas, M0 = 28.9644 g/mol = dry air with 314 ppm CO2) is
    reproduced by the CIPM-2007 real-gas density from its T and p within 0.1 %, 0-86 km."""
    altitude = np.arange(0.0, 86001.0, 500.0)
    temperature, pressure, ussa_density = us_standard_atmosphere(altitude)
    density = mass_density(pressure, temperature, 0.0, 314e-6)
    np.testing.assert_allclose(density, ussa_density, rtol=1e-3)
    # published sea-level density of the standard: 1.2250 kg/m3
    assert density[0] == pytest.approx(1.2250, rel=1e-3)


def test_compressibility_of_standard_dry_air():
    """Z of dry air at 15 °C, 101325 Pa (Ciddor 1996 Appendix, BIPM-1981/91): 0.99959."""
    assert compressibility(101325.0, 288.15, 0.0) == pytest.approx(0.9995922115, abs=1e-9)
