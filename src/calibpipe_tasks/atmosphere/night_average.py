"""Night averages of meteorological profiles on isobaric levels.

Reanalyses (ERA5, GDAS) give each quantity on fixed pressure levels; the
night's profile is the mean over all times and grid points of each level (as
CTAO's ``molecularprofiles`` does: group by pressure, then average), together
with the standard deviation of each quantity per level.
"""

import numpy as np


def level_statistics(pressure, columns):
    """Mean and population standard deviation of ``columns`` per pressure level.

    Parameters
    ----------
    pressure : ndarray, shape (n_row,)
        Isobaric level of each row (any unit).
    columns : dict of str -> ndarray, shape (n_row,)
        Quantities to average.

    Returns
    -------
    levels : ndarray
        The distinct pressure levels, in decreasing order (increasing altitude).
    mean, std : dict of str -> ndarray
        Per-level mean and standard deviation of every column.
    count : ndarray of int
        Number of rows per level.
    """
    levels, inverse = np.unique(np.asarray(pressure, dtype=float), return_inverse=True)
    count = np.bincount(inverse, minlength=levels.size)
    mean, std = {}, {}
    for name, values in columns.items():
        values = np.asarray(values, dtype=float)
        m = np.bincount(inverse, weights=values, minlength=levels.size) / count
        var = np.bincount(inverse, weights=(values - m[inverse]) ** 2, minlength=levels.size)
        mean[name] = m[::-1]
        std[name] = np.sqrt(var / count)[::-1]
    return levels[::-1], mean, std, count[::-1]
