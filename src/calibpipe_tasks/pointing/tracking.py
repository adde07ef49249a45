"""Star tracking of one telescope: chunks, stacks, expected stars, measured positions.

Ties together :mod:`.expected_stars`, :mod:`.star_positions` and
:mod:`.correction_fit` for the variance images of one telescope (numpy/astropy in
and out; the step ``track-stars`` reads the files, ``fit-pointing`` fits the
table this returns).
"""

from dataclasses import dataclass

import numpy as np

from .expected_stars import apparent_altaz, blended_with_brighter, select_catalogue_stars
from .star_positions import (
    FLAG_BLENDED,
    FLAG_OK,
    baseline_spread,
    broken_pixels,
    fit_star_images,
    geometric_flags,
    hexagon_orientation,
    pixel_pitch,
    pixel_subsamples,
    stack_images,
)
from .telescope_frame import telescope_frame_offsets


@dataclass(frozen=True)
class TrackingSettings:
    """Options of the star tracking of one telescope type.

    Attributes
    ----------
    magnitude_limit : float
        Faintest catalogue magnitude tracked.
    field_radius_deg : float or None
        Catalogue search radius around the pointing (None: the camera's radius).
    psf_sigma_deg : float
        Gaussian PSF standard deviation of the fit template.
    stack_size : int or None
        Consecutive events averaged into one measurement (None: the whole chunk).
    window_pixels : int
        Pixels fitted around each star.
    min_snr : float
        Minimum significance of a star's amplitude.
    blend_radius_pitch : float
        Two stars closer than this many pixel pitches are blended.
    blend_delta_magnitude : float
        Neighbours up to this much fainter count for blending.
    hot_factor : float
        Pixels with median variance above this times the camera median are broken.
    model_error : float
        Relative error of the PSF template added to each pixel's error in the star
        fit (:func:`~.star_positions.fit_star_images`; default 0, see there).
    scale_by_chi2 : bool
        Scale each star's position covariance by its χ²/ndf where that exceeds 1.
    neighbour_sigma : float or None
        Window pixels lit by a known fainter neighbour star (expected excess above
        this many pixel errors) are left out of the star's fit; None: not done.
    """

    magnitude_limit: float = 7.5
    field_radius_deg: float | None = None
    psf_sigma_deg: float = 0.04
    stack_size: int | None = None
    window_pixels: int = 19
    min_snr: float = 5.0
    blend_radius_pitch: float = 3.0
    blend_delta_magnitude: float = 2.5
    hot_factor: float = 50.0
    model_error: float = 0.0
    scale_by_chi2: bool = True
    neighbour_sigma: float | None = 0.5


def chunk_indices(times_mjd, chunk_duration_s, origin_mjd=None):
    """Chunk number of each event: time bins of ``chunk_duration_s`` from ``origin_mjd``."""
    times_mjd = np.asarray(times_mjd, float)
    if times_mjd.size == 0:
        return np.zeros(0, dtype=np.int64)
    origin = times_mjd.min() if origin_mjd is None else origin_mjd
    return np.floor((times_mjd - origin) * 86400.0 / chunk_duration_s + 1e-9).astype(np.int64)


def _mean_angle(values, groups, n_groups):
    s = np.bincount(groups, np.sin(values), n_groups)
    c = np.bincount(groups, np.cos(values), n_groups)
    return np.arctan2(s, c)


