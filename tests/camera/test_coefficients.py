"""Coefficients from ctapipe-aggregated synthetic statistics against the injected truth."""

import numpy as np
import pytest

from calibpipe_tasks.camera.coefficients import AllPixelsFlagged, compute_coefficients
from calibpipe_tasks.camera.outliers import REASONS


def arrays(table):
    return {k: np.array(table[k]) for k in ("mean", "std", "n_events", "outlier_mask")}  # copies


def coefficients(sample, tel_id=1, jitter=None, edit=None):
    tables = sample.tables[tel_id]
    ped, ff, t = (
        arrays(tables[n]) for n in ("sky_pedestal_image", "flatfield_image", "flatfield_peak_time")
    )
    if edit is not None:
        edit(ped, ff, t)
    truth = sample.truths[tel_id]
    return compute_coefficients(
        ped,
        ff,
        t,
        window_width=truth.window_width,
        f_squared=truth.f_squared,
        jitter=truth.jitter if jitter is None else jitter,
    )


@pytest.mark.parametrize("tel_id", [1, 2])
def test_factor_pedestal_and_time_shift_within_5_sigma_of_the_truth(camera_sample, tel_id):
    result = coefficients(camera_sample, tel_id)
    truth, good = camera_sample.truths[tel_id], camera_sample.good(tel_id)
    expected = {
        "factor": truth.true_factor(good),
        "pedestal_offset": truth.true_pedestal_offset(),
        "time_shift": truth.true_time_shift(good),
        "gain": truth.gain,
    }
    for name, true in expected.items():
        pull = (result[name] - true[None]) / result[f"{name}_err"]
        pull = pull[:, :, good]
        assert np.all(np.abs(pull) < 5), name
        assert abs(pull.mean()) < 1.5, name  # common camera-median terms
        assert 0.5 < pull.std() < 1.3, name
    # pedestal noise in p.e.: sqrt(noise^2 + g^2 F^2 qe nsb) x factor
    noise = np.sqrt(truth.noise**2 + truth.gain**2 * truth.f_squared * truth.qe * truth.nsb)
    expected_pe = noise * truth.true_factor(good)
    # (low-NSB compound Poisson: heavy tail, partly clipped at 4 sigma; hence a few per cent)
    ratio = result["pedestal_noise_pe"][:, :, good] / expected_pe[None, :, good]
    assert abs(np.median(ratio) - 1) < 0.02
    assert np.all(np.abs(ratio - 1) < 0.12)
    # the precision the F-factor method promises at 80 p.e. and 2500 events (DESIGN.md §10)
    rel = np.median(result["factor_err"][:, 0, good] / result["factor"][:, 0, good])
    assert rel == pytest.approx(np.sqrt(truth.f_squared / 80 + truth.jitter**2) / 50, rel=0.5)


def test_dead_and_hot_pixels_are_flagged_with_their_reason_and_no_good_pixel(camera_sample):
    result = coefficients(camera_sample)
    truth, good = camera_sample.truths[1], camera_sample.good()
    reason = result["outlier_reason"]
    assert np.all(reason[:, :, truth.dead] == REASONS["dead"])
    assert np.all(reason[:, :, truth.hot] == REASONS["hot"])
    # 1324 good pixel-channel-chunks at 5 sigma: expected false flags << 1
    assert not np.any(result["outlier_mask"][:, :, good])
    assert np.all(result["is_valid"])
    np.testing.assert_allclose(result["flagged_fraction"], 4 / truth.n_pixels)


def test_flagged_pixels_get_the_camera_median_never_nan_or_negative(camera_sample):
    result = coefficients(camera_sample)
    bad = ~camera_sample.good()
    for name in ("factor", "pedestal_offset", "time_shift", "gain", "n_pe"):
        for key in (name, f"{name}_err"):
            assert np.all(np.isfinite(result[key])), key
        good_values = np.where(bad[None, None], np.nan, result[name])
        median = np.nanmedian(good_values, axis=-1)
        np.testing.assert_allclose(
            result[name][:, :, bad], np.repeat(median[..., None], bad.sum(), -1)
        )
    assert np.all(result["factor"] > 0)


def test_the_jitter_term_removes_the_b2_mu_over_f2_bias(camera_sample):
    truth, good = camera_sample.truths[1], camera_sample.good()
    true_median = np.median(truth.mean_pe()[good])
    with_b = coefficients(camera_sample)["median_n_pe"]
    without_b = coefficients(camera_sample, jitter=0.0)["median_n_pe"]
    bias = (
        -(truth.jitter**2)
        * true_median
        / truth.f_squared
        / (1 + truth.jitter**2 * true_median / truth.f_squared)
    )  # -2.5 %
    tolerance = 0.006  # 5 x the statistical error of a camera median of 331 pixels, rounded up
    assert np.all(np.abs(with_b / true_median - 1) < tolerance)
    assert np.all(np.abs(without_b / true_median - 1 - bias) < tolerance)
    assert np.all(without_b / true_median - 1 < -0.015)


def test_a_pixel_with_deviant_n_pe_is_flagged(camera_sample):
    def edit(ped, ff, t):
        # pixel 10 of every chunk: flat-field 40 % brighter at the same excess variance
        # (a wrong gain would not show: n_pe = S^2 F^2 / excess)
        ff["mean"][:, :, 10] = ped["mean"][:, :, 10] + 1.4 * (ff["mean"] - ped["mean"])[:, :, 10]

    result = coefficients(camera_sample, edit=edit)
    assert np.all(result["outlier_reason"][:, :, 10] & (REASONS["n_pe"] | REASONS["gain"]))


