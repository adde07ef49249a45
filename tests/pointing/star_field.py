"""Synthetic sky-pedestal variance images of a tracked star field with a KNOWN mis-pointing.

Test-data generator (lives with the tests, not in the package). A hand-built
LST-like (28 m focal length, 0.1° pixels) and MST-like (16 m, 0.18° pixels)
hexagonal camera (:func:`synthetic_dl1.telescope_description`)
track a field; the reported (drive) pointing follows the field's apparent AltAz,
the **true** pointing is the reported one plus a known ``(δalt, δaz)``. Real
Hipparcos stars (ctapipe's bundled catalogue, offline) are placed with astropy's
ICRS -> AltAz transformation with refraction for the site's pressure and
temperature, then ctapipe's ``AltAz -> TelescopeFrame`` transformation about the
true pointing. Each star adds a variance excess proportional to its flux
(``10^(-0.4 m)``), spread by a Gaussian PSF integrated over the hexagonal pixels;
the night-sky baseline has a per-pixel spread, each event's variance a relative
noise ``sqrt(2 / (n_samples - 1))`` (the scatter of a sample variance); broken
pixels are dead (variance 0) or hot.

:func:`make_star_field` returns the images in memory (for the many-seed tests);
:func:`write_star_field` writes them as ``ctapipe-process`` with the
``VarianceExtractor`` on sky-pedestal events would: DL1 images of events of type
``SKY_PEDESTAL`` through ctapipe's ``DataWriter``, plus the drive pointing at
``/dl0/monitoring/telescope/pointing/tel_NNN`` (``time``, ``azimuth``,
``altitude`` in rad).
"""

from dataclasses import dataclass, field

import astropy.units as u
import numpy as np
from astropy.coordinates import AltAz, EarthLocation, SkyCoord
from astropy.time import Time

SITE = EarthLocation(lon=-17.890701 * u.deg, lat=28.761795 * u.deg, height=2150 * u.m)
#: per telescope kind: PSF sigma [deg], variance excess of a V = 6 star [summed over pixels],
#: night-sky baseline variance per pixel
KIND_DEFAULTS = {
    "LST": dict(psf_sigma_deg=0.04, flux_v6=40.0, nsb_variance=20.0),
    "MST": dict(psf_sigma_deg=0.06, flux_v6=25.0, nsb_variance=20.0),
}


@dataclass
class FieldSpec:
    """One synthetic run: telescopes tracking one field.

    ``telescopes`` maps tel_id -> kind (``"LST"``/``"MST"``); ``offsets`` maps
    tel_id -> the true mis-pointing (δalt, δaz) [arcsec] (true = reported + offset;
    δaz is an azimuth-coordinate offset). The field is the one at
    ``(altitude, azimuth)`` [deg] at ``start``.
    """

    start: str = "2026-01-15T23:00:00"
    altitude: float = 70.0
    azimuth: float = 20.0
    n_events: int = 60
    rate_hz: float = 10.0
    telescopes: dict = field(default_factory=lambda: {1: "LST"})
    offsets: dict = field(default_factory=lambda: {1: (0.0, 0.0)})
    seed: int = 0
    n_samples: int = 40
    pressure_hpa: float = 785.0
    temperature_c: float = 8.0
    relative_humidity: float = 0.3
    wavelength_um: float = 0.4
    stars: bool = True
    flux_scale: float = 1.0
    broken_pixels: dict = field(default_factory=dict)  # tel_id -> list of pixel ids (dead)
    hot_pixels: dict = field(default_factory=dict)  # tel_id -> list of pixel ids
    obs_id: int = 1
    event_type: int = 5  # EventType of the events (5: SKY_PEDESTAL)
    image_telescopes: list | None = None  # telescopes whose images are written (None: all)
    baseline_spread: float = 0.05  # relative pixel-to-pixel spread of the night-sky variance
    faintest_magnitude: float | None = None  # draw only stars at least this bright (None: all)
    # pointing rows cover [start - before, end + after] seconds, every 'pointing_step' s
    pointing_before_s: float = 2.0
    pointing_after_s: float = 2.0
    pointing_step_s: float = 1.0
    # True: the PSF integrated over sub-sampled pixels (a 10-per-pitch staircase of the
    # hexagon, as the committed sample files were made); False: exactly
    staircase_pixels: bool = False


