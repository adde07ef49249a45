"""Pure functions of the pointing package: transform vs ctapipe, fit edge cases, flags."""

import astropy.units as u
import numpy as np
import pytest
from astropy.coordinates import AltAz, EarthLocation, SkyCoord
from astropy.time import Time

from calibpipe_tasks.pointing.correction_fit import fit_pointing_correction
from calibpipe_tasks.pointing.star_positions import (
    FLAG_BROKEN_PIXEL,
    FLAG_OK,
    FLAG_OUTSIDE,
    geometric_flags,
)
from calibpipe_tasks.pointing.telescope_frame import telescope_frame_offsets, wrap_longitude

ARCSEC = np.deg2rad(1 / 3600)
SITE = EarthLocation(lon=-17.89 * u.deg, lat=28.76 * u.deg, height=2150 * u.m)


def test_numpy_transform_matches_ctapipe_including_negative_longitudes():
    from ctapipe.coordinates import TelescopeFrame

    rng = np.random.default_rng(1)
    time = Time("2026-01-15T23:00:00")
    frame = AltAz(obstime=time, location=SITE)
    p_alt, p_az = np.deg2rad(75.0), np.deg2rad(3.0)  # near az 0: wraps in the stars' az
    s_alt = p_alt + np.deg2rad(rng.uniform(-2, 2, 200))
    s_az = (p_az + np.deg2rad(rng.uniform(-6, 6, 200))) % (2 * np.pi)
    stars = SkyCoord(alt=s_alt * u.rad, az=s_az * u.rad, frame=frame)
    pointing = SkyCoord(alt=p_alt * u.rad, az=p_az * u.rad, frame=frame)
    cam = stars.transform_to(
        TelescopeFrame(telescope_pointing=pointing, obstime=time, location=SITE)
    )
    lon, lat = telescope_frame_offsets(s_alt, s_az, p_alt, p_az)
    assert np.any(lon < 0) and np.all(lon >= -np.pi) and np.all(lon < np.pi)
    ct_lon = wrap_longitude(cam.fov_lon.to_value(u.rad))
    assert np.max(np.abs(lon - ct_lon)) < 1e-4 * ARCSEC
    assert np.max(np.abs(lat - cam.fov_lat.to_value(u.rad))) < 1e-4 * ARCSEC


def _synthetic_points(
    n_stars=12, alt=80.0, d_alt=40.0, d_az=100.0, rotation=0.0, sigma=5.0, seed=0
):
    rng = np.random.default_rng(seed)
    p_alt = np.full(n_stars, np.deg2rad(alt))
    p_az = np.full(n_stars, np.deg2rad(10.0))
    s_alt = p_alt + np.deg2rad(rng.uniform(-1.5, 1.5, n_stars))
    s_az = p_az + np.deg2rad(rng.uniform(-1.5, 1.5, n_stars)) / np.cos(p_alt)
    lon, lat = telescope_frame_offsets(
        s_alt, s_az, p_alt + d_alt * ARCSEC, p_az + d_az * ARCSEC, rotation * ARCSEC
    )
    lon = lon + sigma * ARCSEC * rng.standard_normal(n_stars)
    lat = lat + sigma * ARCSEC * rng.standard_normal(n_stars)
    var = np.full(n_stars, (sigma * ARCSEC) ** 2)
    return (s_alt, s_az, p_alt, p_az, lon, lat, var, np.zeros(n_stars), var, np.arange(n_stars))


def test_full_transform_recovers_azimuth_offset_near_zenith_where_translation_fails():
    args = _synthetic_points(sigma=1e-6)
    fit = fit_pointing_correction(*args)
    assert fit["is_valid"], fit["reason"]
    assert abs(fit["delta_alt"] / ARCSEC - 40.0) < 0.01
    assert abs(fit["delta_az"] / ARCSEC - 100.0) < 0.01
    # a pure 2-D translation leaves the field rotation δaz·sin(alt) as residuals
    s_alt, s_az, p_alt, p_az, lon, lat = args[:6]
    e_lon, e_lat = telescope_frame_offsets(s_alt, s_az, p_alt, p_az)
    d_lon, d_lat = lon - e_lon, lat - e_lat
    resid = np.hypot(d_lon - d_lon.mean(), d_lat - d_lat.mean()) / ARCSEC
    assert resid.max() > 1.0  # arcsec: what the translation model cannot absorb


