"""The profile's refractive_index, temperature and water-vapour columns against their
inputs, each recomputed here independently of the package.

* n - 1: a transcription of Ciddor (1996), Applied Optics 35, 1566, eqs. (1)-(5) and
  the BIPM compressibility of his Appendix (eq. 12), with Ciddor's own molar masses
  and densities written out (not the package's cancelled form), anchored on the dry
  rows of NIST's Ciddor table (Stone & Zimmerman, NIST Engineering Metrology Toolbox,
  Table 1) and then applied to the profile's own temperature, pressure, p_w/p and CO2.
* temperature: the meteorological table's night mean per pressure level, linear in
  altitude, at the profile's levels inside the data range.
* p_w/p: relative humidity times the saturation vapour pressure of ECMWF's IFS
  (Cy41r2 documentation Part IV eqs. 7.5 and 7.6: Tetens' formula over water and
  over ice, blended between 250.16 and 273.16 K) times the enhancement factor, over p.
"""

import numpy as np
import pytest
from conftest import DATA

from calibpipe_tasks.atmosphere.model_products import compute_model
from calibpipe_tasks.io.meteo_table import read_meteo_table
from calibpipe_tasks.io.reference_atmosphere import default_reference_dir, read_reference_model

from .test_refractive_index import NIST_TABLE_1

# --- Ciddor (1996), straight from the paper --------------------------------------------
R = 8.314510  # J/(mol K), Ciddor's Appendix
M_W = 0.018015  # kg/mol, Ciddor's Appendix
A0, A1, A2 = 1.58123e-6, -2.9331e-8, 1.1043e-10
B0, B1 = 5.707e-6, -2.051e-8
C0, C1 = 1.9898e-4, -2.376e-6
D, E = 1.83e-11, -0.765e-8


def ciddor_z(p, t_k, xw):
    """Compressibility, Ciddor Appendix eq. (12)."""
    t = t_k - 273.15
    return (
        1
        - p / t_k * (A0 + A1 * t + A2 * t**2 + (B0 + B1 * t) * xw + (C0 + C1 * t) * xw**2)
        + (p / t_k) ** 2 * (D + E * xw**2)
    )


def ciddor_n_minus_1(wavelength_nm, p, t_k, xw, co2_ppm):
    """Ciddor (1996) steps (i)-(ix) of his section 3."""
    s2 = (1e3 / wavelength_nm) ** 2
    n_as = 1e-8 * (5792105 / (238.0185 - s2) + 167917 / (57.362 - s2))  # eq. (1)
    n_axs = n_as * (1 + 0.534e-6 * (co2_ppm - 450))  # eq. (2)
    n_ws = 1.022e-8 * (295.235 + 2.6422 * s2 - 0.032380 * s2**2 + 0.004028 * s2**3)  # eq. (3)
    m_a = 1e-3 * (28.9635 + 12.011e-6 * (co2_ppm - 400))  # molar mass of dry air
    rho_axs = 101325 * m_a / (ciddor_z(101325, 288.15, 0) * R * 288.15)  # eq. (4)
    rho_ws = 1333 * M_W / (ciddor_z(1333, 293.15, 1) * R * 293.15)
    z = ciddor_z(p, t_k, xw)
    rho_a = p * m_a * (1 - xw) / (z * R * t_k)
    rho_w = p * M_W * xw / (z * R * t_k)
    return rho_a / rho_axs * n_axs + rho_w / rho_ws * n_ws  # eq. (5)


@pytest.mark.parametrize("t_c, rh, p_kpa, wavelength, n", [r for r in NIST_TABLE_1 if r[1] == 0])
def test_the_transcription_reproduces_nist(t_c, rh, p_kpa, wavelength, n):
    value = ciddor_n_minus_1(float(wavelength), p_kpa * 1e3, t_c + 273.15, 0.0, 450.0)
    assert abs(1 + value - n) <= 1e-9


# --- the IFS saturation of ERA5's relative humidity --------------------------------------
def ifs_saturation_pressure(t_k):
    """IFS Cy41r2 Part IV eq. (7.5) (Tetens; Buck 1981 over water, AERKi over ice), (7.6)."""
    water = 611.21 * np.exp(17.502 * (t_k - 273.16) / (t_k - 32.19))
    ice = 611.21 * np.exp(22.587 * (t_k - 273.16) / (t_k + 0.7))
    alpha = np.clip((t_k - 250.16) / (273.16 - 250.16), 0, 1) ** 2
    return alpha * water + (1 - alpha) * ice