def subarray_for(telescopes):
    """SubarrayDescription of the hand-built telescopes ``{tel_id: kind}``."""
    from synthetic_dl1 import build_subarray

    layout = {t: (kind, 100.0 * (t - 1), 0.0, 0.0) for t, kind in telescopes.items()}
    return build_subarray(layout, name="synthetic-star-field")


def event_times(spec):
    return Time(spec.start, scale="utc") + (np.arange(spec.n_events) / spec.rate_hz) * u.s


def truth_frame(times, spec):
    return AltAz(
        obstime=times,
        location=SITE,
        pressure=spec.pressure_hpa * u.hPa,
        temperature=spec.temperature_c * u.deg_C,
        relative_humidity=spec.relative_humidity,
        obswl=spec.wavelength_um * u.um,
    )


def field_centre(spec):
    """ICRS coordinate of the tracked field."""
    start = Time(spec.start, scale="utc")
    return SkyCoord(
        alt=spec.altitude * u.deg, az=spec.azimuth * u.deg, frame=truth_frame(start, spec)
    ).icrs


def reported_pointing(spec, times):
    """Drive pointing (alt, az) [rad] at ``times``: the field's apparent AltAz."""
    centre = field_centre(spec)
    altaz = SkyCoord(ra=centre.ra, dec=centre.dec).transform_to(truth_frame(times, spec))
    return altaz.alt.to_value(u.rad), altaz.az.to_value(u.rad)


def _voronoi_offsets(points, pitch, n_per_pitch=10):
    from scipy.spatial import cKDTree

    tree = cKDTree(points)
    centre = int(np.argmin(np.hypot(points[:, 0], points[:, 1])))
    grid = (np.arange(-n_per_pitch, n_per_pitch) + 0.5) * pitch / n_per_pitch
    gx, gy = np.meshgrid(grid, grid)
    offsets = np.column_stack([gx.ravel(), gy.ravel()])
    _, nearest = tree.query(points[centre] + offsets)
    return offsets[nearest == centre]


def hexagon_vertices(points, pitch):
    """Vertices (6, 2) of a pixel's hexagonal Voronoi cell relative to its centre (CCW).

    Found from the central pixel's six neighbours: each vertex is the circumcentre of
    the pixel and two adjacent neighbours (independent of the tracker's orientation code).
    """
    centre = int(np.argmin(np.hypot(points[:, 0], points[:, 1])))
    rel = points - points[centre]
    dist = np.hypot(rel[:, 0], rel[:, 1])
    nb = rel[(dist > 0.5 * pitch) & (dist < 1.05 * pitch)]
    nb = nb[np.argsort(np.arctan2(nb[:, 1], nb[:, 0]))]
    assert len(nb) == 6, "not a hexagonal camera"
    # the vertex between neighbours n1, n2 (and the origin): the circumcentre
    n1, n2 = nb, np.roll(nb, -1, axis=0)
    d = 2 * (n1[:, 0] * n2[:, 1] - n1[:, 1] * n2[:, 0])
    q1, q2 = np.sum(n1**2, axis=1), np.sum(n2**2, axis=1)
    return np.column_stack(
        [(q1 * n2[:, 1] - q2 * n1[:, 1]) / d, (q2 * n1[:, 0] - q1 * n2[:, 0]) / d]
    )


_POLAR_NODES, _POLAR_WEIGHTS = np.polynomial.legendre.leggauss(8)
#: composite rule on [0, 1]: 4 panels of 8 Gauss-Legendre nodes (absolute error < 1e-10 for
#: a PSF sigma >= 0.05 pixel pitch, against 8 panels of 16 nodes: 4 times fewer evaluations)
_POLAR_T = ((np.arange(4)[:, None] + 0.5 * (_POLAR_NODES + 1.0)) / 4).ravel()
_POLAR_W = np.tile(0.5 * _POLAR_WEIGHTS / 4, 4)