def test_camera_rotation_is_fitted():
    fit = fit_pointing_correction(*_synthetic_points(rotation=600.0, sigma=2.0), fit_rotation=True)
    assert fit["is_valid"], fit["reason"]
    err = np.sqrt(np.diag(fit["covariance"])) / ARCSEC
    assert abs(fit["rotation"] / ARCSEC - 600.0) < 5 * err[2]
    assert abs(fit["delta_alt"] / ARCSEC - 40.0) < 5 * err[0]


def test_weights_are_inverse_variance_chi2_follows():
    fit = fit_pointing_correction(*_synthetic_points(n_stars=40, sigma=5.0, seed=3))
    assert fit["is_valid"]
    assert 0.5 < fit["chi2"] / fit["ndf"] < 1.6
    err = np.sqrt(np.diag(fit["covariance"])) / ARCSEC
    # 40 stars with 5" errors: about 5/sqrt(40) in altitude
    assert 0.5 < err[0] / (5 / np.sqrt(40)) < 1.5


@pytest.mark.parametrize(
    "n_stars, reason",
    [(0, "no stars measured"), (2, "too few stars (2 < 3)")],
)
def test_no_or_few_stars_never_crash_never_valid(n_stars, reason):
    args = _synthetic_points(n_stars=max(n_stars, 1))
    args = [a[:n_stars] for a in args]
    fit = fit_pointing_correction(*args)
    assert not fit["is_valid"] and fit["reason"] == reason and fit["n_stars"] == n_stars
    assert np.isnan(fit["delta_alt"])


def test_underestimated_errors_give_bad_chi2():
    args = list(_synthetic_points(n_stars=20, sigma=20.0))
    for i in (6, 8):
        args[i] = args[i] / 400.0  # claimed errors 20x too small
    fit = fit_pointing_correction(*args, clip=1e6)
    assert not fit["is_valid"] and fit["reason"].startswith("bad chi2")


def test_non_finite_points_are_ignored():
    args = [np.array(a, float) for a in _synthetic_points(n_stars=10)]
    args[4][0] = np.nan
    fit = fit_pointing_correction(*args)
    assert fit["is_valid"] and fit["n_points"] == 9


def test_flags_broken_pixel_and_star_leaving_the_camera():
    from ctapipe.coordinates import TelescopeFrame
    from star_field import subarray_for

    geometry = subarray_for({1: "LST"}).tel[1].camera.geometry.transform_to(TelescopeFrame())
    x, y = geometry.pix_x.to_value(u.rad), geometry.pix_y.to_value(u.rad)
    pitch = np.deg2rad(0.1023)
    usable = np.ones(x.size, bool)
    usable[100] = False
    radius = np.hypot(x, y).max()
    # one star on the broken pixel; one moving outwards across the edge along +lon
    track = np.linspace(radius - 5 * pitch, radius + 2 * pitch, 8)
    px = np.vstack([np.full(8, x[100]), track])
    py = np.vstack([np.full(8, y[100]), np.zeros(8)])
    flags = geometric_flags(px, py, x, y, usable, pitch)
    assert np.all(flags[0] == FLAG_BROKEN_PIXEL)
    assert flags[1][0] == FLAG_OK and flags[1][-1] == FLAG_OUTSIDE
    assert np.all(np.diff((flags[1] == FLAG_OUTSIDE).astype(int)) >= 0)


