"""Pixel pedestal noise for the muon intensity likelihood.

ctapipe's muon intensity fit (Chalme-Calvet et al. 2013, arXiv:1403.4550,
Eq. 4; ctapipe's ``neg_log_likelihood_approx``) models each pixel's charge
``q`` [p.e.] given the predicted ring light ``mu`` as a Gaussian of variance

    sigma^2 = sigma_ped^2 + mu (1 + sigma_spe^2),

where ``sigma_ped`` is the pixel's **pedestal noise** in p.e. (night-sky
background and electronics in the extraction window). A ``sigma_ped`` that is
too small makes the fit pull the efficiency towards the noise fluctuations of
the many pixels with little ring light: on a toy camera with a true 1.12 p.e.
noise, assuming 0.56 biased every fitted efficiency by about +2 %.

Two sources of ``sigma_ped`` besides one number per run:

* the camera calibration product (``compute-camera-coefficients``): per pixel
  and chunk, ``pedestal_noise_pe`` = sky-pedestal charge standard deviation x
  ``factor`` (p.e.); the row valid at an event is the last one whose validity
  start is not later than the event (:func:`rows_at`);
* the image itself: the spread of the pixels far from the fitted ring, which
  hold only noise (:func:`far_pixel_noise`).

Pure numpy, no ctapipe.
"""

import numpy as np

#: far from the ring: |distance to the ring centre - radius| above this fraction of the radius
#: (ctapipe's intensity fit uses the pixels within 0.4 radius of the ring)
FAR_FRACTION = 0.5
#: fewest far pixels for an image estimate
MIN_FAR_PIXELS = 30
#: far pixels more than this many robust sigmas from their median are not noise (stars, a
#: second ring, a shower)
CLIP_N_SIGMA = 8.0
#: standard deviation of a Gaussian per median absolute deviation
MAD_TO_SIGMA = 1.482602218505602


def rows_at(starts, times):
    """Index of the row valid at each time: the last ``starts <= time`` (the first if earlier).

    Parameters
    ----------
    starts : ndarray
        Validity starts of the rows, increasing (any time scale, same as ``times``).
    times : ndarray or float
        Times to look up.

    Returns
    -------
    ndarray of int
        Row indices, ``0 <= index < len(starts)``.
    """
    starts = np.asarray(starts, dtype=float)
    index = np.searchsorted(starts, np.asarray(times, dtype=float), side="right") - 1
    return np.clip(index, 0, len(starts) - 1)


def far_pixel_noise(image, pix_x, pix_y, center_x, center_y, radius, far_fraction=FAR_FRACTION):
    """Pedestal noise [p.e.] of one image from the pixels far from its ring.

    Pixels whose distance from the ring centre differs from the radius by more
    than ``far_fraction * radius`` carry no ring light; their charges are
    clipped at :data:`CLIP_N_SIGMA` robust sigmas around their median (stars,
    other light) and their standard deviation is the estimate.

    Parameters
    ----------
    image : ndarray
        Pixel charges [p.e.], shape ``(n_pixels,)``.
    pix_x, pix_y : ndarray
        Pixel positions in the frame of the ring (e.g. telescope frame, rad).
    center_x, center_y, radius : float
        Ring centre and radius, same unit as the pixel positions.
    far_fraction : float
        See above.

    Returns
    -------
    tuple of (float, int)
        The noise estimate (NaN with fewer than :data:`MIN_FAR_PIXELS` far
        pixels or a non-finite ring) and the number of pixels used.
    """
    image = np.asarray(image, dtype=float)
    distance = np.hypot(np.asarray(pix_x) - center_x, np.asarray(pix_y) - center_y)
    far = (np.abs(distance - radius) > far_fraction * radius) & np.isfinite(image)
    values = image[far]
    if values.size < MIN_FAR_PIXELS or not np.isfinite(radius):
        return np.nan, int(values.size)
    median = np.median(values)
    robust = MAD_TO_SIGMA * np.median(np.abs(values - median))
    if robust > 0:
        values = values[np.abs(values - median) <= CLIP_N_SIGMA * robust]
    if values.size < MIN_FAR_PIXELS:
        return np.nan, int(values.size)
    return float(np.std(values, ddof=1)), int(values.size)


class PedestalNoise:
    """Where the muon fit takes each pixel's pedestal noise from (picklable).

    Parameters
    ----------
    source : {"fixed", "camera_coefficients", "image"}
        ``fixed``: the one number given (ctapipe's ``MuonProcessor.pedestal``);
        ``camera_coefficients``: per pixel and chunk from ``tables``;
        ``image``: estimated per image from the pixels far from the ring
        (:func:`far_pixel_noise`), the fixed number where that fails.
    fixed : float
        The fixed noise [p.e.].
    tables : dict, optional
        For ``camera_coefficients``: ``tel_id -> (starts, noise)`` with the
        validity starts (TAI MJD, increasing) and the noise [p.e.] of shape
        ``(n_rows, n_pixels)``.
    """

    SOURCES = ("fixed", "camera_coefficients", "image")

    def __init__(self, source="fixed", fixed=1.1, tables=None):
        if source not in self.SOURCES:
            raise ValueError(f"unknown pedestal source {source!r}")
        if source == "camera_coefficients" and not tables:
            raise ValueError("camera_coefficients needs the coefficient tables")
        self.source = source
        self.fixed = float(fixed)
        self.tables = tables or {}

    def for_event(self, tel_id, time_mjd_tai, n_pixels):
        """Per-pixel noise [p.e.] of ``tel_id`` at a time, before the ring is known.

        Returns ``None`` for the ``image`` source (known only with the ring).
        """
        if self.source == "fixed":
            return np.full(n_pixels, self.fixed)
        if self.source == "image":
            return None
        starts, noise = self.tables[tel_id]
        return noise[int(rows_at(starts, time_mjd_tai))]

    def for_ring(self, image, pix_x, pix_y, center_x, center_y, radius):
        """Per-pixel noise [p.e.] of one image for the ``image`` source (fixed as fallback).

        Returns
        -------
        tuple of (ndarray, bool)
            The noise per pixel and whether the image estimate was used.
        """
        noise, _ = far_pixel_noise(image, pix_x, pix_y, center_x, center_y, radius)
        used = bool(np.isfinite(noise) and noise > 0)
        return np.full(np.shape(image), noise if used else self.fixed), used
