"""Checks of camera calibration coefficients against the calibration events they are for.

Pure computation (numpy in, numpy out), independent of how the coefficients were
made. The coefficients are applied as ctapipe's ``CameraCalibrator`` applies them
to a ``FixedWindowSum`` charge without integration correction
(``waveform -= pedestal_offset`` per sample before the window sum, then
``image *= factor``), i.e. on an extracted charge ``Q`` of a window of ``W``
samples:

    q = (Q - W * pedestal_offset) * factor          [p.e.]

each event with the row valid at its time: the last row whose validity start is
not after the event (ctapipe's ``HDF5MonitoringSource``:
``searchsorted(time, t, side="right") - 1``). Then:

* :func:`pedestal_closure` - sky-pedestal events calibrate to 0 p.e. in every
  good pixel, within the statistical error of the pixel's mean and of its
  ``pedestal_offset`` (chi^2 / ndf over the pixels, and the camera mean's pull);
* :func:`flatfield_flatness` - flat-field events calibrate to a flat image: each
  good pixel's mean (after subtracting each event's camera mean, which removes the
  light source's pulse-to-pulse jitter common to all pixels) agrees with the camera
  mean within its expected spread from the data: the event-to-event spread of the
  pixel over ``sqrt(N)`` and the statistical error of its factor made from
  ``n_events`` flat-field events (chi^2 / ndf with ``ndf = n_good - 1``);
* :func:`flatfield_scale` - the calibrated flat-field camera mean equals the
  camera median of the coefficients' own ``n_pe`` (the photo-electrons the factors
  are made to give): a factor scaled by a common number keeps the image flat but
  fails here; and :func:`photon_statistics_ratio` - the same scale from photon
  statistics alone (F-factor relation ``Var - Var_ped = F^2 mu + B^2 mu^2`` in p.e.,
  Bencheikh et al. 1992): ``(Var_ff - Var_ped - B^2 mu^2) / (F^2 mu)`` is 1 for a
  right factor and ``k`` for factors ``k`` times too large;
* :func:`coefficient_sanity` - every coefficient finite, factors positive, flagged
  pixels holding the fill value (camera median of the good pixels of their row and
  channel);
* :func:`validity_start_offsets` - each row's validity start is its chunk's first
  event (not its last): row 0 the first event of all, row ``k`` the first
  flat-field event after the previous row's ``time_end`` (the flat-field chunks
  define the rows); events before the first row are reported as not covered.
"""

import numpy as np

#: fill-value comparison tolerance (relative) for flagged pixels
FILL_RTOL = 1e-9


def row_index(event_times, row_starts):
    """Row valid at each event time, -1 before the first row (ctapipe's lookup).

    Parameters
    ----------
    event_times : ndarray
        Event times (any common numeric time, e.g. TAI MJD).
    row_starts : ndarray
        Validity starts of the rows, increasing.
    """
    return (
        np.searchsorted(np.asarray(row_starts, float), np.asarray(event_times, float), "right") - 1
    )


def apply_coefficients(charge, pedestal_offset, factor, window_width):
    """Calibrated charge ``(Q - W * pedestal_offset) * factor`` (CameraCalibrator, FixedWindowSum).

    Parameters
    ----------
    charge : ndarray, shape (n_events, n_channels, n_pixels)
        Extracted window sums.
    pedestal_offset, factor : ndarray, shape (n_events, n_channels, n_pixels)
        The coefficients of the row valid for each event (per sample and per unit of charge).
    window_width : int
        Samples ``W`` of the window.
    """
    return (np.asarray(charge, float) - window_width * pedestal_offset) * factor


def _mean_and_error(values, mask):
    """Mean over axis 0 of the rows in ``mask`` and its standard error; n."""
    n = mask.sum()
    selected = values[mask]
    mean = selected.mean(axis=0)
    std = selected.std(axis=0, ddof=1) if n > 1 else np.full(mean.shape, np.inf)
    return mean, std / np.sqrt(n), n


