"""The assembled atmospheric model: USSA 1976 reproduced, hydrostatic thickness, join."""

import astropy.units as u
import numpy as np
import pytest
from astropy.table import Table
from astropy.time import Time
from conftest import DATA

from calibpipe_tasks.atmosphere.gravity import gravity
from calibpipe_tasks.atmosphere.model_products import CTAO_PROFILE_GRID_KM, compute_model
from calibpipe_tasks.atmosphere.standard_atmosphere import us_standard_atmosphere
from calibpipe_tasks.io.meteo_table import COLUMNS, read_meteo_table
from calibpipe_tasks.io.reference_atmosphere import default_reference_dir, read_reference_model

from .test_rayleigh import bucholtz_1962_optical_depth

ERA5_LEVELS_HPA = np.array([1000, 975, 950, 925, 900, 875, 850, 825, 800, 775, 750, 700, 650,
                            600, 550, 500, 450, 400, 350, 300, 250, 225, 200, 175, 150, 125,
                            100, 70, 50, 30, 20, 10, 7, 5, 3, 2, 1], dtype=float)  # fmt: skip
LATITUDE = 45.0
WAVELENGTHS = np.arange(200.0, 1001.0, 1.0)


def ussa_meteo_table(levels_hpa=ERA5_LEVELS_HPA, ground_m=0.0):
    """A one-profile meteorological table of the US Standard Atmosphere 1976, dry air."""
    z = np.arange(-500.0, 86001.0, 10.0)
    _, p, _ = us_standard_atmosphere(z)
    altitude = np.interp(np.log(levels_hpa * 100), np.log(p[::-1]), z[::-1])
    temperature, _, _ = us_standard_atmosphere(altitude)
    n = len(levels_hpa)
    table = Table()
    table["time"] = Time(["2020-01-01T00:00:00"] * n, scale="utc")
    table["latitude"] = np.full(n, LATITUDE) * u.deg
    table["longitude"] = np.zeros(n) * u.deg
    table["pressure"] = levels_hpa * u.hPa
    table["geopotential_height"] = altitude * u.m
    table["altitude"] = altitude * u.m
    table["temperature"] = temperature * u.K
    table["relative_humidity"] = np.zeros(n) * u.percent
    for name, (_, description) in COLUMNS.items():
        table[name].description = description
    table.meta.update(
        site="USSA", site_latitude=LATITUDE, site_longitude=0.0, site_altitude=ground_m,
        data_source="USSA1976",
    )  # fmt: skip
    return table


def ussa_reference():
    """USSA 1976 to 86 km, continued isothermally (hydrostatic scale height) to 120 km,
    in the CTAO reference layout."""
    z = np.concatenate([np.arange(0.0, 86001.0, 1000.0), np.arange(90000.0, 120001.0, 5000.0)])
    low = z <= 86000.0
    t, p, rho = us_standard_atmosphere(np.minimum(z, 86000.0))
    scale = 8.31432 * t[low][-1] / (28.9644e-3 * gravity(LATITUDE, 86000.0))
    rho = np.where(low, rho, rho * np.exp(-(z - 86000.0) / scale))
    p = np.where(low, p, p * np.exp(-(z - 86000.0) / scale))
    table = Table()
    table["altitude"] = z / 1e3 * u.km
    table["atmospheric_density"] = rho * 1e-3 * u.g / u.cm**3
    table["atmospheric_thickness"] = p / gravity(LATITUDE, z) * 0.1 * u.g / u.cm**2
    table["temperature"] = t * u.K
    table["pressure"] = p / 100 * u.hPa
    table["partial_water_pressure"] = np.zeros(z.size)
    return table


#: USSA levels every 500 m up to 50 km (interpolation between levels is then negligible)
DENSE_LEVELS_HPA = us_standard_atmosphere(np.arange(0.0, 50001.0, 500.0))[1] / 100


@pytest.fixture(scope="module")
def ussa_products():
    return compute_model(ussa_meteo_table(DENSE_LEVELS_HPA), ussa_reference(), 314.0, WAVELENGTHS)


def test_profile_reproduces_ussa_1976(ussa_products):
    """Density within 0.1 %, pressure and thickness within 0.5 % from 0 to 86 km."""
    profile = ussa_products.profile
    h = profile["altitude"].quantity.to_value("m")
    keep = h <= 86000.0
    _, p, rho = us_standard_atmosphere(h[keep])
    density = profile["density"].quantity.to_value("kg / m3")[keep]
    pressure = profile["pressure"].quantity.to_value("Pa")[keep]
    np.testing.assert_allclose(density, rho, rtol=1e-3)
    np.testing.assert_allclose(pressure, p, rtol=5e-3)
    # thickness = ∫ρ dz equals p/g with the local gravity within 0.5 %
    thickness = profile["thickness"].quantity.to_value("kg / m2")[keep]
    np.testing.assert_allclose(thickness, p / gravity(LATITUDE, h[keep]), rtol=5e-3)


