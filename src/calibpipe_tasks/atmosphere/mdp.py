"""Molecular density profile (MDP) of a night: number density on a fixed altitude grid.

Each meteorological profile (one time, one grid point) gives the number density
N = p / (Z k T) of moist air (:mod:`.air_density`) on its isobaric levels. Every
profile is interpolated linearly in ln N versus geometric altitude onto the
common grid (the interpolation CORSIKA and CTAO's ``molecularprofiles`` use for
density), extrapolated the same way from its two lowest levels where the ground
lies below its lowest level; the MDP is the mean over profiles per grid level,
with the standard deviation as the night's spread.
"""

import numpy as np


def mdp_grid(ground_m, top_m, step_m):
    """The grid: the ground altitude, then every multiple of ``step_m`` above it up to ``top_m``."""
    first = np.floor(ground_m / step_m) * step_m + step_m
    if first - ground_m < 1.0:
        first += step_m
    rest = np.arange(first, top_m + 1e-6, step_m)
    return np.concatenate([[ground_m], rest])


def profiles_on_grid(altitude_m, log_values, grid_m):
    """Interpolate many profiles at once, linearly in ``log_values`` versus altitude.

    Parameters
    ----------
    altitude_m : ndarray, shape (n_profile, n_level)
        Increasing altitudes of each profile; NaN marks levels not used (only at
        the start of a profile, e.g. levels below ground).
    log_values : ndarray, shape (n_profile, n_level)
        The quantity to interpolate (e.g. ln N).
    grid_m : ndarray, shape (n_grid,)
        Target altitudes; below a profile's lowest valid level the lowest two
        valid levels are extrapolated, above its top the top two.

    Returns
    -------
    ndarray, shape (n_profile, n_grid)
    """
    z = np.asarray(altitude_m, dtype=float)
    v = np.asarray(log_values, dtype=float)
    n_level = z.shape[1]
    valid = np.isfinite(z)
    first = np.argmax(valid, axis=1)
    below_or_at = np.where(valid, z, -np.inf)[:, :, None] <= grid_m[None, None, :]
    index = below_or_at.sum(axis=1) - 1
    index = np.clip(index, first[:, None], n_level - 2)
    z0 = np.take_along_axis(z, index, axis=1)
    z1 = np.take_along_axis(z, index + 1, axis=1)
    v0 = np.take_along_axis(v, index, axis=1)
    v1 = np.take_along_axis(v, index + 1, axis=1)
    return v0 + (grid_m[None, :] - z0) * (v1 - v0) / (z1 - z0)


def molecular_density_profile(altitude_m, number_density, grid_m):
    """Mean and standard deviation over profiles of N on ``grid_m``.

    Parameters
    ----------
    altitude_m, number_density : ndarray, shape (n_profile, n_level)
        Profiles (NaN altitude = level not used).
    grid_m : ndarray
        Grid altitudes [m].

    Returns
    -------
    mean, std : ndarray, shape (n_grid,)
        Same unit as ``number_density``.
    extrapolated : ndarray of bool, shape (n_grid,)
        True where some profile had to be extrapolated below its lowest level.
    """
    log_n = np.log(np.where(np.isfinite(altitude_m), number_density, 1.0))
    on_grid = np.exp(profiles_on_grid(altitude_m, log_n, grid_m))
    lowest = np.nanmin(altitude_m, axis=1)
    extrapolated = grid_m < lowest.max()
    return on_grid.mean(axis=0), on_grid.std(axis=0), extrapolated