def pedestal_closure(calibrated, rows, n_rows, good, offset_err_pe):
    """Pedestal events calibrated: chi^2/ndf of the pixel means against 0, camera mean pull.

    Parameters
    ----------
    calibrated : ndarray, shape (n_events, n_channels, n_pixels)
        Calibrated sky-pedestal charges [p.e.].
    rows : ndarray of int, shape (n_events,)
        Row of each event (:func:`row_index`; -1 events are left out).
    n_rows : int
    good : ndarray of bool, shape (n_rows, n_channels, n_pixels)
        Pixels to test (not flagged).
    offset_err_pe : ndarray, shape (n_rows, n_channels, n_pixels)
        Uncertainty of the pedestal subtraction in p.e., ``W * pedestal_offset_err * factor``.

    Returns
    -------
    dict of ndarray of shape (n_rows, n_channels)
        ``chi2_ndf`` (NaN for a row without events), ``camera_mean`` [p.e.],
        ``camera_pull`` (camera mean over its error), ``n_events``; and ``pixel_var``
        (n_rows, n_channels, n_pixels), the calibrated pedestal variance [p.e.^2].
    """
    n_channels = calibrated.shape[1]
    out = {k: np.full((n_rows, n_channels), np.nan) for k in ("chi2_ndf", "camera_mean")}
    out["camera_pull"] = np.full((n_rows, n_channels), np.nan)
    out["n_events"] = np.zeros(n_rows, dtype=int)
    out["pixel_var"] = np.full((n_rows,) + calibrated.shape[1:], np.nan)
    for row in range(n_rows):
        mask = rows == row
        out["n_events"][row] = mask.sum()
        if mask.sum() < 2:
            continue
        mean, err, _ = _mean_and_error(calibrated, mask)
        out["pixel_var"][row] = calibrated[mask].var(axis=0, ddof=1)
        sigma2 = err**2 + offset_err_pe[row] ** 2
        for ch in range(n_channels):
            g = good[row, ch]
            pulls2 = mean[ch, g] ** 2 / sigma2[ch, g]
            out["chi2_ndf"][row, ch] = pulls2.mean()
            out["camera_mean"][row, ch] = mean[ch, g].mean()
            out["camera_pull"][row, ch] = mean[ch, g].mean() / np.sqrt(
                sigma2[ch, g].sum() / g.sum() ** 2
            )
    return out


def flatfield_flatness(
    calibrated, rows, n_rows, good, n_coefficient_events=None, pedestal_var=None
):
    """Flat-field events calibrated: chi^2/ndf of the pixel means around the camera mean.

    Each event's camera mean (over the good pixels) is subtracted first, which
    removes the pulse-to-pulse jitter of the light source common to all pixels.
    The expected spread of a pixel's mean is taken from the data: the
    event-to-event variance ``V`` of that difference over the ``N`` events, plus,
    for the statistical error of the pixel's own factor, ``(V + V_ped) /
    N_coeff`` with ``N_coeff`` the flat-field events the coefficients were made
    from (their ``n_events``) and ``V_ped`` the calibrated pedestal variance (a
    camera-wide error of the factors, common to all pixels, does not change the
    flatness and is left out). ``ndf`` is the number of good pixels minus one.

    Parameters
    ----------
    calibrated : ndarray, shape (n_events, n_channels, n_pixels)
        Calibrated flat-field charges [p.e.].
    rows : ndarray of int, shape (n_events,)
    n_rows : int
    good : ndarray of bool, shape (n_rows, n_channels, n_pixels)
    n_coefficient_events, pedestal_var : ndarray, shape (n_rows, n_channels, n_pixels), optional
        Without them the coefficients are taken as exact.

    Returns
    -------
    dict of ndarray of shape (n_rows, n_channels)
        ``chi2_ndf``, ``camera_mean`` [p.e.], ``camera_mean_err`` [p.e.] (event-to-event
        spread of the camera mean over sqrt(N)), ``max_abs_pull`` and ``n_events``.
    """
    n_channels = calibrated.shape[1]
    keys = ("chi2_ndf", "camera_mean", "camera_mean_err", "max_abs_pull")
    out = {k: np.full((n_rows, n_channels), np.nan) for k in keys}
    out["n_events"] = np.zeros(n_rows, dtype=int)
    for row in range(n_rows):
        mask = rows == row
        n = int(mask.sum())
        out["n_events"][row] = n
        if n < 2:
            continue
        q = calibrated[mask]
        for ch in range(n_channels):
            g = good[row, ch]
            camera = q[:, ch, g].mean(axis=1)
            diff = q[:, ch, g] - camera[:, None]
            mean_diff = diff.mean(axis=0)
            var = diff.var(axis=0, ddof=1)
            sigma2 = var / n
            if n_coefficient_events is not None:
                v_ped = 0.0 if pedestal_var is None else pedestal_var[row, ch, g]
                sigma2 = sigma2 + (var + v_ped) / n_coefficient_events[row, ch, g]
            pulls = mean_diff / np.sqrt(sigma2)
            out["chi2_ndf"][row, ch] = np.sum(pulls**2) / (g.sum() - 1)
            out["max_abs_pull"][row, ch] = np.max(np.abs(pulls))
            out["camera_mean"][row, ch] = camera.mean()
            out["camera_mean_err"][row, ch] = camera.std(ddof=1) / np.sqrt(n)
    return out


