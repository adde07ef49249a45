"""The night's model products from a meteorological table and a reference model.

Glue between the tables and the pure physics: night-averaged levels
(:mod:`.night_average`), the assembled column (:mod:`.atmospheric_model`), the
profile on CTAO's 55-level grid with Ciddor n-1 (:mod:`.refractive_index`), the
Rayleigh optical depths (:mod:`.rayleigh`) and CORSIKA's five-layer fit
(:mod:`.layer_fit`). Returns astropy tables / arrays; writes nothing.
"""

from dataclasses import dataclass, field

import numpy as np

from ..errors import InputDataError, UsageError
from .atmospheric_model import Column, ReferenceModel, build_model, sample, working_grid
from .layer_fit import fit_layers
from .night_average import level_statistics
from .rayleigh import optical_depth, volume_scattering_coefficient
from .refractive_index import refractivity
from .water_vapour import water_vapour_mole_fraction

#: CTAO's altitude grid of CORSIKA profiles [km]: 0-30 step 1, 32-50 step 2, 55-120 step 5
CTAO_PROFILE_GRID_KM = np.concatenate(
    [np.arange(0.0, 31.0), np.arange(32.0, 51.0, 2.0), np.arange(55.0, 121.0, 5.0)]
)
#: default emission altitudes: offsets above the ground [km] ...
EMISSION_OFFSETS_KM = (0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.6, 0.8, 1.0, 1.25, 1.5, 1.75,
                       2.0, 2.5, 3.0, 3.5, 4.0)  # fmt: skip
#: ... and altitudes above sea level [km] (those more than 4.5 km above ground are used)
EMISSION_ABSOLUTE_KM = tuple(float(h) for h in range(5, 31)) + (
    32.5, 35.0, 37.5, 40.0, 45.0, 50.0, 60.0, 70.0, 80.0, 90.0, 100.0,
)  # fmt: skip


def default_emission_altitudes(ground_km):
    """Site-dependent emission altitudes [km a.s.l.]: ≥ 50 levels, 50 m above ground to 100 km."""
    offsets = ground_km + np.asarray(EMISSION_OFFSETS_KM)
    absolute = np.asarray(EMISSION_ABSOLUTE_KM)
    absolute = absolute[absolute > offsets[-1] + 0.5]
    return np.round(np.concatenate([offsets, absolute]), 6)


@dataclass(frozen=True)
class Extinction:
    """Molecular optical depth from the observation level up to each emission altitude.

    Attributes
    ----------
    wavelength_nm : ndarray, shape (n_wavelength,)
        Wavelengths [nm], increasing.
    emission_altitude_km : ndarray, shape (n_altitude,)
        Emission altitudes above sea level [km], increasing, above the observation level.
    optical_depth : ndarray, shape (n_wavelength, n_altitude)
        Vertical optical depth (dimensionless), cumulative from the observation level;
        NaN marks a missing value.
    observation_level_km : float
        Observation level above sea level [km].
    meta : dict
        Provenance of the numbers (cross-section model, CO2, ...).
    """

    wavelength_nm: np.ndarray
    emission_altitude_km: np.ndarray
    optical_depth: np.ndarray
    observation_level_km: float
    meta: dict = field(default_factory=dict)


@dataclass
class ModelProducts:
    profile: object  # astropy Table
    extinction: Extinction
    layer_fit: object  # astropy Table
    model: object  # atmospheric_model.Model on the working grid


def night_column(meteo, ground_m, humidity_phase, path=None):
    """Night-mean isobaric levels above ground as a :class:`Column`; also counts dropped levels."""
    pressure_hpa = meteo["pressure"].quantity.to_value("hPa")
    levels, mean, _, _ = level_statistics(
        pressure_hpa,
        {
            "altitude": meteo["altitude"].quantity.to_value("m"),
            "temperature": meteo["temperature"].quantity.to_value("K"),
            "rh": meteo["relative_humidity"].quantity.to_value("%"),
        },
    )
    above = mean["altitude"] >= ground_m
    if above.sum() < 2:
        raise InputDataError(path, "fewer than 2 pressure levels above the site's ground")
    altitude = mean["altitude"][above]
    if np.any(np.diff(altitude) <= 0):
        raise InputDataError(path, "mean altitude does not increase with decreasing pressure")
    pressure = levels[above] * 100.0
    temperature = mean["temperature"][above]
    xw = water_vapour_mole_fraction(pressure, temperature, mean["rh"][above], humidity_phase)
    return Column(altitude, pressure, temperature, xw), int((~above).sum())