def polygon_gaussian_fraction(star_rel, vertices, sigma):
    """Fraction of a normalised 2-D Gaussian inside a convex polygon (polar integration).

    ``star_rel`` (..., 2): the Gaussian's centre relative to the polygon's origin;
    ``vertices`` (m, 2) counter-clockwise. Sum over the edges of the signed triangles
    (centre, v_k, v_k+1), each (1/2π) ∫ (1 - exp(-ρ²/2σ²)) dα in polar coordinates
    about the centre; written along the edge, q(t) = p1 + t (p2 - p1), dα = (p1 × p2) /
    |q|² dt, whose integrand (1 - exp(-|q|²/2σ²)) / |q|² is smooth even for a centre on
    an edge or a vertex (composite Gauss-Legendre, 4 × 8 nodes per edge). An
    integration independent of the tracker's template.
    """
    total = np.zeros(star_rel.shape[:-1])
    for k in range(len(vertices)):
        p1 = vertices[k] - star_rel
        p2 = vertices[(k + 1) % len(vertices)] - star_rel
        cross = p1[..., 0] * p2[..., 1] - p1[..., 1] * p2[..., 0]
        q = p1[..., None, :] + _POLAR_T[:, None] * (p2 - p1)[..., None, :]
        q2 = np.sum(q * q, axis=-1)
        x = 0.5 * q2 / sigma**2
        with np.errstate(divide="ignore", invalid="ignore"):
            f = np.where(x > 1e-12, -np.expm1(-x) / np.where(x > 0, q2, 1.0), 0.5 / sigma**2)
        total += cross * np.sum(f * _POLAR_W, axis=-1) / (2 * np.pi)
    return total


def noisy_images(expected, n_samples, rng):
    """Per-event variance images: the expected variance times the sample-variance scatter."""
    noise = np.sqrt(2.0 / (n_samples - 1))
    return (expected * (1 + noise * rng.standard_normal(expected.shape))).astype(np.float32)


