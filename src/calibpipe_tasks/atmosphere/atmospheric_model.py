"""The night's molecular atmosphere from the ground to the top of the reference model.

A column of moist air is described by pressure p, temperature T and water
vapour mole fraction x_w as functions of geometric altitude z. It is put
together from three parts on a working altitude grid:

1. **Meteorological data** (the night-averaged isobaric levels) between their
   lowest and highest level: ln p and T linear in z, x_w linear in z.
2. **Below the lowest level** (down to the bottom of the grid, e.g. 0 km a.s.l.
   under a mountain site, as CORSIKA tables conventionally start at sea level):
   hydrostatic extrapolation with the standard tropospheric lapse rate
   dT/dz = -6.5 K/km of the US Standard Atmosphere 1976 (its eq. 33a),
   p = p0 (T / T0)^(-g M / (R L)), with the local gravity and the molar mass of
   the lowest level's air; x_w constant.
3. **Above the highest level**: the selected reference model, joined to the data
   without a jump: ln ρ = ln ρ_ref + ln(ρ_top / ρ_ref(z_top)) exp(-(z - z_top)/L)
   and T = T_ref + (T_top - T_ref(z_top)) exp(-(z - z_top)/L) (L = 5 km by
   default), x_w = the reference's p_w/p, p from the gas law.

Density ρ is the CIPM-2007 real-gas density of moist air with the night's CO₂
(:mod:`.air_density`); the thickness (column density) X(z) = ∫_z^∞ ρ dz' is
integrated from the top of the reference model down (hydrostatic, with the
reference's thickness at its top as the remainder), never p / g0.
"""

from dataclasses import dataclass

import numpy as np

from .air_density import R_GAS, compressibility, mass_density, molar_mass_moist_air, number_density
from .gravity import gravity
from .integration import integral_from_top

#: standard tropospheric lapse rate [K/m] (US Standard Atmosphere 1976, Table 4)
STANDARD_LAPSE_RATE = -6.5e-3
#: source flag of each working-grid node
SOURCE_EXTRAPOLATED, SOURCE_METEO, SOURCE_REFERENCE = 0, 1, 2


@dataclass
class Column:
    """Quantities of an air column on increasing altitudes (SI units)."""

    altitude_m: np.ndarray
    pressure_pa: np.ndarray
    temperature_k: np.ndarray
    water_mole_fraction: np.ndarray


@dataclass
class ReferenceModel:
    """A reference atmosphere table (SI units): density, thickness, T, p_w/p per altitude."""

    altitude_m: np.ndarray
    density_kg_m3: np.ndarray
    thickness_kg_m2: np.ndarray
    temperature_k: np.ndarray
    water_vapour_ratio: np.ndarray


@dataclass
class Model:
    """The assembled column on the working grid (SI units)."""

    altitude_m: np.ndarray
    pressure_pa: np.ndarray
    temperature_k: np.ndarray
    water_mole_fraction: np.ndarray
    density_kg_m3: np.ndarray
    number_density_m3: np.ndarray
    thickness_kg_m2: np.ndarray
    source: np.ndarray
    data_bottom_m: float
    data_top_m: float


def working_grid(bottom_m, top_m, nodes_m=(), step_m=250.0):
    """A regular grid from ``bottom_m`` to ``top_m`` with ``nodes_m`` added as exact nodes.

    Regular points closer than 1 m to an exact node are left out.
    """
    nodes = np.unique(np.asarray(nodes_m, dtype=float))
    nodes = nodes[(nodes >= bottom_m) & (nodes <= top_m)]
    regular = np.arange(bottom_m, top_m + 0.5 * step_m, step_m)
    if nodes.size:
        near = np.min(np.abs(regular[:, None] - nodes[None, :]), axis=1) < 1.0
        regular = regular[~near]
    return np.union1d(regular, nodes)


def extrapolate_below(column, altitudes_m, latitude_deg, co2_ppm, lapse_rate=STANDARD_LAPSE_RATE):
    """p, T, x_w below the lowest level of ``column``: hydrostatic, constant lapse rate.

    p = p0 (T / T0)^(-g M / (R L)) (US Standard Atmosphere 1976 eq. 33a) with
    g the local gravity at the lowest level and M the molar mass of its moist air.
    """
    z0 = column.altitude_m[0]
    t0, p0, xw0 = column.temperature_k[0], column.pressure_pa[0], column.water_mole_fraction[0]
    dz = np.asarray(altitudes_m, dtype=float) - z0
    temperature = t0 + lapse_rate * dz
    g = gravity(latitude_deg, z0)
    molar_mass = molar_mass_moist_air(xw0, co2_ppm * 1e-6)
    pressure = p0 * (temperature / t0) ** (-g * molar_mass / (R_GAS * lapse_rate))
    return pressure, temperature, np.full_like(temperature, xw0)


def interpolate_column(column, altitudes_m):
    """p (log-linear), T and x_w (linear) of ``column`` at altitudes inside its range."""
    z = column.altitude_m
    pressure = np.exp(np.interp(altitudes_m, z, np.log(column.pressure_pa)))
    temperature = np.interp(altitudes_m, z, column.temperature_k)
    xw = np.interp(altitudes_m, z, column.water_mole_fraction)
    return pressure, temperature, xw


