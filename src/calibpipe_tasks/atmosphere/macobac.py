"""12-MACOBAC: the 12-month average CO2 background concentration.

CTAO's CalibPipe uses the mean of the last twelve valid monthly values of the
Scripps Mauna Loa in-situ record (column 5, ppm) as the CO2 concentration of
the atmosphere for the refractive index (Ciddor 1996) and Rayleigh scattering
(Tomasi et al. 2005) calculations (use case UC-120-1.2).
"""

import numpy as np

N_MONTHS = 12


def month_index(year, month):
    """Months since year 0 (``year * 12 + month - 1``): a sortable month number."""
    return np.asarray(year) * 12 + np.asarray(month) - 1


def twelve_month_average(year, month, co2_ppm, until_month_index=None, n_months=N_MONTHS):
    """Mean CO2 of the last ``n_months`` valid monthly values.

    Parameters
    ----------
    year, month : array of int
        Calendar month of each value.
    co2_ppm : array of float
        Monthly mean CO2 mole fraction [ppm]; NaN marks a missing month.
    until_month_index : int, optional
        Use only months with ``month_index(year, month) <= until_month_index``.
    n_months : int
        How many valid months to average (12 for 12-MACOBAC).

    Returns
    -------
    mean : float
        The average [ppm].
    used : ndarray of int
        Indices (into the input arrays) of the months averaged, oldest first.

    Raises
    ------
    ValueError
        If fewer than ``n_months`` valid months are available.
    """
    index = month_index(year, month)
    valid = np.isfinite(co2_ppm)
    if until_month_index is not None:
        valid &= index <= until_month_index
    candidates = np.flatnonzero(valid)
    if candidates.size < n_months:
        raise ValueError(f"only {candidates.size} valid months available, {n_months} needed")
    order = np.argsort(index[candidates], kind="stable")
    used = candidates[order][-n_months:]
    return float(np.mean(co2_ppm[used])), used