def reference_model_si(reference):
    """A reference table (astropy) as a :class:`ReferenceModel` in SI units."""
    return ReferenceModel(
        altitude_m=reference["altitude"].quantity.to_value("m"),
        density_kg_m3=reference["atmospheric_density"].quantity.to_value("kg / m3"),
        thickness_kg_m2=reference["atmospheric_thickness"].quantity.to_value("kg / m2"),
        temperature_k=reference["temperature"].quantity.to_value("K"),
        water_vapour_ratio=np.asarray(reference["partial_water_pressure"], dtype=float),
    )


def profile_table(model, altitudes_km, co2_ppm, wavelength_nm):
    """The atmospheric profile (agreed in-memory form) at ``altitudes_km``."""
    from astropy.table import Table

    s = sample(model, np.asarray(altitudes_km) * 1e3)
    n_minus_1 = refractivity(
        wavelength_nm, s["pressure_pa"], s["temperature_k"], s["water_mole_fraction"], co2_ppm
    )
    table = Table()
    columns = [
        ("altitude", np.asarray(altitudes_km, dtype=float), "km", "altitude above sea level"),
        ("density", s["density_kg_m3"] * 1e-3, "g / cm3", "mass density of moist air"),
        ("thickness", s["thickness_kg_m2"] * 0.1, "g / cm2", "column density above the level"),
        ("refractive_index", n_minus_1, "",
         f"refractive index minus one (n-1), Ciddor 1996 at {wavelength_nm:g} nm"),
        ("temperature", s["temperature_k"], "K", "air temperature"),
        ("pressure", s["pressure_pa"] * 1e-2, "hPa", "air pressure"),
        ("water_vapor_partial_pressure", s["water_mole_fraction"], "",
         "partial pressure of water vapour over total pressure (p_w/p)"),
    ]  # fmt: skip
    for name, values, unit, description in columns:
        table[name] = values
        table[name].unit = unit or None
        table[name].description = description
    return table


def extinction_table(extinction):
    """The extinction as a long table (wavelength, altitude, extinction), wavelength-major."""
    from astropy.table import Table

    n_wl, n_alt = extinction.optical_depth.shape
    table = Table()
    table["wavelength"] = np.repeat(extinction.wavelength_nm, n_alt)
    table["wavelength"].unit = "nm"
    table["wavelength"].description = "vacuum wavelength"
    table["altitude"] = np.tile(extinction.emission_altitude_km, n_wl)
    table["altitude"].unit = "km"
    table["altitude"].description = "emission altitude above sea level"
    table["extinction"] = extinction.optical_depth.ravel()
    table["extinction"].description = "Rayleigh optical depth from the observation level"
    table.meta["observatory_level"] = extinction.observation_level_km
    table.meta.update(extinction.meta)
    return table