def test_input_outliers_and_missing_channels_are_marked(camera_sample):
    def edit(ped, ff, t):
        ff["outlier_mask"][:, :, 5] = True

    tables = camera_sample.tables[1]
    ped, ff, t = (
        arrays(tables[n]) for n in ("sky_pedestal_image", "flatfield_image", "flatfield_peak_time")
    )
    edit(ped, ff, t)
    result = compute_coefficients(ped, ff, t, 8, 1.222, 0.02, missing_channels=(1,))
    assert np.all(result["outlier_reason"][:, 0, 5] == REASONS["input"])
    assert np.all(result["outlier_reason"][:, 1, :] == REASONS["missing_channel"])
    assert np.all(result["factor"][:, 1] == 0) and np.all(result["outlier_mask"][:, 1])
    np.testing.assert_allclose(result["flagged_fraction"], 5 / 331)  # of the present channel


def test_every_pixel_flagged_raises(camera_sample):
    def edit(ped, ff, t):
        ped["outlier_mask"][:] = True

    with pytest.raises(AllPixelsFlagged):
        coefficients(camera_sample, edit=edit)


def test_f_squared_errors_enter_the_gain_n_pe_and_factor_errors(camera_sample):
    """An F^2 per pixel with errors (fit-spe's): g ~ 1/F^2 and n_pe ~ F^2, so their relative
    errors gain the relative F^2 error in quadrature; the values themselves do not change."""
    tables = camera_sample.tables[1]
    truth = camera_sample.truths[1]
    stats = [
        arrays(tables[n]) for n in ("sky_pedestal_image", "flatfield_image", "flatfield_peak_time")
    ]
    f2 = np.full(truth.n_pixels, truth.f_squared)
    f2_err = np.full(truth.n_pixels, 0.04 * truth.f_squared)
    plain = compute_coefficients(*stats, truth.window_width, f2, truth.jitter)
    with_err = compute_coefficients(
        *stats, truth.window_width, f2, truth.jitter, f_squared_err=f2_err
    )
    good = camera_sample.good(1)
    for name in ("gain", "n_pe", "factor"):
        assert np.array_equal(plain[name], with_err[name]), name
    for name in ("gain", "n_pe"):
        expected = np.hypot(plain[f"{name}_err"], 0.04 * plain[name])
        assert np.allclose(with_err[f"{name}_err"][:, :, good], expected[:, :, good], rtol=1e-12)
    # the factor's camera-median term grows by about 4 % / sqrt(n_good)
    assert np.all(with_err["factor_err"][:, :, good] > plain["factor_err"][:, :, good])


def test_fixed_window_peak_time_corrected_for_the_pedestal_in_the_window():
    """ctapipe's FixedWindowSum peak time includes the baseline; the correction removes it.

    Waveforms as ``calibration.r1.h5`` has them (tests/camera/dl1_calibration_events.py):
    a 400 ADC per sample baseline, 80 p.e. x gain 10 in a 0.8 ns Gaussian pulse at
    21 ns + the pixel's true time offset (1 ns rms), 1 GHz, a window of 8 samples
    from sample 17; extracted by ctapipe's own ``extract_around_peak``.
    """
    from ctapipe.image.extractor import extract_around_peak

    from calibpipe_tasks.camera.coefficients import baseline_corrected_peak_time, window_centre

    rng = np.random.default_rng(3)
    n_events, n_pixels, width, start = 400, 200, 8, 17
    offset = rng.normal(0.0, 1.0, n_pixels)
    offset = np.clip(offset, -2.0, 2.0)  # pulses inside the window
    samples = np.arange(40)
    baseline = 400.0 + 2 * rng.standard_normal(n_pixels)

    def waves(signal, peak):
        pulse = np.exp(-0.5 * ((samples - peak[..., None]) / 0.8) ** 2)
        pulse /= pulse.sum(axis=-1, keepdims=True)
        return (baseline[:, None] + signal[..., None] * pulse).astype(np.float32)

    signal = 800.0 * (1 + 0.1 * rng.standard_normal((n_events, n_pixels)))
    peak = 21.0 + offset + 0.4 * rng.standard_normal((n_events, n_pixels))
    charge, time = extract_around_peak(waves(signal, peak), start + 4, width, 4, 1.0)
    ped_charge, _ = extract_around_peak(
        waves(np.zeros((50, n_pixels)), peak[:50]), 21, width, 4, 1.0
    )
    t_raw, q_ff, q_ped = time.mean(axis=0), charge.mean(axis=0), ped_charge.mean(axis=0)

    def rms_vs_truth(t):
        shift = t - np.median(t)
        return np.sqrt(np.mean((shift - (offset - np.median(offset))) ** 2))

    centre = window_centre(start, width, 40, 1.0)
    assert centre == 20.5
    corrected, scale = baseline_corrected_peak_time(t_raw, q_ff, q_ped, centre)
    assert rms_vs_truth(t_raw) > 0.5  # shrunk by S / Q = 0.2: most of the 1 ns rms is lost
    raw, fixed = rms_vs_truth(t_raw), rms_vs_truth(corrected)
    print(f"time_shift rms vs truth: {raw:.3f} ns raw, {fixed:.4f} corrected")
    # statistical: 0.4 ns / sqrt(400) = 0.02 ns per pixel (and a signal spread of 10 %)
    assert rms_vs_truth(corrected) < 0.05
    np.testing.assert_allclose(scale, q_ff / (q_ff - q_ped))


def test_window_centre_is_clipped_to_the_readout():
    from calibpipe_tasks.camera.coefficients import window_centre

    assert window_centre(-2, 8, 40, 1.0) == 2.5  # samples 0..5
    assert window_centre(36, 8, 40, 2.0) == 0.5 * (36 + 39) / 2.0
