"""AltAz -> TelescopeFrame as plain numpy, with a pointing correction and a camera rotation.

ctapipe's :class:`~ctapipe.coordinates.TelescopeFrame` is a sky-offset frame: a
direction with AltAz unit vector ``v`` has TelescopeFrame unit vector
``R_y(-alt_p) R_z(az_p) v`` (``ctapipe.coordinates.telescope_frame.altaz_to_telescope``,
astropy's passive ``rotation_matrix``), ``fov_lon`` along azimuth and ``fov_lat``
along altitude. The same rotation is written out here so that the correction fit
can evaluate it for thousands of points per iteration without building astropy
frames; ``tests/pointing/test_telescope_frame.py`` checks it against ctapipe.

Convention of the correction: the telescope truly points at
``(alt_p + δalt, az_p + δaz)`` where ``(alt_p, az_p)`` is the reported (drive)
pointing; ``δaz`` is an offset of the azimuth *coordinate* (on the sky it is
``δaz cos(alt)``). A camera rotation ``ρ`` turns the field about the optical axis
(counter-clockwise from +fov_lon towards +fov_lat).
"""

import numpy as np


def wrap_longitude(lon_rad):
    """Wrap angles to [-π, π) (transformed TelescopeFrame longitudes come back in [0, 2π))."""
    return (np.asarray(lon_rad) + np.pi) % (2 * np.pi) - np.pi


def telescope_frame_offsets(star_alt, star_az, pointing_alt, pointing_az, rotation=0.0):
    """Field-of-view coordinates of directions seen by a telescope pointing at (alt, az).

    Parameters
    ----------
    star_alt, star_az : array_like
        Apparent (observed, refracted) AltAz of the stars [rad].
    pointing_alt, pointing_az : array_like
        Where the telescope points [rad]; broadcast against the stars.
    rotation : float or array_like
        Camera rotation about the optical axis [rad].

    Returns
    -------
    fov_lon, fov_lat : ndarray
        TelescopeFrame coordinates [rad], longitude in [-π, π).
    """
    star_alt, star_az = np.asarray(star_alt, float), np.asarray(star_az, float)
    cos_s = np.cos(star_alt)
    x, y, z = cos_s * np.cos(star_az), cos_s * np.sin(star_az), np.sin(star_alt)
    ca, sa = np.cos(pointing_az), np.sin(pointing_az)
    x1 = x * ca + y * sa
    y1 = -x * sa + y * ca
    ce, se = np.cos(pointing_alt), np.sin(pointing_alt)
    x2 = x1 * ce + z * se
    z2 = -x1 * se + z * ce
    cr, sr = np.cos(rotation), np.sin(rotation)
    y3 = y1 * cr - z2 * sr
    z3 = y1 * sr + z2 * cr
    lon = np.arctan2(y3, x2)
    lat = np.arcsin(np.clip(z3, -1.0, 1.0))
    return wrap_longitude(lon), lat