def make_star_field(spec, tel_id, subarray=None):
    """Variance images of one telescope, in memory.

    Returns
    -------
    dict
        ``times`` (Time), ``images`` (n_events, n_pixels), ``expected`` (the
        noise-free images, for :func:`noisy_images` with other seeds), ``pix_lon``/``pix_lat``
        [rad], ``pointing_alt``/``pointing_az`` [rad] (reported), ``stars`` (hip,
        ra, dec, vmag of the stars drawn), ``star_lon``/``star_lat`` [rad]
        (n_stars, n_events; true positions), ``broken`` (bool mask), ``psf_sigma``
        [rad], ``offset`` (δalt, δaz) [arcsec].
    """
    from ctapipe.coordinates import TelescopeFrame
    from ctapipe.utils import get_bright_stars

    subarray = subarray_for(spec.telescopes) if subarray is None else subarray
    kind = spec.telescopes[tel_id]
    defaults = KIND_DEFAULTS[kind]
    rng = np.random.default_rng([spec.seed, tel_id])
    geometry = subarray.tel[tel_id].camera.geometry.transform_to(TelescopeFrame())
    pix_lon = geometry.pix_x.to_value(u.rad)
    pix_lat = geometry.pix_y.to_value(u.rad)
    points = np.column_stack([pix_lon, pix_lat])
    pitch = float(np.min(np.hypot(*(points[1:] - points[0]).T)))
    n_pix = pix_lon.size

    times = event_times(spec)
    alt_r, az_r = reported_pointing(spec, times)
    d_alt, d_az = np.deg2rad(np.asarray(spec.offsets.get(tel_id, (0.0, 0.0))) / 3600.0)
    frame = truth_frame(times, spec)
    true_pointing = SkyCoord(alt=(alt_r + d_alt) * u.rad, az=(az_r + d_az) * u.rad, frame=frame)
    centre = field_centre(spec)
    radius = np.hypot(pix_lon, pix_lat).max() + np.deg2rad(0.5)
    stars = get_bright_stars(
        Time(spec.start), catalog="Hipparcos", pointing=centre, radius=radius * u.rad
    )
    psf = np.deg2rad(defaults["psf_sigma_deg"])
    images = (
        defaults["nsb_variance"] * (1 + spec.baseline_spread * rng.standard_normal(n_pix))[None, :]
    )
    images = np.repeat(images, spec.n_events, axis=0)
    star_lon = np.zeros((len(stars), spec.n_events))
    star_lat = np.zeros((len(stars), spec.n_events))
    if len(stars) and spec.stars:
        if spec.faintest_magnitude is not None:
            stars = stars[np.asarray(stars["Vmag"]) <= spec.faintest_magnitude]
        radec = stars["ra_dec"]
        sep = radec.separation(centre).to_value(u.rad)
        stars = stars[
            sep
            < np.hypot(pix_lon, pix_lat).max() + 5 * np.deg2rad(defaults["psf_sigma_deg"]) + 0.02
        ]
        radec = stars["ra_dec"]
        altaz = SkyCoord(ra=radec.ra[:, None], dec=radec.dec[:, None]).transform_to(frame)
        tel_frame = TelescopeFrame(telescope_pointing=true_pointing, obstime=times, location=SITE)
        cam = altaz.transform_to(tel_frame)
        star_lon = (cam.fov_lon.to_value(u.rad) + np.pi) % (2 * np.pi) - np.pi
        star_lat = cam.fov_lat.to_value(u.rad)
        flux = defaults["flux_v6"] * spec.flux_scale * 10 ** (-0.4 * (stars["Vmag"] - 6.0))
        k = 37
        sx, sy = star_lon.ravel(), star_lat.ravel()
        d2 = (pix_lon[None] - sx[:, None]) ** 2 + (pix_lat[None] - sy[:, None]) ** 2
        near = np.argpartition(d2, k - 1, axis=1)[:, :k]
        if spec.staircase_pixels:  # the old sub-sampled pixel (≈ 1 % off for bright stars)
            offsets = _voronoi_offsets(points, pitch)
            area = np.sqrt(3) / 2 * pitch**2
            dx = pix_lon[near][..., None] + offsets[None, None, :, 0] - sx[:, None, None]
            dy = pix_lat[near][..., None] + offsets[None, None, :, 1] - sy[:, None, None]
            frac = np.exp(-0.5 * (dx**2 + dy**2) / psf**2).mean(axis=-1)
            frac *= area / (2 * np.pi * psf**2)
        else:  # the PSF integrated over each hexagonal pixel (polar quadrature, exact)
            vertices = hexagon_vertices(points, pitch)
            rel = np.stack([sx[:, None] - pix_lon[near], sy[:, None] - pix_lat[near]], axis=-1)
            frac = np.concatenate(
                [
                    polygon_gaussian_fraction(block, vertices, psf)
                    for block in np.array_split(rel, max(1, rel.shape[0] // 2000))
                ]
            )
        amount = frac * np.repeat(np.asarray(flux), spec.n_events)[:, None]
        event = np.tile(np.arange(spec.n_events), len(stars))
        np.add.at(images, (np.repeat(event, k), near.ravel()), amount.ravel())
    broken = np.zeros(n_pix, dtype=bool)
    dead = list(spec.broken_pixels.get(tel_id, []))
    hot = list(spec.hot_pixels.get(tel_id, []))
    images[:, dead] = 0.0
    images[:, hot] *= 200.0
    broken[dead + hot] = True
    return dict(
        times=times,
        expected=images,
        images=noisy_images(images, spec.n_samples, rng),
        pix_lon=pix_lon,
        pix_lat=pix_lat,
        pointing_alt=alt_r,
        pointing_az=az_r,
        stars=stars,
        star_lon=star_lon,
        star_lat=star_lat,
        broken=broken,
        psf_sigma=psf,
        offset=tuple(spec.offsets.get(tel_id, (0.0, 0.0))),
        location=SITE,
    )


def write_star_field(path, spec, write_pointing=True):
    """Write the run as a ctapipe DL1 file of sky-pedestal variance images; return the truth.

    Returns
    -------
    dict
        tel_id -> the :func:`make_star_field` result.
    """
    import tables
    from astropy.table import Table
    from ctapipe.containers import (
        ArrayEventContainer,
        EventIndexContainer,
        EventType,
        TelescopeTriggerContainer,
    )
    from ctapipe.io import write_table
    from synthetic_dl1 import write_events

    subarray = subarray_for(spec.telescopes)
    fields = {t: make_star_field(spec, t, subarray) for t in sorted(spec.telescopes)}
    times = event_times(spec)
    shown = spec.image_telescopes
    written = {t: d for t, d in fields.items() if shown is None or t in shown}

    def events():
        for i in range(spec.n_events):
            event = ArrayEventContainer(count=i)
            event.index = EventIndexContainer(obs_id=spec.obs_id, event_id=i + 1)
            event.trigger.time = times[i]
            event.trigger.event_type = EventType(spec.event_type)
            event.trigger.tels_with_trigger = np.array(sorted(written), dtype=np.int16)
            for tel_id, data in written.items():
                event.trigger.tel[tel_id] = TelescopeTriggerContainer(time=times[i])
                dl1 = event.dl1.tel[tel_id]
                dl1.image = data["images"][i]
                dl1.peak_time = np.zeros_like(data["images"][i])
            yield event

    write_events(
        path,
        subarray,
        spec.obs_id,
        events(),
        "synthetic star field",
        write_dl1_images=True,
        write_dl1_parameters=False,
    )
    if write_pointing:
        end = spec.n_events / spec.rate_hz
        grid = np.arange(-spec.pointing_before_s, end + spec.pointing_after_s, spec.pointing_step_s)
        ptimes = Time(spec.start, scale="utc") + grid * u.s
        alt, az = reported_pointing(spec, ptimes)
        for tel_id in fields:
            table = Table()
            table["time"] = ptimes
            table["azimuth"] = az * u.rad
            table["altitude"] = alt * u.rad
            write_table(table, path, f"/dl0/monitoring/telescope/pointing/tel_{tel_id:03d}")
    with tables.open_file(str(path), "r"):
        pass
    return fields


def write_star_field_r1(path, spec, n_samples=20):
    """Write the run as R1 waveforms of sky-pedestal events (the input of ``ctapipe-process``).

    Each pixel's samples are Gaussian with the variance of :func:`make_star_field`'s
    noise-free image (so ``VarianceExtractor`` gives the variance images back, with the
    sample-variance scatter of ``n_samples`` samples); the drive pointing is written at
    ``/dl0/monitoring/telescope/pointing/tel_NNN``. Returns the :func:`make_star_field`
    results by tel_id.
    """
    from astropy.table import Table
    from ctapipe.containers import (
        ArrayEventContainer,
        EventIndexContainer,
        EventType,
        TelescopeTriggerContainer,
    )
    from ctapipe.io import write_table
    from synthetic_dl1 import write_events

    subarray = subarray_for(spec.telescopes)
    fields = {t: make_star_field(spec, t, subarray) for t in sorted(spec.telescopes)}
    times = event_times(spec)
    rng = np.random.default_rng([spec.seed, 99])

    def events():
        for i in range(spec.n_events):
            event = ArrayEventContainer(count=i)
            event.index = EventIndexContainer(obs_id=spec.obs_id, event_id=i + 1)
            event.trigger.time = times[i]
            event.trigger.event_type = EventType(spec.event_type)
            event.trigger.tels_with_trigger = np.array(sorted(fields), dtype=np.int16)
            for tel_id, data in fields.items():
                event.trigger.tel[tel_id] = TelescopeTriggerContainer(time=times[i])
                sigma = np.sqrt(np.clip(data["expected"][i], 0, None))
                n_pix = sigma.size
                noise = rng.standard_normal((1, n_pix, n_samples))
                r1 = event.r1.tel[tel_id]
                r1.waveform = (noise * sigma[None, :, None]).astype(np.float32)
                r1.selected_gain_channel = None
                # DVR_0 | HIGH_GAIN_STORED
                r1.pixel_status = np.full(n_pix, 5, dtype=np.uint8)
            yield event

    write_events(
        path,
        subarray,
        spec.obs_id,
        events(),
        "synthetic star field R1",
        datalevel="R1",
        write_r1_waveforms=True,
    )
    end = spec.n_events / spec.rate_hz
    grid = np.arange(-spec.pointing_before_s, end + spec.pointing_after_s, spec.pointing_step_s)
    ptimes = Time(spec.start, scale="utc") + grid * u.s
    alt, az = reported_pointing(spec, ptimes)
    for tel_id in fields:
        table = Table({"time": ptimes, "azimuth": az * u.rad, "altitude": alt * u.rad})
        write_table(table, path, f"/dl0/monitoring/telescope/pointing/tel_{tel_id:03d}")
    return fields
