"""US Standard Atmosphere 1976 and WGS84 gravity against their published tables."""

import numpy as np
import pytest

from calibpipe_tasks.atmosphere import gravity
from calibpipe_tasks.atmosphere.standard_atmosphere import us_standard_atmosphere

# NOAA-S/T 76-1562 (1976), Table I: geometric altitude [m], T [K], p [Pa], rho [kg/m3]
USSA1976_TABLE = [
    (0.0, 288.150, 1.01325e5, 1.2250),
    (5000.0, 255.676, 5.4048e4, 7.3643e-1),
    (10000.0, 223.252, 2.6500e4, 4.1351e-1),
    (20000.0, 216.650, 5.5293e3, 8.8910e-2),
    (30000.0, 226.509, 1.1970e3, 1.8410e-2),
    (50000.0, 270.650, 7.9779e1, 1.0269e-3),
    (80000.0, 198.639, 1.0524, 1.8458e-5),
]


@pytest.mark.parametrize(("z", "t", "p", "rho"), USSA1976_TABLE)
def test_us_standard_atmosphere_1976_table(z, t, p, rho):
    temperature, pressure, density = us_standard_atmosphere(z)
    assert temperature == pytest.approx(t, abs=2e-3)
    assert pressure == pytest.approx(p, rel=1e-4)
    assert density == pytest.approx(rho, rel=1e-4)


def test_normal_gravity_wgs84_published_values():
    # NIMA TR8350.2 Table 3.4: normal gravity at the equator and the poles
    assert gravity.normal_gravity(0.0) == pytest.approx(9.7803253359, abs=1e-9)
    assert gravity.normal_gravity(90.0) == pytest.approx(9.8321849378, abs=1e-9)
    # at 45 degrees the normal gravity is close to standard gravity (9.80620 vs 9.80665)
    assert gravity.normal_gravity(45.0) == pytest.approx(9.806199, abs=1e-5)


def test_geopotential_round_trip_and_magnitude():
    h = np.array([0.0, 2150.0, 15000.0, 30000.0])
    for lat in (-24.6272, 28.761795):
        z = gravity.geopotential_height_from_geometric(h, lat)
        np.testing.assert_allclose(gravity.geometric_from_geopotential_height(z, lat), h, atol=1e-6)
    # at 30 km geometric altitude, geopotential height is ~140 m lower (the standard: ~141 m at 45°)
    z45 = gravity.geopotential_height_from_geometric(30000.0, 45.0)
    assert 30000.0 - z45 == pytest.approx(141.0, abs=3.0)


def test_gravity_decreases_with_altitude():
    g = gravity.gravity(28.76, np.array([0.0, 2150.0, 10000.0]))
    assert np.all(np.diff(g) < 0)
    # free-air gradient ~ -3.086e-6 s^-2
    assert (g[1] - g[0]) / 2150.0 == pytest.approx(-3.086e-6, rel=0.01)