def night_mean_levels(meteo):
    """Mean altitude, temperature, RH per pressure level (all times and grid points)."""
    p = np.asarray(meteo["pressure"].quantity.to_value("hPa"))
    levels = np.unique(p)[::-1]
    out = {"pressure_pa": levels * 100.0}
    for name, col, unit in (
        ("altitude_m", "altitude", "m"),
        ("temperature_k", "temperature", "K"),
        ("rh", "relative_humidity", "%"),
    ):
        v = meteo[col].quantity.to_value(unit)
        out[name] = np.array([v[p == level].mean() for level in levels])
    return out


SAMPLES = {
    "north_era5like": ("meteo_north_era5like.ecsv", "ctao-north_winter"),
    "south_gdaslike": ("meteo_south_gdaslike.ecsv", "ctao-south_winter"),
}
CO2_PPM = 418.0
#: the package's IAPWS-IF97 / Wagner-1994 saturation against IFS's Tetens fits: measured
#: <= 0.23 % over the samples' 214-270 K; 0.5 % bounds it, while saturation over the wrong
#: phase (water instead of ice) is 20-50 % off at these temperatures
RTOL_SATURATION = 5e-3


@pytest.fixture(scope="module", params=sorted(SAMPLES))
def sample(request):
    meteo_name, reference_name = SAMPLES[request.param]
    meteo = read_meteo_table(DATA / meteo_name)
    reference = read_reference_model(
        default_reference_dir() / f"reference_atmo_model_v0_{reference_name}.ecsv"
    )
    products = compute_model(meteo, reference, CO2_PPM, np.array([350.0, 550.0]))
    return meteo, products.profile, products.layer_fit


def test_refractive_index_is_ciddor_of_the_profile_columns(sample):
    _, profile, _ = sample
    expected = ciddor_n_minus_1(
        profile.meta["refractive_index_wavelength_nm"],
        profile["pressure"].quantity.to_value("Pa"),
        profile["temperature"].quantity.to_value("K"),
        np.asarray(profile["water_vapor_partial_pressure"], dtype=float),
        profile.meta["co2_ppm"],
    )
    assert profile.meta["co2_ppm"] == CO2_PPM
    # R and M_a differ from the package's CIPM-2007 values but cancel in eq. (5)
    np.testing.assert_allclose(profile["refractive_index"], expected, rtol=1e-9, atol=0)


def _inside(profile, levels):
    h = profile["altitude"].quantity.to_value("m")
    ground = profile.meta["observation_level_km"] * 1e3
    inside = (h >= max(ground, levels["altitude_m"][0])) & (h <= levels["altitude_m"][-1])
    assert inside.sum() >= 10
    return h, inside


def test_temperature_is_the_night_mean_inside_the_data(sample):
    meteo, profile, _ = sample
    levels = night_mean_levels(meteo)
    h, inside = _inside(profile, levels)
    lo = levels["altitude_m"] >= profile.meta["observation_level_km"] * 1e3
    expected = np.interp(h[inside], levels["altitude_m"][lo], levels["temperature_k"][lo])
    np.testing.assert_allclose(
        profile["temperature"].quantity.to_value("K")[inside], expected, rtol=1e-12
    )
    assert profile.meta["data_top_altitude_km"] * 1e3 == pytest.approx(levels["altitude_m"][-1])


def test_water_vapour_is_relative_humidity_times_saturation(sample):
    meteo, profile, _ = sample
    levels = night_mean_levels(meteo)
    h, inside = _inside(profile, levels)
    lo = levels["altitude_m"] >= profile.meta["observation_level_km"] * 1e3
    t, p = levels["temperature_k"][lo], levels["pressure_pa"][lo]
    f = 1.00062 + 3.14e-8 * p + 5.6e-7 * (t - 273.15) ** 2  # Ciddor Appendix / CIPM A1.3
    xw_levels = levels["rh"][lo] / 100 * f * ifs_saturation_pressure(t) / p
    expected = np.interp(h[inside], levels["altitude_m"][lo], xw_levels)
    got = np.asarray(profile["water_vapor_partial_pressure"], dtype=float)[inside]
    np.testing.assert_allclose(got, expected, rtol=RTOL_SATURATION)


def test_the_products_layer_fit_is_continuous_at_its_boundaries(sample):
    """CORSIKA's X(h) must not jump where the layers meet (the fit joins them)."""
    from calibpipe_tasks.atmosphere.layer_fit import evaluate

    _, _, fit = sample
    bounds = np.asarray(fit["height_min"], dtype=float)
    a, b, c = (np.asarray(fit[name], dtype=float) for name in "abc")
    below = evaluate(bounds[1:] - 1e-9, bounds, a, b, c)
    at = evaluate(bounds[1:], bounds, a, b, c)
    assert np.abs(at / below - 1).max() < 1e-8
