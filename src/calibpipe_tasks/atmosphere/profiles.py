"""Split a normalised meteorological table's rows into profiles (one per time and grid point).

Pure array code: rows are grouped by (time, latitude, longitude), sorted by
altitude within each profile and packed into (n_profile, n_level) arrays padded
with NaN at the bottom, where levels below the site's ground have been dropped
(reanalyses extrapolate isobaric levels below the orography; they are not air
above the site).
"""

import numpy as np


def pack_profiles(time_key, latitude, longitude, altitude_m, columns, ground_m):
    """Pack rows into padded 2-D profile arrays.

    Parameters
    ----------
    time_key : ndarray, shape (n_row,)
        A sortable key of the time (e.g. MJD or ISO strings).
    latitude, longitude, altitude_m : ndarray, shape (n_row,)
    columns : dict of str -> ndarray, shape (n_row,)
        Further quantities to pack the same way.
    ground_m : float
        Levels strictly below this altitude are dropped.

    Returns
    -------
    altitude : ndarray, shape (n_profile, n_level)
        Increasing along axis 1, NaN-padded at the start.
    packed : dict of str -> ndarray, shape (n_profile, n_level)
    n_dropped : int
        Number of rows below ground.
    counts : ndarray of int, shape (n_profile,)
        Levels kept per profile.
    """
    altitude_m = np.asarray(altitude_m, dtype=float)
    _, profile = np.unique(
        np.rec.fromarrays([np.asarray(time_key), np.asarray(latitude), np.asarray(longitude)]),
        return_inverse=True,
    )
    profile = profile.ravel()
    keep = altitude_m >= ground_m
    n_dropped = int((~keep).sum())
    order = np.lexsort((altitude_m, profile))
    order = order[keep[order]]
    prof = profile[order]
    n_profile = int(profile.max()) + 1
    counts = np.bincount(prof, minlength=n_profile)
    n_level = int(counts.max()) if counts.size else 0
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    position = np.arange(order.size) - starts[prof] + (n_level - counts[prof])
    out_alt = np.full((n_profile, n_level), np.nan)
    out_alt[prof, position] = altitude_m[order]
    packed = {}
    for name, values in columns.items():
        arr = np.full((n_profile, n_level), np.nan)
        arr[prof, position] = np.asarray(values, dtype=float)[order]
        packed[name] = arr
    return out_alt, packed, n_dropped, counts