def track_chunk(
    images,
    times,
    pointing_alt,
    pointing_az,
    pix_lon,
    pix_lat,
    catalogue,
    location,
    weather,
    settings,
    usable=None,
):
    """Expected and measured star positions in one chunk of variance images.

    Parameters
    ----------
    images : ndarray, shape (n_events, n_pixels)
        Variance images (DL1 images of sky-pedestal events), time-ordered.
    times : astropy.time.Time, shape (n_events,)
    pointing_alt, pointing_az : ndarray, shape (n_events,)
        Reported pointing at the events [rad].
    pix_lon, pix_lat : ndarray, shape (n_pixels,)
        Pixel centres in the TelescopeFrame [rad].
    catalogue : dict
        ``id``, ``ra``, ``dec`` [deg], ``magnitude`` arrays of the catalogue (at the
        epoch of the observation), at least down to ``magnitude_limit +
        blend_delta_magnitude`` for the blending test.
    location : astropy.coordinates.EarthLocation
    weather : calibpipe_tasks.pointing.refraction.SiteWeather
    settings : TrackingSettings
    usable : ndarray of bool, optional
        Known good pixels (default: all); pixels found broken in the chunk are removed.

    Returns
    -------
    dict of ndarray
        One entry per (star, stack): ``star_id``, ``ra``, ``dec``, ``magnitude``,
        ``stack``, ``time_mjd`` (TAI), ``n_events``, ``star_alt``, ``star_az``,
        ``pointing_alt``, ``pointing_az``, ``expected_lon``, ``expected_lat`` [rad],
        the :func:`~.star_positions.fit_star_images` results and ``flag``; plus
        ``n_broken_pixels`` (int) and ``n_catalogue`` (stars expected in the field).
    """
    from astropy.coordinates import AltAz, SkyCoord
    from astropy.time import Time

    images = np.asarray(images, float)
    usable = np.ones(images.shape[1], bool) if usable is None else np.asarray(usable, bool)
    usable = usable & ~broken_pixels(images, settings.hot_factor)
    pitch = pixel_pitch(pix_lon, pix_lat)
    mean, error, stack_of_event = stack_images(images, settings.stack_size)
    spread = baseline_spread(images, usable)
    error = np.sqrt(error**2 + spread**2)
    n_stacks = mean.shape[0]
    counts = np.bincount(stack_of_event, minlength=n_stacks)
    mjd = times.tai.mjd
    stack_mjd = np.bincount(stack_of_event, mjd, n_stacks) / counts
    stack_alt = np.bincount(stack_of_event, pointing_alt, n_stacks) / counts
    stack_az = _mean_angle(pointing_az, stack_of_event, n_stacks) % (2 * np.pi)
    stack_times = Time(stack_mjd, format="mjd", scale="tai")

    # field centre: the reported pointing at the middle of the chunk, in ICRS
    middle = n_stacks // 2
    frame = AltAz(obstime=stack_times[middle], location=location)
    centre = SkyCoord(alt=stack_alt[middle], az=stack_az[middle], unit="rad", frame=frame).icrs
    camera_radius = float(np.hypot(pix_lon, pix_lat).max())
    radius_deg = (
        np.rad2deg(camera_radius)
        if settings.field_radius_deg is None
        else settings.field_radius_deg
    )
    faint_limit = settings.magnitude_limit + settings.blend_delta_magnitude
    candidates = select_catalogue_stars(
        catalogue["ra"],
        catalogue["dec"],
        catalogue["magnitude"],
        centre.ra.deg,
        centre.dec.deg,
        radius_deg + 0.5,
        faint_limit,
    )
    tracked = candidates[np.asarray(catalogue["magnitude"])[candidates] <= settings.magnitude_limit]
    ra = np.asarray(catalogue["ra"], float)
    dec = np.asarray(catalogue["dec"], float)
    mag = np.asarray(catalogue["magnitude"], float)
    star_alt, star_az = apparent_altaz(
        ra[candidates], dec[candidates], stack_times, location, weather
    )
    lon, lat = telescope_frame_offsets(star_alt, star_az, stack_alt[None], stack_az[None])
    is_tracked = np.isin(candidates, tracked)
    in_radius = np.any(np.hypot(lon, lat) <= np.deg2rad(radius_deg), axis=1)
    keep = is_tracked & in_radius
    n_keep = int(keep.sum())
    e_lon, e_lat = lon[keep], lat[keep]

    flags = geometric_flags(e_lon, e_lat, pix_lon, pix_lat, usable, pitch)
    blended = blended_with_brighter(
        e_lon,
        e_lat,
        mag[candidates][keep],
        lon,
        lat,
        mag[candidates],
        settings.blend_radius_pitch * pitch,
        settings.blend_delta_magnitude,
    )
    flags = np.where((flags == FLAG_OK) & blended, FLAG_BLENDED, flags)
    offsets = pixel_subsamples(pix_lon, pix_lat, pitch)
    fits = fit_star_images(
        mean,
        error,
        usable,
        pix_lon,
        pix_lat,
        e_lon,
        e_lat,
        np.deg2rad(settings.psf_sigma_deg),
        pitch,
        offsets,
        hexagon_theta=hexagon_orientation(pix_lon, pix_lat, pitch),
        window_pixels=settings.window_pixels,
        min_snr=settings.min_snr,
        model_error=settings.model_error,
        scale_by_chi2=settings.scale_by_chi2,
        magnitude=mag[candidates][keep],
        neighbours=None
        if settings.neighbour_sigma is None
        else (lon, lat, mag[candidates], np.flatnonzero(keep)),
        neighbour_sigma=settings.neighbour_sigma or 0.0,
        flux_reference=flags == FLAG_OK,
    )
    flags = np.where(flags == FLAG_OK, fits.pop("flag"), flags)

    def per_star(values):
        return np.repeat(np.asarray(values)[keep], n_stacks)

    def per_stack(values):
        return np.tile(np.asarray(values), n_keep)

    out = {
        "star_id": per_star(np.asarray(catalogue["id"])[candidates]),
        "ra": per_star(ra[candidates]),
        "dec": per_star(dec[candidates]),
        "magnitude": per_star(mag[candidates]),
        "stack": per_stack(np.arange(n_stacks)),
        "time_mjd": per_stack(stack_mjd),
        "n_events": per_stack(counts),
        "star_alt": star_alt[keep].ravel(),
        "star_az": star_az[keep].ravel(),
        "pointing_alt": per_stack(stack_alt),
        "pointing_az": per_stack(stack_az),
        "expected_lon": e_lon.ravel(),
        "expected_lat": e_lat.ravel(),
    }
    out.update({k: v.ravel() for k, v in fits.items()})
    out["flag"] = flags.ravel().astype(np.int16)
    out["n_broken_pixels"] = int(np.count_nonzero(~usable))
    out["baseline_spread"] = spread
    out["n_catalogue"] = n_keep
    return out