def reference_above(reference, altitudes_m, z_top, density_top, temperature_top, blend_m):
    """Density, temperature and x_w above the data top from the reference model, blended."""
    z_ref = reference.altitude_m
    log_rho_ref = np.interp(altitudes_m, z_ref, np.log(reference.density_kg_m3))
    rho_ref_top = np.exp(np.interp(z_top, z_ref, np.log(reference.density_kg_m3)))
    t_ref = np.interp(altitudes_m, z_ref, reference.temperature_k)
    t_ref_top = np.interp(z_top, z_ref, reference.temperature_k)
    weight = np.exp(-(np.asarray(altitudes_m) - z_top) / blend_m)
    density = np.exp(log_rho_ref + np.log(density_top / rho_ref_top) * weight)
    temperature = t_ref + (temperature_top - t_ref_top) * weight
    xw = np.clip(np.interp(altitudes_m, z_ref, reference.water_vapour_ratio), 0.0, 0.999)
    return density, temperature, xw


def pressure_from_density(density, temperature, xw, co2_ppm):
    """Pressure [Pa] of moist air of density ``density`` (CIPM-2007 eq. 1 solved for p)."""
    molar_mass = molar_mass_moist_air(xw, co2_ppm * 1e-6)
    pressure = density * R_GAS * temperature / molar_mass
    for _ in range(2):  # Z depends weakly on p: two fixed-point steps reach 1e-12
        pressure = density * compressibility(pressure, temperature, xw) * R_GAS * temperature
        pressure = pressure / molar_mass
    return pressure


def build_model(
    column, reference, co2_ppm, latitude_deg, grid_m, blend_m=5000.0, lapse_rate=STANDARD_LAPSE_RATE
):
    """Assemble the night's column on ``grid_m`` (see the module docstring).

    Parameters
    ----------
    column : Column
        Night-averaged meteorological levels above ground, increasing altitude.
    reference : ReferenceModel
        The selected reference atmosphere (must reach the top of ``grid_m``).
    co2_ppm : float
        CO₂ mole fraction [ppm] (12-MACOBAC).
    latitude_deg : float
        Site latitude (for gravity in the extrapolation below the data).
    grid_m : ndarray
        Increasing working altitudes [m] (see :func:`working_grid`).
    blend_m : float
        e-folding length [m] of the join to the reference model.

    Returns
    -------
    Model
    """
    z = np.asarray(grid_m, dtype=float)
    z_bottom, z_top = column.altitude_m[0], column.altitude_m[-1]
    below, above = z < z_bottom, z > z_top
    inside = ~below & ~above
    pressure = np.empty_like(z)
    temperature = np.empty_like(z)
    xw = np.empty_like(z)
    source = np.full(z.shape, SOURCE_METEO, dtype=np.int8)

    pressure[inside], temperature[inside], xw[inside] = interpolate_column(column, z[inside])
    if below.any():
        pressure[below], temperature[below], xw[below] = extrapolate_below(
            column, z[below], latitude_deg, co2_ppm, lapse_rate
        )
        source[below] = SOURCE_EXTRAPOLATED
    density = np.empty_like(z)
    density[~above] = mass_density(
        pressure[~above], temperature[~above], xw[~above], co2_ppm * 1e-6
    )
    if above.any():
        rho_top = mass_density(
            column.pressure_pa[-1],
            column.temperature_k[-1],
            column.water_mole_fraction[-1],
            co2_ppm * 1e-6,
        )
        density[above], temperature[above], xw[above] = reference_above(
            reference, z[above], z_top, rho_top, column.temperature_k[-1], blend_m
        )
        pressure[above] = pressure_from_density(
            density[above], temperature[above], xw[above], co2_ppm
        )
        source[above] = SOURCE_REFERENCE
    # remainder above the grid: the reference thickness there, scaled like the density
    top = z[-1]
    scale_top = density[-1] / np.exp(
        np.interp(top, reference.altitude_m, np.log(reference.density_kg_m3))
    )
    above_top = scale_top * np.exp(
        np.interp(top, reference.altitude_m, np.log(reference.thickness_kg_m2))
    )
    thickness = integral_from_top(z, density, above_top)
    return Model(
        altitude_m=z,
        pressure_pa=pressure,
        temperature_k=temperature,
        water_mole_fraction=xw,
        density_kg_m3=density,
        number_density_m3=number_density(pressure, temperature, xw),
        thickness_kg_m2=thickness,
        source=source,
        data_bottom_m=float(z_bottom),
        data_top_m=float(z_top),
    )


def sample(model, altitudes_m):
    """The model at ``altitudes_m`` (log-linear in ρ, X, p; linear in T and x_w)."""
    z = model.altitude_m
    a = np.asarray(altitudes_m, dtype=float)

    def loglin(values):
        return np.exp(np.interp(a, z, np.log(values)))

    return {
        "altitude_m": a,
        "pressure_pa": loglin(model.pressure_pa),
        "temperature_k": np.interp(a, z, model.temperature_k),
        "water_mole_fraction": np.interp(a, z, model.water_mole_fraction),
        "density_kg_m3": loglin(model.density_kg_m3),
        "thickness_kg_m2": loglin(model.thickness_kg_m2),
    }