def test_faint_field_gives_too_faint_and_an_invalid_chunk():
    from star_field import FieldSpec, make_star_field
    from test_pointing_accuracy import track_and_fit

    from calibpipe_tasks.io.star_tracking import read_catalogue
    from calibpipe_tasks.pointing.star_positions import FLAG_TOO_FAINT

    spec = FieldSpec(flux_scale=0.003, offsets={1: (0.0, 0.0)})
    field = make_star_field(spec, 1)
    rows, fit = track_and_fit(field, spec, read_catalogue("Hipparcos", field["times"][0]))
    assert np.any(rows["flag"] == FLAG_TOO_FAINT)
    assert np.count_nonzero(rows["flag"] == FLAG_OK) <= 2
    assert not fit["is_valid"]


def test_site_weather_from_a_profile_matches_the_standard_atmosphere():
    from calibpipe_tasks.atmosphere.standard_atmosphere import us_standard_atmosphere
    from calibpipe_tasks.pointing.refraction import standard_weather, weather_from_profile

    levels = np.array([0.0, 1500.0, 3000.0, 5500.0, 9000.0])
    temperature, pressure, _ = us_standard_atmosphere(levels)
    site = weather_from_profile(2150.0, levels, pressure / 100, temperature, source="profile")
    reference = standard_weather(2150.0)
    # log p linear between levels 1.5 km apart: error h²/8 · g·|dT/dz|/(R T²) ≈ 0.08 % (0.64 hPa)
    assert abs(site.pressure_hpa - reference.pressure_hpa) < 1.0
    assert abs(site.temperature_c - reference.temperature_c) < 0.01  # T linear in this layer
    assert site.source == "profile" and reference.source.startswith("US Standard Atmosphere")
    assert 780 < reference.pressure_hpa < 790