def compute_model(
    meteo,
    reference,
    co2_ppm,
    wavelengths_nm,
    emission_altitudes_km=None,
    refractive_index_wavelength_nm=350.0,
    fit_boundaries_km=(0.0, 4.0, 10.0, 40.0, 100.0),
    blend_scale_km=5.0,
    humidity_phase="mixed",
    min_data_top_km=15.0,
    meteo_path=None,
    reference_path=None,
    working_step_m=250.0,
):
    """All products of a night; see the module and step docstrings.

    Raises
    ------
    InputDataError
        Data not reaching ``min_data_top_km``, reference model not reaching 120 km,
        emission altitudes not above the observation level.
    """
    from astropy.table import Table

    ground_m = float(meteo.meta["site_altitude"])
    latitude = float(meteo.meta["site_latitude"])
    column, n_below = night_column(meteo, ground_m, humidity_phase, meteo_path)
    top_km = column.altitude_m[-1] / 1e3
    if top_km < min_data_top_km:
        raise InputDataError(
            meteo_path,
            f"meteorological data reach only {top_km:.2f} km, {min_data_top_km:g} km needed",
        )
    ref = reference_model_si(reference)
    grid_top_m = CTAO_PROFILE_GRID_KM[-1] * 1e3
    if ref.altitude_m[-1] < grid_top_m - 1e-6:
        raise InputDataError(
            reference_path,
            f"reference model reaches only {ref.altitude_m[-1] / 1e3:g} km, 120 km needed",
        )
    ground_km = ground_m / 1e3
    if emission_altitudes_km is None:
        emission = default_emission_altitudes(ground_km)
    else:
        emission = np.unique(np.asarray(emission_altitudes_km, dtype=float))
        if emission[0] <= ground_km or emission[-1] > CTAO_PROFILE_GRID_KM[-1]:
            raise UsageError(
                f"emission altitudes must lie above the observation level {ground_km:g} km"
                " and not above 120 km"
            )
    nodes = np.concatenate(
        [CTAO_PROFILE_GRID_KM * 1e3, emission * 1e3, [ground_m], column.altitude_m]
    )
    grid = working_grid(min(0.0, ground_m), grid_top_m, nodes, working_step_m)
    model = build_model(column, ref, co2_ppm, latitude, grid, blend_m=blend_scale_km * 1e3)

    profile = profile_table(model, CTAO_PROFILE_GRID_KM, co2_ppm, refractive_index_wavelength_nm)
    at_ground = sample(model, [ground_m])

    # Rayleigh optical depth: beta on the nodes from the ground to the highest emission altitude
    used = (grid >= ground_m - 1e-6) & (grid <= emission[-1] * 1e3 + 1e-6)
    beta = volume_scattering_coefficient(
        np.asarray(wavelengths_nm, dtype=float)[:, None],
        model.pressure_pa[used],
        model.temperature_k[used],
        model.water_mole_fraction[used],
        co2_ppm,
    )
    tau = optical_depth(grid[used], beta, ground_m, emission * 1e3)
    extinction = Extinction(
        wavelength_nm=np.asarray(wavelengths_nm, dtype=float),
        emission_altitude_km=emission,
        optical_depth=tau,
        observation_level_km=ground_km,
        meta={"co2_ppm": co2_ppm, "method": "Tomasi 2005 / Ciddor 1996, real gas, moist air"},
    )

    a, b, c, max_rel, max_abs = fit_layers(
        grid / 1e3, model.thickness_kg_m2 * 0.1, fit_boundaries_km
    )
    fit = Table()
    fit["layer"] = np.arange(1, 6, dtype=np.int32)
    fit["layer"].description = "CORSIKA layer number"
    fit["height_min"] = np.asarray(fit_boundaries_km, dtype=float)
    fit["height_min"].unit = "km"
    fit["height_min"].description = "lower boundary of the layer"
    for name, values, unit, description in (
        ("a", a, "g / cm2", "a_i of X = a + b exp(-h/c) (layer 5: X = a - b h / c)"),
        ("b", b, "g / cm2", "b_i"),
        ("c", c, "km", "c_i"),
    ):
        fit[name] = values
        fit[name].unit = unit
        fit[name].description = description
    fit.meta["max_relative_residual"] = max_rel
    fit.meta["residual_range"] = f"levels of the working grid below {fit_boundaries_km[4]:g} km"
    fit.meta["max_absolute_residual"] = max_abs
    fit.meta["max_absolute_residual_unit"] = "g / cm2"

    profile.meta.update(
        {
            "site": meteo.meta["site"],
            "observation_level_km": ground_km,
            "site_latitude": latitude,
            "data_source": meteo.meta["data_source"],
            "window_start": meteo.meta.get("window_start", ""),
            "window_end": meteo.meta.get("window_end", ""),
            "co2_ppm": co2_ppm,
            "refractive_index_wavelength_nm": float(refractive_index_wavelength_nm),
            "data_bottom_altitude_km": round(model.data_bottom_m / 1e3, 6),
            "data_top_altitude_km": round(model.data_top_m / 1e3, 6),
            "below_data": "hydrostatic extrapolation, lapse rate -6.5 K/km (USSA 1976)",
            "above_data": f"reference model, joined with e-folding length {blend_scale_km:g} km",
            "levels_below_ground_dropped": n_below,
            "surface_pressure_hpa": float(at_ground["pressure_pa"][0] / 100.0),
            "thickness_at_observation_level": float(at_ground["thickness_kg_m2"][0] * 0.1),
            "humidity_phase": humidity_phase,
        }
    )
    return ModelProducts(profile=profile, extinction=extinction, layer_fit=fit, model=model)