def flatfield_scale(camera_mean, camera_mean_err, n_pe, n_pe_err, good):
    """Ratio of the calibrated flat-field camera mean to the coefficients' median n_pe.

    Parameters
    ----------
    camera_mean, camera_mean_err : ndarray, shape (n_rows, n_channels)
        From :func:`flatfield_flatness`.
    n_pe, n_pe_err : ndarray, shape (n_rows, n_channels, n_pixels)
        The coefficients' photo-electrons of the flat-field pulse per pixel.
    good : ndarray of bool, same shape

    Returns
    -------
    ratio, ratio_err : ndarray, shape (n_rows, n_channels)
        ``err`` from the camera mean's spread and the median's error
        ``1.2533 sqrt(median(n_pe_err^2) / n_good)``.
    """
    n_rows, n_channels = camera_mean.shape
    ratio = np.full((n_rows, n_channels), np.nan)
    err = np.full((n_rows, n_channels), np.nan)
    for row in range(n_rows):
        for ch in range(n_channels):
            g = good[row, ch]
            median = np.median(n_pe[row, ch, g])
            median_err = 1.2533141373155003 * np.sqrt(
                np.median(n_pe_err[row, ch, g] ** 2) / g.sum()
            )
            ratio[row, ch] = camera_mean[row, ch] / median
            err[row, ch] = ratio[row, ch] * np.hypot(
                camera_mean_err[row, ch] / camera_mean[row, ch], median_err / median
            )
    return ratio, err


def photon_statistics_ratio(
    ff_calibrated, ff_rows, ped_calibrated, ped_rows, n_rows, good, f_squared, jitter
):
    """The factors' scale from photon statistics: ``(Var_ff - Var_ped - B^2 mu^2) / (F^2 mu)``.

    In photo-electrons, the F-factor relation (Bencheikh et al. 1992) is
    ``Var_ff - Var_ped = F^2 mu + B^2 mu^2`` with ``mu`` the mean flat-field signal,
    ``F^2`` the excess noise factor and ``B`` the light source's relative jitter: the
    ratio is 1 for factors that convert to photo-electrons and ``k`` for factors ``k``
    times too large. Camera mean of the pixel ratios, its error from the spread of
    the pixel ratios.

    Returns
    -------
    ratio, ratio_err : ndarray, shape (n_rows, n_channels)
    """
    n_channels = ff_calibrated.shape[1]
    ratio = np.full((n_rows, n_channels), np.nan)
    err = np.full((n_rows, n_channels), np.nan)
    for row in range(n_rows):
        ff, ped = ff_calibrated[ff_rows == row], ped_calibrated[ped_rows == row]
        if len(ff) < 2 or len(ped) < 2:
            continue
        mu = ff.mean(axis=0)
        excess = ff.var(axis=0, ddof=1) - ped.var(axis=0, ddof=1) - (jitter * mu) ** 2
        with np.errstate(divide="ignore", invalid="ignore"):
            per_pixel = excess / (f_squared * mu)
        for ch in range(n_channels):
            values = per_pixel[ch, good[row, ch]]
            ratio[row, ch] = values.mean()
            err[row, ch] = values.std(ddof=1) / np.sqrt(values.size)
    return ratio, err