@pytest.mark.parametrize("sigma_pitch", [0.2, 0.33, 0.4, 1.0])
def test_exact_hexagon_integral_matches_an_independent_polar_integration(sigma_pitch):
    """The tracker's PSF template (slabs + normal CDF) against the generator's polar
    quadrature, on the real hand-built camera (its orientation found from the pixels);
    the old 8-per-pitch sub-sampled pixel is off by ~1 % of a bright star's pixel value."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).parent))
    from star_field import hexagon_vertices, polygon_gaussian_fraction, subarray_for

    from calibpipe_tasks.pointing.star_positions import (
        _psf_fraction,
        hexagon_orientation,
        hexagon_psf_fraction,
        pixel_pitch,
        pixel_subsamples,
    )

    geom = subarray_for({1: "LST"}).tel[1].camera.geometry
    x, y = geom.pix_x.to_value(u.m), geom.pix_y.to_value(u.m)
    pitch = pixel_pitch(x, y)
    theta = hexagon_orientation(x, y, pitch)
    assert theta is not None
    rng = np.random.default_rng(3)
    centre = rng.uniform(-2, 2, (40, 2)) * pitch
    dist = np.hypot(x[None] - centre[:, 0, None], y[None] - centre[:, 1, None])
    window = np.argsort(dist, axis=1)[:, :19]
    wxy = np.stack([x[window], y[window]], axis=-1)
    sigma = sigma_pitch * pitch
    fraction, gradient = hexagon_psf_fraction(wxy, centre, sigma, pitch, theta)
    polar = polygon_gaussian_fraction(
        centre[:, None, :] - wxy, hexagon_vertices(np.column_stack([x, y]), pitch), sigma
    )
    assert np.max(np.abs(fraction - polar)) < 1e-6 * fraction.max()
    # the gradient is the derivative of the fraction (central differences)
    eps = 1e-4 * pitch
    for axis in (0, 1):
        step = np.zeros(2)
        step[axis] = eps
        up, _ = hexagon_psf_fraction(wxy, centre + step, sigma, pitch, theta)
        down, _ = hexagon_psf_fraction(wxy, centre - step, sigma, pitch, theta)
        numeric = (up - down) / (2 * eps)
        assert np.max(np.abs(gradient[..., axis] - numeric)) < 1e-5 * np.abs(numeric).max()
    # all the light of a star in the middle of the camera lands on the 19 nearest pixels
    if sigma_pitch <= 0.4:
        assert np.all(np.abs(fraction.sum(axis=1) - 1) < 2e-3)
    if sigma_pitch == 0.4:
        offsets = pixel_subsamples(x, y, pitch)
        old, _ = _psf_fraction(wxy, offsets, centre, sigma, np.sqrt(3) / 2 * pitch**2)
        assert np.max(np.abs(old - polar)) > 1e-3 * fraction.max()


def _lst_pixels():
    from ctapipe.coordinates import TelescopeFrame
    from star_field import subarray_for

    geometry = subarray_for({1: "LST"}).tel[1].camera.geometry.transform_to(TelescopeFrame())
    return geometry.pix_x.to_value(u.rad), geometry.pix_y.to_value(u.rad)


def _star_images(x, y, stars, n_draws, baseline=20.0, seed=1):
    """``n_draws`` noisy images of stars ``[(lon, lat, amplitude), ...]`` (independent
    polar-quadrature integration of the generator) and the true pixel errors."""
    from star_field import hexagon_vertices, polygon_gaussian_fraction

    from calibpipe_tasks.pointing.star_positions import pixel_pitch

    pitch = pixel_pitch(x, y)
    sigma = np.deg2rad(0.04)
    vertices = hexagon_vertices(np.column_stack([x, y]), pitch)
    truth = np.full(x.size, baseline)
    for lon, lat, amplitude in stars:
        near = np.hypot(x - lon, y - lat) < 4 * pitch
        rel = np.column_stack([lon - x[near], lat - y[near]])
        truth[near] += amplitude * polygon_gaussian_fraction(rel, vertices, sigma)
    error = 0.03 * truth + 0.5  # shot-noise-like plus a floor
    rng = np.random.default_rng(seed)
    images = truth + error * rng.standard_normal((n_draws, x.size))
    return images, np.broadcast_to(error, images.shape), pitch, sigma


def _fit(x, y, images, errors, pitch, sigma, start, **kw):
    from calibpipe_tasks.pointing.star_positions import fit_star_images, hexagon_orientation

    n = images.shape[0]
    return fit_star_images(
        images,
        errors,
        np.ones(x.size, bool),
        x,
        y,
        np.full((1, n), start[0]),
        np.full((1, n), start[1]),
        sigma,
        pitch,
        None,
        hexagon_theta=hexagon_orientation(x, y, pitch),
        **kw,
    )


def test_star_fit_reaches_the_minimum_and_its_covariance_is_right():
    """The PSF-template fit against scipy's least squares on the same pixels, and over 300
    noise draws: amplitude unbiased, position pulls of width 1. (A damping of the Gauss-Newton
    steps taken from the Hessian's trace, which the position terms in rad⁻² dominate, froze
    the amplitude and baseline at their start: amplitudes 5-10 % low, χ²/ndf 1.3-3.)"""
    from scipy.optimize import least_squares

    from calibpipe_tasks.pointing.star_positions import hexagon_orientation, hexagon_psf_fraction

    x, y = _lst_pixels()
    lon, lat, amplitude = x[400] + 0.31 * np.deg2rad(0.1), y[400] - 0.17 * np.deg2rad(0.1), 260.0
    images, errors, pitch, sigma = _star_images(x, y, [(lon, lat, amplitude)], 300)
    start = (lon + 0.3 * pitch, lat - 0.2 * pitch)
    fit = _fit(x, y, images, errors, pitch, sigma, start)
    assert np.all(fit["flag"] == FLAG_OK)

    window = np.argsort(np.hypot(x - start[0], y - start[1]))[:19]
    wxy = np.column_stack([x[window], y[window]])[None]
    theta = hexagon_orientation(x, y, pitch)

    def residuals(p, data):
        g, _ = hexagon_psf_fraction(wxy, np.array([p[:2]]) * ARCSEC, sigma, pitch, theta)
        return (data - p[3] - p[2] * g[0]) / errors[0, window]

    for draw in range(3):
        p0 = [start[0] / ARCSEC, start[1] / ARCSEC, 200.0, 21.0]
        ref = least_squares(residuals, p0, args=(images[draw, window],), x_scale=[10, 10, 10, 1])
        assert abs(fit["x"][0, draw] / ARCSEC - ref.x[0]) < 0.01
        assert abs(fit["y"][0, draw] / ARCSEC - ref.x[1]) < 0.01
        assert abs(fit["amplitude"][0, draw] / ref.x[2] - 1) < 1e-4
        assert abs(fit["chi2"][0, draw] - 2 * ref.cost) < 1e-3 * fit["chi2"][0, draw]
    n = images.shape[0]
    amp_pull = (fit["amplitude"][0] - amplitude) / fit["amplitude_error"][0]
    assert abs(amp_pull.mean()) < 4 / np.sqrt(n)
    for pos, true, cov in (
        (fit["x"][0], lon, fit["cov_xx"][0]),
        (fit["y"][0], lat, fit["cov_yy"][0]),
    ):
        pulls = (pos - true) / np.sqrt(cov)
        assert 0.85 < pulls.std() < 1.15, pulls.std()
        assert abs(pulls.mean()) < 4 / np.sqrt(n)
    assert 0.85 < np.mean(fit["chi2"][0] / fit["ndf"][0]) < 1.15


def test_pixels_of_a_fainter_neighbour_are_left_out_and_a_neighbour_on_the_core_blends():
    """A bright star with a 4.2 mag fainter catalogue neighbour 2.1 pitches away (not
    "blended"): the neighbour's pixels are masked, χ²/ndf back to 1 and the position unbiased;
    without the mask χ²/ndf ≈ 2 (the error scaling then makes its errors too large)."""
    from calibpipe_tasks.pointing.star_positions import FLAG_BLENDED

    x, y = _lst_pixels()
    pitch0 = np.deg2rad(0.1)
    lon, lat = x[400] + 0.2 * pitch0, y[400]
    n_lon, n_lat = lon + 2.1 * pitch0 * np.cos(0.5), lat + 2.1 * pitch0 * np.sin(0.5)
    amplitude, delta_m = 1000.0, 4.2
    stars = [(lon, lat, amplitude), (n_lon, n_lat, amplitude * 10 ** (-0.4 * delta_m))]
    images, errors, pitch, sigma = _star_images(x, y, stars, 200, seed=2)
    n = images.shape[0]
    neighbours = (
        np.array([np.full(n, lon), np.full(n, n_lon)]),
        np.array([np.full(n, lat), np.full(n, n_lat)]),
        np.array([3.0, 3.0 + delta_m]),
        np.array([0]),
    )
    common = dict(scale_by_chi2=False, magnitude=np.array([3.0]))
    masked = _fit(x, y, images, errors, pitch, sigma, (lon, lat), neighbours=neighbours, **common)
    plain = _fit(x, y, images, errors, pitch, sigma, (lon, lat), **common)
    assert np.all(masked["flag"] == FLAG_OK) and np.all(masked["n_masked"] >= 1)
    assert np.all(plain["n_masked"] == 0)
    assert np.mean(plain["chi2"] / plain["ndf"]) > 1.5
    assert 0.8 < np.mean(masked["chi2"] / masked["ndf"]) < 1.2
    for pos, true, cov in (("x", lon, "cov_xx"), ("y", lat, "cov_yy")):
        pulls = (masked[pos][0] - true) / np.sqrt(masked[cov][0])
        assert abs(pulls.mean()) < 4 / np.sqrt(n) and 0.8 < pulls.std() < 1.2
    # the same neighbour on the star's own pixel: the core would be masked -> blended
    core = (
        neighbours[0] * 0 + np.array([[lon], [lon + 0.1 * pitch]]),
        neighbours[1] * 0 + np.array([[lat], [lat]]),
        np.array([3.0, 3.0 + 2.6]),
        np.array([0]),
    )
    blended = _fit(x, y, images, errors, pitch, sigma, (lon, lat), neighbours=core, **common)
    assert np.all(blended["flag"] == FLAG_BLENDED)


def test_baseline_spread_is_not_widened_by_stars():
    """The pixel-to-pixel spread of the mean image from its lower side: stars (here on 5 % of
    the pixels) only widen the upper side."""
    from calibpipe_tasks.pointing.star_positions import baseline_spread

    rng = np.random.default_rng(5)
    n_pix, n_events = 1800, 60
    pattern = 20.0 * (1 + 0.05 * rng.standard_normal(n_pix))
    lit = rng.random(n_pix) < 0.05
    pattern[lit] += rng.exponential(5.0, lit.sum())
    images = pattern * (1 + 0.226 * rng.standard_normal((n_events, n_pix)))
    true = np.std(pattern[~lit])
    assert abs(baseline_spread(images, np.ones(n_pix, bool)) / true - 1) < 0.05


def test_faint_star_position_errors_at_the_amplitude_its_magnitude_predicts():
    """A star at ≈ 4.8σ (true amplitude 12) beside two bright ones, 600 noise draws: the draws
    that pass the 5σ cut are those whose amplitude came out high (median 1.17 × true) and
    the curvature error, ∝ 1 / amplitude, is too small (position pulls ≈ 1.2); computed at
    the amplitude the magnitudes and the bright stars' flux scale predict, the pulls are 1."""
    x, y = _lst_pixels()
    pitch0 = np.deg2rad(0.1)
    magnitude = np.array([4.0, 4.51, 4.0 + 2.5 * np.log10(400.0 / 12.0)])
    amplitude = 400.0 * 10 ** (-0.4 * (magnitude - 4.0))
    stars = [
        (x[300] + 0.2 * pitch0, y[300], amplitude[0]),
        (x[700] - 0.1 * pitch0, y[700] + 0.3 * pitch0, amplitude[1]),
        (x[500] + 0.27 * pitch0, y[500] - 0.12 * pitch0, amplitude[2]),
    ]
    images, errors, pitch, sigma = _star_images(x, y, stars, 600, seed=4)
    n = images.shape[0]
    from calibpipe_tasks.pointing.star_positions import fit_star_images, hexagon_orientation

    def fit(**kw):
        return fit_star_images(
            images,
            errors,
            np.ones(x.size, bool),
            x,
            y,
            np.array([[s[0]] * n for s in stars]),
            np.array([[s[1]] * n for s in stars]),
            sigma,
            pitch,
            None,
            hexagon_theta=hexagon_orientation(x, y, pitch),
            magnitude=magnitude,
            **kw,
        )

    plain, widened = fit(expected_flux=False), fit()
    ok = widened["flag"][2] == FLAG_OK
    assert np.array_equal(ok, plain["flag"][2] == FLAG_OK) and 0.3 < ok.mean() < 0.7
    assert np.median(widened["amplitude"][2, ok]) / amplitude[2] > 1.1  # the selection
    # the flux scale comes from all fits (passing the cut or not): expected within 3 %
    assert abs(np.median(widened["expected_amplitude"][2]) / amplitude[2] - 1) < 0.03
    assert np.all(np.isnan(plain["expected_amplitude"]))
    for result, low, high in ((plain, 1.12, 1.5), (widened, 0.9, 1.1)):
        pulls = np.concatenate(
            [
                (result["x"][2, ok] - stars[2][0]) / np.sqrt(result["cov_xx"][2, ok]),
                (result["y"][2, ok] - stars[2][1]) / np.sqrt(result["cov_yy"][2, ok]),
            ]
        )
        assert low < pulls.std() < high, pulls.std()
    # errors only grow, by the ratio of the fitted to the expected amplitude
    ratio = widened["amplitude"] / widened["expected_amplitude"]
    factor = np.where(ratio > 1, ratio, 1.0) ** 2
    assert np.allclose(widened["cov_xx"], plain["cov_xx"] * factor, rtol=1e-9)
    assert np.allclose(widened["cov_yy"], plain["cov_yy"] * factor, rtol=1e-9)
    assert np.array_equal(widened["amplitude_error"], plain["amplitude_error"])