def test_profile_from_era5_levels_reproduces_ussa_1976_within_interpolation_error():
    """On ERA5's 37 levels (up to 5 km apart) the kinks of the USSA temperature profile
    fall between levels: density and thickness still within 1 %."""
    profile = compute_model(ussa_meteo_table(), ussa_reference(), 314.0, WAVELENGTHS).profile
    h = profile["altitude"].quantity.to_value("m")
    keep = h <= 86000.0
    _, p, rho = us_standard_atmosphere(h[keep])
    np.testing.assert_allclose(
        profile["density"].quantity.to_value("kg / m3")[keep], rho, rtol=1e-2
    )
    thickness = profile["thickness"].quantity.to_value("kg / m2")[keep]
    np.testing.assert_allclose(thickness, p / gravity(LATITUDE, h[keep]), rtol=1e-2)


def test_profile_is_on_the_ctao_55_level_grid(ussa_products):
    profile = ussa_products.profile
    assert len(profile) == 55
    np.testing.assert_array_equal(profile["altitude"], CTAO_PROFILE_GRID_KM)
    assert profile.colnames == [
        "altitude", "density", "thickness", "refractive_index", "temperature", "pressure",
        "water_vapor_partial_pressure",
    ]  # fmt: skip
    for name in profile.colnames:
        assert np.all(np.isfinite(profile[name]))
    assert np.all(np.diff(profile["density"]) < 0) and np.all(np.diff(profile["thickness"]) < 0)


def test_extinction_to_100_km_matches_bucholtz(ussa_products):
    ext = ussa_products.extinction
    assert ext.optical_depth.shape == (801, ext.emission_altitude_km.size)
    assert ext.emission_altitude_km.size >= 50 and ext.emission_altitude_km[-1] == 100.0
    tau_100 = ext.optical_depth[:, -1]
    np.testing.assert_allclose(tau_100, bucholtz_1962_optical_depth(WAVELENGTHS), rtol=5e-3)


SAMPLES = {
    # ERA5 layout (top 48 km) and GDAS layout (top 26.5 km: the reference takes over lower)
    "north_era5like": ("meteo_north_era5like.ecsv", "ctao-north_winter"),
    "south_gdaslike": ("meteo_south_gdaslike.ecsv", "ctao-south_winter"),
}


@pytest.fixture(scope="module", params=sorted(SAMPLES))
def sample_products(request):
    meteo_name, reference_name = SAMPLES[request.param]
    meteo = read_meteo_table(DATA / meteo_name)
    reference = read_reference_model(
        default_reference_dir() / f"reference_atmo_model_v0_{reference_name}.ecsv"
    )
    return compute_model(meteo, reference, 418.0, WAVELENGTHS)


def test_thickness_at_observation_level_is_surface_pressure_over_local_gravity(sample_products):
    meta = sample_products.profile.meta
    ground_m = meta["observation_level_km"] * 1e3
    p_over_g = meta["surface_pressure_hpa"] * 100 / gravity(meta["site_latitude"], ground_m)
    assert meta["thickness_at_observation_level"] * 10 == pytest.approx(p_over_g, rel=3e-3)


def test_no_jump_at_the_top_of_the_data(sample_products):
    model = sample_products.model
    z, rho = model.altitude_m, model.density_kg_m3
    top = model.data_top_m
    i = int(np.searchsorted(z, top))
    assert z[i] == pytest.approx(top)
    # the logarithmic density gradient changes by less than 20 % across the join
    slope_below = np.log(rho[i] / rho[i - 1]) / (z[i] - z[i - 1])
    slope_above = np.log(rho[i + 1] / rho[i]) / (z[i + 1] - z[i])
    assert slope_above == pytest.approx(slope_below, rel=0.2)
    thickness = model.thickness_kg_m2
    assert np.all(np.diff(thickness) < 0)


def test_extinction_is_physical(sample_products):
    tau = sample_products.extinction.optical_depth
    assert np.all(np.isfinite(tau)) and np.all(tau > 0)
    assert np.all(np.diff(tau, axis=1) > 0)  # increases with altitude
    assert np.all(np.diff(tau, axis=0) < 0)  # decreases with wavelength
    # the total optical depth scales with the surface pressure (Bucholtz 1995, eq. 10)
    surface = sample_products.profile.meta["surface_pressure_hpa"]
    expected = bucholtz_1962_optical_depth(WAVELENGTHS) * surface / 1013.25
    np.testing.assert_allclose(tau[:, -1], expected, rtol=0.015)


def test_humidity_of_the_night_is_used_up_to_the_data_top(sample_products):
    profile = sample_products.profile
    top = profile.meta["data_top_altitude_km"]
    below = profile["altitude"] <= top
    assert np.all(profile["water_vapor_partial_pressure"][below] > 0)