def coefficient_sanity(coefficients, good, present_channels):
    """Counts of bad values: non-finite coefficients, non-positive factors, wrong fill values.

    Parameters
    ----------
    coefficients : dict of ndarray, shape (n_rows, n_channels, n_pixels)
        ``factor``, ``pedestal_offset``, ``time_shift`` and any ``*_err`` columns.
    good : ndarray of bool, same shape
        Not flagged.
    present_channels : sequence of int
        Channels that the product holds (a channel missing from gain-selected
        data holds zeros and is not tested for positive factors or fill values).

    Returns
    -------
    dict
        ``non_finite`` (count over every column), ``non_positive_factor`` (finite
        factors <= 0 in the present channels), ``wrong_fill`` (flagged pixels of
        ``factor``, ``pedestal_offset``, ``time_shift`` not holding the camera median of
        the good pixels; non-finite values are counted by ``non_finite`` only), and
        ``first``: for each of the three, a description of the first bad value or None.
    """
    out = {"non_finite": 0, "non_positive_factor": 0, "wrong_fill": 0}
    first = {"non_finite": None, "non_positive_factor": None, "wrong_fill": None}
    for name, value in coefficients.items():
        bad = ~np.isfinite(value)
        if bad.any():
            out["non_finite"] += int(bad.sum())
            if first["non_finite"] is None:
                r, c, p = np.argwhere(bad)[0]
                first["non_finite"] = f"{name} not finite (row {r}, channel {c}, pixel {p})"
    present = list(present_channels)
    factor = coefficients["factor"][:, present]
    bad = np.isfinite(factor) & (factor <= 0)
    if bad.any():
        out["non_positive_factor"] = int(bad.sum())
        r, c, p = np.argwhere(bad)[0]
        first["non_positive_factor"] = (
            f"factor {factor[r, c, p]:.6g} (row {r}, channel {present[c]}, pixel {p})"
        )
    for name in ("factor", "pedestal_offset", "time_shift"):
        value = coefficients[name]
        for row in range(value.shape[0]):
            for ch in present:
                g = good[row, ch] & np.isfinite(value[row, ch])
                if not g.any():
                    continue
                fill = np.median(value[row, ch, g])
                flagged = np.flatnonzero(~good[row, ch] & np.isfinite(value[row, ch]))
                wrong = ~np.isclose(value[row, ch, flagged], fill, rtol=FILL_RTOL, atol=0)
                if wrong.any():
                    out["wrong_fill"] += int(wrong.sum())
                    if first["wrong_fill"] is None:
                        pixel = flagged[np.argmax(wrong)]
                        first["wrong_fill"] = (
                            f"flagged pixel {pixel} of {name} (row {row}, channel {ch}) holds "
                            f"{value[row, ch, pixel]:.6g}, not the fill value {fill:.6g}"
                        )
    out["first"] = first
    return out


def validity_start_offsets(row_starts, row_ends, all_times, flatfield_times, tolerance=0.0):
    """Offset [same unit as the times] of each row's validity start from its chunk's first event.

    Row 0 is expected to start at the first event of all (pedestal or flat-field),
    row ``k`` at the first flat-field event after ``row_ends[k - 1]`` (the flat-field
    chunks define the rows). A row stamped at its chunk's end is off by the chunk's
    duration.

    Returns
    -------
    offsets : ndarray, shape (n_rows,)
        ``row_start - expected`` (NaN for a row with no event after the previous row).
    n_uncovered : int
        Events more than ``tolerance`` before the first row's validity start (no
        coefficients for them).
    """
    starts = np.asarray(row_starts, float)
    ends = np.asarray(row_ends, float)
    every = np.sort(np.asarray(all_times, float))
    ff = np.sort(np.asarray(flatfield_times, float))
    offsets = np.full(starts.size, np.nan)
    if every.size:
        offsets[0] = starts[0] - every[0]
    for k in range(1, starts.size):
        later = ff[ff > ends[k - 1]]
        if later.size:
            offsets[k] = starts[k] - later[0]
    n_uncovered = (
        int(np.count_nonzero(every < starts[0] - tolerance)) if starts.size else int(every.size)
    )
    return offsets, n_uncovered
