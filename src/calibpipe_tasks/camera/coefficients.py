"""Camera calibration coefficients from pedestal and flat-field statistics.

The coefficients are those ctapipe's ``CameraCalibrator`` applies
(``waveform -= pedestal_offset``; ``image *= factor``;
``peak_time -= time_shift``):

* ``pedestal_offset = <Q_ped> / W``: the mean sky-pedestal charge per sample of
  the extraction window of ``W`` samples (the mean, not the median: with night-sky
  background the charge distribution is skewed);
* ``factor = median_camera(n_pe) / S``: converts a charge to photo-electrons and
  flat-fields the camera (every pixel gives the camera median number of
  photo-electrons for the flat-field pulse), ``n_pe`` and ``S`` from the F-factor
  method (:mod:`.ffactor`);
* ``time_shift = t_FF - median_camera(t_FF)`` from the mean flat-field peak time,
  corrected for the pedestal charge inside a fixed window
  (:func:`baseline_corrected_peak_time`) when the window's position is known.

Each comes with its uncertainty (first-order propagation; the camera-median
terms add ``1.2533 * sqrt(median(err^2) / n_good)``). Flagged pixels
(:mod:`.outliers`) get the camera median of the good pixels as fill value, and
as uncertainty the robust spread of the coefficient over the camera: never NaN,
never a negative factor. A chunk is valid when the fraction of flagged pixels
(excluding a channel missing from gain-selected data) is at most
``max_flagged_fraction``.
"""

import numpy as np

from .ffactor import ffactor_gain, unbiased_variance
from .outliers import REASONS, flag_outliers, masked_median, robust_std

#: standard error of a median relative to that of a mean (Gaussian), sqrt(pi / 2)
MEDIAN_EFFICIENCY = 1.2533141373155003


def window_centre(window_start, window_width, n_samples, sampling_rate_ghz):
    """Centroid [ns] of a fixed extraction window of samples ``[start, start + width)``.

    The window is clipped to the readout as ctapipe's ``extract_around_peak`` does
    (``start = max(0, peak_index - window_shift)``, ``end = min(start + width, n_samples)``);
    the centroid of a constant over it is the mean sample index over the sampling rate.
    """
    start = max(0, int(window_start))
    end = min(int(window_start) + int(window_width), int(n_samples))
    return 0.5 * (start + end - 1) / float(sampling_rate_ghz)


