"""Known-truth closure of the star tracking and the pointing fit (pure functions, in memory).

The synthetic fields of :mod:`star_field` carry a known mis-pointing applied
through astropy's refraction and ctapipe's AltAz -> TelescopeFrame transform; the
tracker and the fit (numpy) must recover it: |bias| < 10 % of the offset + 5″
and, over 40 independent fields (new noise, new pixel baseline pattern, 20 field
positions), pulls of the fitted correction with a standard deviation within 0.7-1.3, and
per-star position pulls of the faint (V > 6) stars with a standard deviation within 0.85-1.15.
"""

import numpy as np
import pytest
from star_field import FieldSpec, make_star_field

from calibpipe_tasks.pointing.correction_fit import fit_pointing_correction
from calibpipe_tasks.pointing.refraction import SiteWeather
from calibpipe_tasks.pointing.star_positions import FLAG_OK
from calibpipe_tasks.pointing.tracking import TrackingSettings, track_chunk

ARCSEC = np.deg2rad(1 / 3600)
N_SEEDS = 40


@pytest.fixture(scope="module")
def catalogue():
    from astropy.time import Time
    from ctapipe.utils import get_bright_stars

    stars = get_bright_stars(Time("2026-01-15"), catalog="Hipparcos")
    return dict(
        id=np.asarray(stars["HIP"]),
        ra=stars["ra_dec"].ra.deg,
        dec=stars["ra_dec"].dec.deg,
        magnitude=np.asarray(stars["Vmag"], float),
    )


def track_and_fit(field, spec, catalogue, weather=None, **settings):
    weather = weather or SiteWeather(
        spec.pressure_hpa, spec.temperature_c, spec.relative_humidity, "truth"
    )
    settings.setdefault("psf_sigma_deg", np.rad2deg(field["psf_sigma"]))
    rows = track_chunk(
        field["images"],
        field["times"],
        field["pointing_alt"],
        field["pointing_az"],
        field["pix_lon"],
        field["pix_lat"],
        catalogue,
        field["location"],
        weather,
        TrackingSettings(**settings),
    )
    ok = rows["flag"] == FLAG_OK
    fit = fit_pointing_correction(
        rows["star_alt"][ok],
        rows["star_az"][ok],
        rows["pointing_alt"][ok],
        rows["pointing_az"][ok],
        rows["x"][ok],
        rows["y"][ok],
        rows["cov_xx"][ok],
        rows["cov_xy"][ok],
        rows["cov_yy"][ok],
        rows["star_id"][ok],
    )
    return rows, fit


def fitted_arcsec(fit):
    """(δalt, δaz·cos alt) and their errors [arcsec] — δaz on the sky."""
    err = np.sqrt(np.diag(fit["covariance"]))
    cos_alt = np.cos(fit["mean_alt"]) if "mean_alt" in fit else 1.0
    return (
        fit["delta_alt"] / ARCSEC,
        fit["delta_az"] * cos_alt / ARCSEC,
        err[0] / ARCSEC,
        err[1] * cos_alt / ARCSEC,
    )


#: field positions per case: seed s looks at azimuth + 0.3° · (s mod N_POSITIONS)
N_POSITIONS = 20


def field_azimuth(azimuth, seed):
    """Azimuth [deg] of seed ``seed``'s field: 20 positions 0.3° apart (new pixel phases for
    the stars; further on, the field of a case would turn into another field), each seen with
    new noise and a new baseline pattern every 20 seeds."""
    return azimuth + 0.3 * (seed % N_POSITIONS)


