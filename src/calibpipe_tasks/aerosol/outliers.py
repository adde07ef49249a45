"""Rejection of isolated outliers that keeps sustained excursions.

A FRAM measurement can be spoiled alone (a satellite trail, a cosmic ray, a
star blended or mis-identified): that value is far from the rest of the night
while the measurements around it in time are normal. A cloud or a passing
aerosol layer instead moves every measurement taken while it is there. A
plain sigma clipping around the night's mean would remove the cloud too and
hide it; this rule removes only isolated deviations:

* the residual of measurement i is ``r_i = (x_i - median(x)) / sigma_i``
  (median of the night's measurements passing the cuts, sigma_i the reported error);
* i is a *candidate* if ``|r_i| > outlier_sigma`` (default 5);
* a candidate is *supported* if, of the other measurements within ``+-window``
  seconds (default 600 s), at least ``max(min_support, support_fraction * n)``
  (defaults 2 and 0.2; n the number of those neighbours) deviate to the same
  side by more than ``neighbour_sigma`` (default 3): a cloud moves the other
  stars of the same image and the images before and after it, while two
  glitches rarely fall near each other (one image alone deviating, all its
  stars together, is not supported: one image cannot tell a cloud from a bad
  image; two consecutive images are);
* an unsupported candidate is *rejected* (isolated); a supported one is *kept*
  and counted as part of an *excursion* - evidence of variable conditions used
  by the verdict.

The rule is the Hampel-style identifier of Hampel (1974, JASA 69, 383) with the
reported errors as scale and a neighbourhood in time instead of in index.
Vectorised over nights: arrays of shape ``(n_nights, n_max)`` with a mask.
"""

import numpy as np

#: offset between nights in the flattened time axis [s]; nights must span less than half of it
_NIGHT_STRIDE_S = 1.0e7


def _window_counts(times, flags, mask, window_s):
    """Per measurement, how many flagged measurements of the same night lie within +-window_s."""
    n_nights, n_max = times.shape
    big = _NIGHT_STRIDE_S
    rows = np.arange(n_nights, dtype=float)[:, None] * big
    local = np.where(mask, times - np.min(np.where(mask, times, np.inf), axis=1, keepdims=True), 0)
    local = np.where(mask, local, 0.75 * big)  # padding lies out of every window
    key = (local + rows).ravel()
    order = np.argsort(key, kind="stable")
    sorted_key = key[order]
    sorted_flag = np.asarray(flags & mask, dtype=np.int64).ravel()[order]
    cumulative = np.concatenate(([0], np.cumsum(sorted_flag)))
    lo = np.searchsorted(sorted_key, sorted_key - window_s, side="left")
    hi = np.searchsorted(sorted_key, sorted_key + window_s, side="right")
    counts_sorted = cumulative[hi] - cumulative[lo]
    counts = np.empty_like(counts_sorted)
    counts[order] = counts_sorted
    return counts.reshape(n_nights, n_max)


def masked_median(values, mask):
    """Median along the last axis of the masked values (0 where a row has none)."""
    filled = np.where(mask, values, np.nan)
    has = np.any(mask, axis=-1)
    safe = np.where(has[..., None], filled, 0.0)
    return np.where(has, np.nanmedian(safe, axis=-1), 0.0)


def isolated_outliers(
    times_s,
    values,
    errors,
    mask,
    outlier_sigma=5.0,
    neighbour_sigma=3.0,
    window_s=600.0,
    min_support=2,
    support_fraction=0.2,
):
    """Flag isolated outliers (rejected) and measurements of sustained excursions (kept).

    Parameters
    ----------
    times_s : ndarray, shape (n_nights, n_max)
        Measurement times [s] (any origin per night).
    values, errors : ndarray, shape (n_nights, n_max)
        VAOD and its error (> 0 where ``mask``).
    mask : ndarray of bool, shape (n_nights, n_max)
        True for measurements that passed the cuts.
    outlier_sigma, neighbour_sigma : float
        Candidate threshold and neighbour threshold in units of the error.
    window_s : float
        Half-width of the neighbourhood in time [s].
    min_support, support_fraction : int, float
        Deviating neighbours needed to support a candidate: at least ``min_support``
        and at least ``support_fraction`` of the neighbours.

    Returns
    -------
    rejected, excursion : ndarray of bool, shape (n_nights, n_max)
        Isolated outliers to drop, and kept measurements beyond ``outlier_sigma``.
    """
    times_s = np.atleast_2d(np.asarray(times_s, dtype=float))
    values = np.atleast_2d(np.asarray(values, dtype=float))
    errors = np.atleast_2d(np.asarray(errors, dtype=float))
    mask = np.atleast_2d(np.asarray(mask, dtype=bool))
    median = masked_median(values, mask)
    safe_err = np.where(mask, errors, 1.0)
    r = np.where(mask, (values - median[:, None]) / safe_err, 0.0)
    high = mask & (r > neighbour_sigma)
    low = mask & (r < -neighbour_sigma)
    n_high = _window_counts(times_s, high, mask, window_s) - high
    n_low = _window_counts(times_s, low, mask, window_s) - low
    n_neighbours = _window_counts(times_s, mask, mask, window_s) - mask
    need = np.maximum(min_support, np.ceil(support_fraction * n_neighbours))
    candidate = mask & (np.abs(r) > outlier_sigma)
    supported = np.where(r > 0, n_high >= need, n_low >= need)
    rejected = candidate & ~supported
    excursion = candidate & supported
    return rejected, excursion