def baseline_corrected_peak_time(peak_time, charge, pedestal_charge, centre):
    """Peak time of the pulse alone, from a fixed-window peak time that includes the pedestal.

    ctapipe's ``FixedWindowSum`` (``extract_around_peak``) gives as peak time the
    charge-weighted mean sample index of the **whole** window, pedestal included
    (baseline and night-sky background, every positive sample). With a pedestal
    charge ``P`` spread evenly over the window (centroid ``c``) and a pulse of charge
    ``S = Q - P`` at time ``t``, the extracted time is ``(P c + S t) / Q``: pulled
    towards the window centre by the factor ``S / Q`` (0.2 for 80 p.e. on a 400 ADC
    per sample baseline over 8 samples), which shrinks every pixel's time offset by
    that factor. Inverting it:

        t = c + (t_extracted - c) * Q / (Q - P)

    Parameters
    ----------
    peak_time : ndarray
        Mean extracted peak time [ns] (e.g. of the flat-field events).
    charge, pedestal_charge : ndarray
        Mean extracted charge of the same events and of pedestal events (same window).
    centre : float
        Centroid of the window [ns] (:func:`window_centre`).

    Returns
    -------
    corrected : ndarray
        The pulse's peak time; where ``Q - P <= 0`` (a dead pixel) the input.
    scale : ndarray
        ``Q / (Q - P)`` (1 there): the factor by which the corrected time's errors grow.
    """
    charge = np.asarray(charge, dtype=float)
    signal = charge - np.asarray(pedestal_charge, dtype=float)
    ok = np.isfinite(signal) & (signal > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = np.where(ok, charge / signal, 1.0)
    corrected = centre + (np.asarray(peak_time, dtype=float) - centre) * scale
    return corrected, scale


class AllPixelsFlagged(ValueError):
    """Every pixel of a chunk and channel is flagged: no camera median exists."""


def compute_coefficients(
    pedestal,
    flatfield,
    peak_time,
    window_width,
    f_squared,
    jitter=0.0,
    max_flagged_fraction=0.1,
    missing_channels=(),
    f_squared_err=0.0,
    window_centre=None,
    **thresholds,
):
    """Coefficients per chunk, channel and pixel.

    Parameters
    ----------
    pedestal, flatfield, peak_time : dict of ndarray
        Statistics matched chunk by chunk: ``mean``, ``std``, ``n_events`` and
        ``outlier_mask`` of shape ``(n_chunks, n_channels, n_pixels)`` (charges
        in the extractor's unit, peak times in ns).
    window_width : int
        Samples of the extraction window of both pedestal and flat-field charges.
    f_squared : float or ndarray
        Excess noise factor, for the camera or per pixel (shape broadcasting to
        ``(n_channels, n_pixels)``).
    jitter : float
        Relative pulse-to-pulse jitter ``B`` of the flat-field light source.
    max_flagged_fraction : float
        A chunk with a larger fraction of flagged pixels is not valid.
    missing_channels : sequence of int
        Channels that gain-selected data do not have: marked (``outlier_mask``,
        reason ``missing_channel``, coefficients 0), not computed.
    f_squared_err : float or ndarray
        Uncertainty of ``f_squared`` (e.g. of a single-p.e. fit per pixel), added in
        quadrature to the relative errors of gain and n_pe (``g`` and ``n_pe`` scale as
        ``1/F^2`` and ``F^2``), hence to the camera median of n_pe in ``factor_err``.
    window_centre : float, optional
        Centroid [ns] of the fixed extraction window of the flat-field peak times
        (:func:`window_centre`); when given, the peak times are corrected for the
        pedestal charge inside the window (:func:`baseline_corrected_peak_time`)
        before ``time_shift`` is formed.
    **thresholds
        Passed to :func:`.outliers.flag_outliers`.

    Returns
    -------
    dict of ndarray
        ``factor, factor_err, pedestal_offset, pedestal_offset_err, time_shift,
        time_shift_err, gain, gain_err, n_pe, n_pe_err, pedestal_noise_pe,
        pedestal_noise_pe_err, outlier_mask, outlier_reason`` of shape
        ``(n_chunks, n_channels, n_pixels)``;
        ``n_events`` (flat-field events per pixel, same shape); per chunk
        ``flagged_fraction`` and ``is_valid``; per chunk and channel
        ``median_n_pe`` and ``median_gain``.

    Raises
    ------
    AllPixelsFlagged
        If a chunk and channel have no good pixel.
    """
    var_ped = unbiased_variance(pedestal["std"], pedestal["n_events"])
    var_ff = unbiased_variance(flatfield["std"], flatfield["n_events"])
    stats = ffactor_gain(
        pedestal["mean"],
        var_ped,
        pedestal["n_events"],
        flatfield["mean"],
        var_ff,
        flatfield["n_events"],
        f_squared,
        jitter,
    )
    rel_f2 = np.asarray(f_squared_err, dtype=float) / np.asarray(f_squared, dtype=float)
    if np.any(rel_f2 > 0):
        stats["n_pe_err"] = np.hypot(stats["n_pe_err"], stats["n_pe"] * rel_f2)
        stats["gain_err"] = np.hypot(stats["gain_err"], stats["gain"] * rel_f2)
    input_mask = (
        np.asarray(pedestal["outlier_mask"], bool)
        | np.asarray(flatfield["outlier_mask"], bool)
        | np.asarray(peak_time["outlier_mask"], bool)
    )
    t_mean = np.asarray(peak_time["mean"], dtype=float)
    t_scale = 1.0
    if window_centre is not None:
        t_mean, t_scale = baseline_corrected_peak_time(
            t_mean, flatfield["mean"], pedestal["mean"], window_centre
        )
    reason = flag_outliers(
        stats,
        np.asarray(pedestal["std"], float),
        np.asarray(flatfield["std"], float),
        t_mean,
        input_mask,
        **thresholds,
    )
    missing = np.zeros(reason.shape[1], dtype=bool)
    missing[list(missing_channels)] = True
    reason[:, missing, :] = REASONS["missing_channel"]
    good = reason == 0
    present = ~missing
    n_good = good.sum(axis=-1)
    if np.any(n_good[:, present] == 0):
        chunk, channel = np.argwhere(n_good[:, present] == 0)[0]
        raise AllPixelsFlagged(
            f"every pixel is flagged in chunk {chunk}, channel {np.flatnonzero(present)[channel]}"
        )

    with np.errstate(divide="ignore", invalid="ignore"):
        n_pe, n_pe_err = stats["n_pe"], stats["n_pe_err"]
        median_npe = masked_median(n_pe, good)
        median_npe_err = MEDIAN_EFFICIENCY * np.sqrt(masked_median(n_pe_err**2, good) / n_good)
        signal, signal_err = stats["signal"], stats["signal_err"]
        factor = median_npe[..., None] / signal
        factor_err = factor * np.sqrt(
            (signal_err / signal) ** 2 + (median_npe_err / median_npe)[..., None] ** 2
        )
        ped_mean = np.asarray(pedestal["mean"], float)
        pedestal_offset = ped_mean / window_width
        pedestal_offset_err = np.sqrt(var_ped / np.asarray(pedestal["n_events"])) / window_width
        t_err2 = (
            unbiased_variance(peak_time["std"], peak_time["n_events"])
            / np.asarray(peak_time["n_events"], float)
            * t_scale**2
        )
        median_t = masked_median(t_mean, good)
        median_t_err2 = MEDIAN_EFFICIENCY**2 * masked_median(t_err2, good) / n_good
        time_shift = t_mean - median_t[..., None]
        time_shift_err = np.sqrt(t_err2 + median_t_err2[..., None])

    result = {
        "factor": factor,
        "factor_err": factor_err,
        "pedestal_offset": pedestal_offset,
        "pedestal_offset_err": pedestal_offset_err,
        "time_shift": time_shift,
        "time_shift_err": time_shift_err,
        "gain": stats["gain"],
        "gain_err": stats["gain_err"],
        "n_pe": n_pe,
        "n_pe_err": n_pe_err,
        # sky-pedestal noise of the window in p.e. (e.g. the pixel noise of the muon fit)
        "pedestal_noise_pe": np.sqrt(var_ped) * factor,
        "pedestal_noise_pe_err": np.sqrt(var_ped) * factor_err,
    }
    for name in ("factor", "pedestal_offset", "time_shift", "gain", "n_pe", "pedestal_noise_pe"):
        value, error = result[name], result[f"{name}_err"]
        fill = masked_median(value, good)[..., None]
        spread = robust_std(value, good)[..., None]
        result[name] = np.where(good, value, fill)
        result[f"{name}_err"] = np.where(good, error, spread)
    for name in result:
        result[name][:, missing, :] = 0.0
    result["n_events"] = np.asarray(flatfield["n_events"]).astype(np.int64)
    result["outlier_mask"] = ~good
    result["outlier_reason"] = reason
    counted = (~good)[:, present, :]
    result["flagged_fraction"] = counted.reshape(len(counted), -1).mean(axis=-1)
    result["is_valid"] = result["flagged_fraction"] <= max_flagged_fraction
    result["median_n_pe"] = np.where(present, median_npe, 0.0)
    result["median_gain"] = np.where(present, masked_median(stats["gain"], good), 0.0)
    return result