def run_seeds(kind, offset, altitude, catalogue, n_seeds, azimuth=20.0, max_few_stars=1, **spec_kw):
    """Fit ``n_seeds`` independent fields: new noise, new pixel baseline pattern, and the field
    at :func:`field_azimuth` (so stars fall on new pixel phases).

    A chunk may honestly be invalid for "too few stars" (the LST 70° field at one position
    has three stars near the detection limit); such chunks are counted, not fitted: at most
    ``max_few_stars`` of them. Any other invalid chunk fails."""
    results, few, faint = [], 0, []
    for seed in range(n_seeds):
        spec = FieldSpec(
            telescopes={1: kind},
            offsets={1: offset},
            altitude=altitude,
            azimuth=field_azimuth(azimuth, seed),
            seed=seed,
            **spec_kw,
        )
        field = make_star_field(spec, 1)
        rows, fit = track_and_fit(field, spec, catalogue)
        if not fit["is_valid"] and fit["reason"].startswith("too few stars"):
            few += 1
            continue
        assert fit["is_valid"], fit["reason"]
        fit["mean_alt"] = np.mean(field["pointing_alt"])
        results.append(fitted_arcsec(fit))
        faint.append(star_pulls(rows, field, rows["magnitude"] > FAINT))
    assert few <= max_few_stars, f"{few} of {n_seeds} chunks with too few stars"
    return np.array(results), np.concatenate(faint)


#: stars fainter than this (V) are near the detection cut on the LST-like camera
FAINT = 6.0


def star_pulls(rows, field, select):
    """Position pulls (fov_lon, fov_lat) of the measured stars (flag 0) in ``select``
    against the generator's true positions (mean over the chunk's events)."""
    ok = (rows["flag"] == FLAG_OK) & select
    hip = np.asarray(field["stars"]["HIP"])
    idx = np.array([np.flatnonzero(hip == h)[0] for h in rows["star_id"][ok]], int)
    tx = field["star_lon"][idx].mean(axis=1) if idx.size else np.zeros(0)
    ty = field["star_lat"][idx].mean(axis=1) if idx.size else np.zeros(0)
    return np.column_stack(
        [
            (rows["x"][ok] - tx) / np.sqrt(rows["cov_xx"][ok]),
            (rows["y"][ok] - ty) / np.sqrt(rows["cov_yy"][ok]),
        ]
    )


def check_acceptance(results, offset, altitude):
    cos_alt = np.cos(np.deg2rad(altitude))
    truth = np.array([offset[0], offset[1] * cos_alt])
    n = len(results)
    for axis in (0, 1):
        values, errors = results[:, axis], results[:, 2 + axis]
        bias = values.mean() - truth[axis]
        assert abs(bias) < 0.1 * abs(truth[axis]) + 5.0, (axis, bias, values)
        pulls = (values - truth[axis]) / errors
        assert 0.7 <= pulls.std(ddof=1) <= 1.3, (axis, pulls.std(ddof=1), pulls)
        assert abs(pulls.mean()) < 4 / np.sqrt(n), (axis, pulls.mean())


@pytest.mark.slow
@pytest.mark.parametrize(
    "kind, offset, altitude, azimuth",
    [
        ("LST", (0.0, 0.0), 70.0, 20.0),
        ("LST", (40.0, -60.0), 62.0, 100.0),
        ("LST", (-200.0, 300.0), 80.0, 20.0),
        ("MST", (150.0, 120.0), 75.0, 20.0),
    ],
)
def test_known_mispointing_recovered(kind, offset, altitude, azimuth, catalogue):
    """40 seeds: the standard deviation of 20 pulls scatters by ±16 % (1 % of the samples
    of a true width 1 fall below 0.63), too close to the 0.7-1.3 band to test it."""
    results, faint = run_seeds(kind, offset, altitude, catalogue, n_seeds=N_SEEDS, azimuth=azimuth)
    check_acceptance(results, offset, altitude)
    # faint stars (near the 5σ cut): the amplitude of those that pass came out high, and
    # their errors were too small (fov_lon pulls 1.15-1.24 before their errors were computed at
    # the amplitude their magnitude predicts); for ~200 pulls of true width 1 the standard
    # deviation is within 0.85-1.15 at 3σ
    assert len(faint) > 100, len(faint)
    for axis in (0, 1):
        assert 0.85 <= faint[:, axis].std() <= 1.15, (axis, faint[:, axis].std(), len(faint))
