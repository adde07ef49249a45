"""Outlier pixels of a camera calibration, with the reason each one is flagged.

A pixel is flagged (a bit of :data:`REASONS` set) when

* ``input``: ctapipe's outlier detectors flagged it in one of the statistics;
* ``non_finite``: one of its statistics is NaN or infinite;
* ``dead``: its flat-field signal is below ``dead_fraction`` times the camera
  median, or its pedestal or flat-field charge does not fluctuate at all;
* ``hot``: its pedestal standard deviation exceeds the camera median by more than
  ``n_sigma`` robust standard deviations of the camera (a star, a noisy channel);
* ``gain``: its F-factor gain is not positive, or off the camera median by more
  than the relative ``gain_tolerance`` and by more than ``n_sigma`` times its
  statistical error;
* ``n_pe``: its number of photo-electrons is off the camera median by more than
  ``n_sigma`` times its expected spread: the statistical error of the pixel
  (Poisson, ``F^2`` and light-source jitter, with the pixel's number of events;
  :func:`..ffactor.ffactor_gain`) added in quadrature to the intrinsic
  pixel-to-pixel spread of the illumination times quantum efficiency, measured
  robustly over the camera (median absolute deviation, minus the statistical
  part);
* ``time``: its flat-field peak time is off the camera median by more than
  ``max_time_shift``;
* ``missing_channel``: gain-selected input has no statistics for the channel.

The tests run in this order, each on the pixels not yet flagged (so a pixel has
the first reason that applies, ``input`` and ``non_finite`` aside); camera
medians and spreads are computed over those pixels, per chunk and gain channel.
The robust standard deviation is ``1.4826 * MAD``.
"""

import warnings

import numpy as np

#: reason -> bit of the ``outlier_reason`` column
REASONS = {
    "input": 1,
    "non_finite": 2,
    "dead": 4,
    "hot": 8,
    "gain": 16,
    "n_pe": 32,
    "time": 64,
    "missing_channel": 128,
}
MAD_TO_SIGMA = 1.482602218505602


def masked_median(values, good):
    """Median over the last axis of ``values`` where ``good``; NaN where none is good."""
    data = np.where(good, values, np.nan)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN slices
        return np.nanmedian(data, axis=-1)


def robust_std(values, good):
    """``1.4826 * MAD`` over the last axis where ``good`` (NaN where none is good)."""
    median = masked_median(values, good)
    return MAD_TO_SIGMA * masked_median(np.abs(values - median[..., None]), good)


def describe_reasons(bits):
    """Comma-separated reason names of one ``outlier_reason`` value (``""`` for none)."""
    bits = int(bits)
    return ",".join(name for name, bit in REASONS.items() if bits & bit)


def flag_outliers(
    stats,
    ped_std,
    ff_std,
    peak_time,
    input_mask,
    dead_fraction=0.2,
    hot_n_sigma=5.0,
    gain_tolerance=0.5,
    n_pe_n_sigma=5.0,
    max_time_shift=5.0,
):
    """The reason bits of every pixel (0: good).

    Parameters
    ----------
    stats : dict of ndarray
        Output of :func:`..ffactor.ffactor_gain`, arrays of shape
        ``(..., n_pixels)``; camera medians are over the last axis.
    ped_std, ff_std : ndarray
        Standard deviations of the pedestal and flat-field charges.
    peak_time : ndarray
        Mean flat-field peak time [ns].
    input_mask : ndarray of bool
        Outliers of ctapipe's detectors (any of the three statistics).
    dead_fraction, hot_n_sigma, gain_tolerance, n_pe_n_sigma, max_time_shift : float
        Thresholds, see the module description (``max_time_shift`` in ns).

    Returns
    -------
    ndarray of uint16
        Sum of the :data:`REASONS` bits of each pixel.
    """
    signal = stats["signal"]
    reason = np.zeros(signal.shape, dtype=np.uint16)
    reason |= np.where(input_mask, REASONS["input"], 0).astype(np.uint16)
    finite = np.isfinite(signal) & np.isfinite(ped_std) & np.isfinite(ff_std)
    finite &= np.isfinite(peak_time)
    reason |= np.where(~finite, REASONS["non_finite"], 0).astype(np.uint16)

    base = reason == 0
    median_signal = masked_median(signal, base)[..., None]
    with np.errstate(invalid="ignore"):
        dead = ~(signal > dead_fraction * median_signal) | ~(ped_std > 0) | ~(ff_std > 0)
    reason |= np.where(finite & dead, REASONS["dead"], 0).astype(np.uint16)

    base = reason == 0
    median_ped = masked_median(ped_std, base)[..., None]
    spread_ped = robust_std(ped_std, base)[..., None]
    with np.errstate(invalid="ignore"):
        hot = ped_std > median_ped + hot_n_sigma * spread_ped
    reason |= np.where(base & hot, REASONS["hot"], 0).astype(np.uint16)

    base = reason == 0
    gain = stats["gain"]
    median_gain = masked_median(gain, base)[..., None]
    with np.errstate(invalid="ignore", divide="ignore"):
        off = np.abs(gain - median_gain)
        # off by more than the tolerance, and by more than the pixel's own statistical error
        bad_gain = ~(gain > 0) | ~(
            (off <= gain_tolerance * median_gain) | (off <= n_pe_n_sigma * stats["gain_err"])
        )
    reason |= np.where(base & bad_gain, REASONS["gain"], 0).astype(np.uint16)

    base = reason == 0
    n_pe, n_pe_err = stats["n_pe"], stats["n_pe_err"]
    median_npe = masked_median(n_pe, base)[..., None]
    intrinsic = intrinsic_spread(n_pe, n_pe_err, base)[..., None]
    with np.errstate(invalid="ignore"):
        allowed = n_pe_n_sigma * np.sqrt(n_pe_err**2 + intrinsic**2)
        bad_npe = ~(np.abs(n_pe - median_npe) <= allowed)
    reason |= np.where(base & bad_npe, REASONS["n_pe"], 0).astype(np.uint16)

    base = reason == 0
    median_time = masked_median(peak_time, base)[..., None]
    with np.errstate(invalid="ignore"):
        bad_time = ~(np.abs(peak_time - median_time) <= max_time_shift)
    reason |= np.where(base & bad_time, REASONS["time"], 0).astype(np.uint16)
    return reason


def intrinsic_spread(values, errors, good):
    """Pixel-to-pixel spread of ``values`` beyond their statistical ``errors``.

    ``sqrt(max(0, robust_std(values)^2 - median(errors^2)))`` over the last axis
    where ``good``.
    """
    total = robust_std(values, good)
    statistical = masked_median(errors**2, good)
    with np.errstate(invalid="ignore"):
        return np.sqrt(np.clip(total**2 - statistical, 0.0, None))
