"""Fixture data for the SimPipe exchange tests and the bundled sample set.

Not the real physics (that is ``create-atmospheric-model``'s job), but numbers
with known truths:

* profile: the U.S. Standard Atmosphere 1976 (``atmosphere/standard_atmosphere.py``)
  on the CTAO altitude grid up to 85 km, thickness = p / g0 (hydrostatic), n-1
  proportional to density (2.83e-4 at 1.225 kg/m3), pw/p a decreasing toy value;
* extinction: a Rayleigh-like optical depth
  tau(lambda, h) = TAU_400 exp(-h0 / 8 km) (lambda / 400 nm)^-4.08 (1 - exp(-(h - h0) / 8 km));
* 5-layer fit: CORSIKA's atmosphere model 1 (U.S. Standard after Linsley, CORSIKA
  user's guide, Table of ATMOSPHERE parameters), its residual measured against the profile.
"""

import numpy as np
from astropy import units as u
from astropy.table import Table

from calibpipe_tasks.atmosphere.standard_atmosphere import G0, us_standard_atmosphere
from calibpipe_tasks.io.simpipe import ExchangeInfo, Extinction
from calibpipe_tasks.sites import get_site

#: CTAO grid (DESIGN.md 7) cut at 85 km, the top of the standard atmosphere module
ALTITUDE_GRID_KM = np.concatenate(
    [np.arange(0.0, 31.0, 1.0), np.arange(32.0, 51.0, 2.0), np.arange(55.0, 86.0, 5.0)]
)
TAU_400 = 0.36
ANGSTROM = 4.08
SCALE_HEIGHT_KM = 8.0

#: CORSIKA atmosphere 1 (US standard after Linsley): layer bottoms [km], a, b [g/cm2], c [cm]
CORSIKA_US_STANDARD = {
    "height_min": [0.0, 4.0, 10.0, 40.0, 100.0],
    "a": [-186.555305, -94.919, 0.61289, 0.0, 0.01128292],
    "b": [1222.6562, 1144.9069, 1305.5948, 540.1778, 1.0],
    "c_cm": [994186.38, 878153.55, 636143.04, 772170.16, 1.0e9],
}


def standard_profile(altitudes_km=ALTITUDE_GRID_KM):
    """The U.S. Standard Atmosphere 1976 in the in-memory profile form."""
    z = np.asarray(altitudes_km, dtype=float)
    temperature, pressure_pa, density_kg_m3 = us_standard_atmosphere(z * 1000.0)
    table = Table()
    table["altitude"] = z * u.km
    table["density"] = density_kg_m3 * 1e-3 * u.g / u.cm**3
    table["thickness"] = pressure_pa / G0 * 0.1 * u.g / u.cm**2
    table["refractive_index"] = 2.83e-4 * density_kg_m3 / 1.225
    table["temperature"] = temperature * u.K
    table["pressure"] = pressure_pa / 100.0 * u.hPa
    table["water_vapor_partial_pressure"] = 0.01 * np.exp(-z / 2.0)
    return table


def rayleigh_like_extinction(wavelength_nm, altitude_km, observation_level_km):
    """The analytic optical depth of the module docstring as an :class:`Extinction`."""
    wl = np.asarray(wavelength_nm, dtype=float)
    h = np.asarray(altitude_km, dtype=float)
    h0 = float(observation_level_km)
    tau = (
        TAU_400
        * np.exp(-h0 / SCALE_HEIGHT_KM)
        * (wl[:, None] / 400.0) ** -ANGSTROM
        * (1.0 - np.exp(-(h[None, :] - h0) / SCALE_HEIGHT_KM))
    )
    return Extinction(wl, h, tau, h0)


def corsika_five_layer_thickness(h_km, fit):
    """Thickness [g/cm2] of a 5-layer model (CORSIKA's T(h)) at altitudes ``h_km``."""
    h = np.asarray(h_km, dtype=float)
    bottoms = np.asarray(fit["height_min"], dtype=float)
    i = np.clip(np.searchsorted(bottoms, h, side="right") - 1, 0, 4)
    a, b, c = (np.asarray(fit[k], dtype=float)[i] for k in ("a", "b", "c"))
    return np.where(i < 4, a + b * np.exp(-h / c), a - b * h / c)


def corsika_us_standard_fit(profile=None):
    """CORSIKA's atmosphere 1 as the in-memory 5-layer fit table."""
    fit = Table()
    fit["layer"] = np.arange(1, 6, dtype=np.int32)
    fit["height_min"] = np.array(CORSIKA_US_STANDARD["height_min"]) * u.km
    fit["a"] = np.array(CORSIKA_US_STANDARD["a"]) * u.g / u.cm**2
    fit["b"] = np.array(CORSIKA_US_STANDARD["b"]) * u.g / u.cm**2
    fit["c"] = np.array(CORSIKA_US_STANDARD["c_cm"]) * 1e-5 * u.km
    profile = standard_profile() if profile is None else profile
    h = np.asarray(profile["altitude"])
    thick = np.asarray(profile["thickness"])
    below = h <= 50.0  # where the thickness is large enough for a relative residual to matter
    model = corsika_five_layer_thickness(h[below], fit)
    fit.meta["max_relative_residual"] = float(
        np.round(np.max(np.abs(model / thick[below] - 1.0)), 6)
    )
    return fit


def sample_info(product_id="sample-north-20230615", site="North", parameter_version="1.0.0"):
    """The :class:`ExchangeInfo` of the fixture sets."""
    return ExchangeInfo(
        product_id=product_id,
        site=get_site(site),
        validity_start="2023-06-15T21:30:00Z",
        validity_end="2023-06-16T05:45:00Z",
        data_source="ERA5",
        dataset="reanalysis-era5-pressure-levels",
        co2_ppm=420.83,
        reference_season="summer",
        reference_version="v0",
        parameter_version=parameter_version,
    )


SAMPLE_WAVELENGTHS_NM = np.arange(200.0, 1001.0, 10.0)


def sample_emission_altitudes(observation_level_km):
    """Emission altitudes [km a.s.l.] from just above the ground to 100 km."""
    above = np.array(
        [
            0.01,
            0.05,
            0.1,
            0.25,
            0.5,
            1.0,
            2.0,
            3.0,
            4.0,
            6.0,
            8.0,
            10.0,
            13.0,
            18.0,
            23.0,
            28.0,
            38.0,
            48.0,
            68.0,
            97.85,
        ]
    )
    return np.round(observation_level_km + above, 3)


def sample_inputs(
    site="North", product_id="sample-north-20230615", wavelengths_nm=SAMPLE_WAVELENGTHS_NM
):
    """(profile, extinction, fit, info) of a complete fixture exchange set."""
    info = sample_info(product_id=product_id, site=site)
    level = info.site.altitude_m / 1000.0
    profile = standard_profile()
    extinction = rayleigh_like_extinction(wavelengths_nm, sample_emission_altitudes(level), level)
    return profile, extinction, corsika_us_standard_fit(profile), info


#: fixed software versions for the committed sample (so that it does not change with the venv)
SAMPLE_SOFTWARE = {"calibpipe-tasks": "0.1.0", "python": "3.12", "numpy": "2", "astropy": "7"}
