"""Catalogue stars expected in a telescope's field and their predicted tracks in the camera.

The catalogue (ctapipe's bundled Hipparcos or Yale bright-star catalogue, read by
:mod:`calibpipe_tasks.io.star_catalogue`) is cut here by magnitude and by the
angular distance from the field centre. Apparent (observed) AltAz positions come
from astropy's ICRS -> AltAz transformation with atmospheric refraction for the
site's pressure, temperature and humidity (ERFA ``atco13``); the camera positions
from :func:`~.telescope_frame.telescope_frame_offsets`.
"""

import numpy as np


def select_catalogue_stars(
    ra_deg, dec_deg, magnitude, centre_ra_deg, centre_dec_deg, radius_deg, magnitude_limit
):
    """Indices of the catalogue stars brighter than ``magnitude_limit`` within ``radius_deg``.

    Parameters
    ----------
    ra_deg, dec_deg, magnitude : array_like
        The catalogue (ICRS, at the epoch of observation).
    centre_ra_deg, centre_dec_deg : float
        Field centre (ICRS).
    radius_deg : float
        Field radius.
    magnitude_limit : float
        Faintest magnitude kept.

    Returns
    -------
    ndarray of int
        Indices, brightest first.
    """
    ra, dec = np.deg2rad(ra_deg), np.deg2rad(dec_deg)
    ra0, dec0 = np.deg2rad(centre_ra_deg), np.deg2rad(centre_dec_deg)
    cos_d = np.sin(dec) * np.sin(dec0) + np.cos(dec) * np.cos(dec0) * np.cos(ra - ra0)
    inside = cos_d >= np.cos(np.deg2rad(radius_deg))
    keep = np.flatnonzero(inside & (np.asarray(magnitude) <= magnitude_limit))
    return keep[np.argsort(np.asarray(magnitude)[keep], kind="stable")]


def apparent_altaz(ra_deg, dec_deg, times, location, weather, wavelength_um=0.4):
    """Observed AltAz of stars at times, with atmospheric refraction.

    Parameters
    ----------
    ra_deg, dec_deg : array_like, shape (n_stars,)
        ICRS positions.
    times : astropy.time.Time, shape (n_times,)
    location : astropy.coordinates.EarthLocation
    weather : calibpipe_tasks.pointing.refraction.SiteWeather
        Pressure 0 switches refraction off.
    wavelength_um : float
        Effective wavelength of the refraction [µm] (Cherenkov cameras: blue, 0.4 µm).

    Returns
    -------
    alt, az : ndarray, shape (n_stars, n_times)
        Apparent altitude and azimuth [rad].
    """
    import astropy.units as u
    from astropy.coordinates import SkyCoord

    stars = SkyCoord(
        ra=np.asarray(ra_deg, float)[:, None] * u.deg,
        dec=np.asarray(dec_deg, float)[:, None] * u.deg,
        frame="icrs",
    )
    frame = altaz_frame(times, location, weather, wavelength_um)
    altaz = stars.transform_to(frame)
    return altaz.alt.to_value(u.rad), altaz.az.to_value(u.rad)


def altaz_frame(times, location, weather, wavelength_um=0.4):
    """The astropy AltAz frame with the refraction of ``weather``."""
    import astropy.units as u
    from astropy.coordinates import AltAz

    return AltAz(
        obstime=times,
        location=location,
        pressure=weather.pressure_hpa * u.hPa,
        temperature=weather.temperature_c * u.deg_C,
        relative_humidity=weather.relative_humidity,
        obswl=wavelength_um * u.um,
    )


def blended_with_brighter(
    lon,
    lat,
    magnitude,
    neighbour_lon,
    neighbour_lat,
    neighbour_magnitude,
    radius,
    delta_magnitude=2.5,
):
    """True for stars with another star within ``radius`` not fainter than ``delta_magnitude``.

    Parameters
    ----------
    lon, lat : ndarray, shape (n_stars, ...)
        Positions of the tracked stars [rad].
    magnitude : ndarray, shape (n_stars,)
    neighbour_lon, neighbour_lat : ndarray, shape (n_neighbours, ...)
        Positions of all catalogue stars that could disturb (the tracked ones included).
    neighbour_magnitude : ndarray, shape (n_neighbours,)
    radius : float
        Blending distance [rad].
    delta_magnitude : float
        A neighbour up to this much fainter counts (2.5 mag: 10 % of the flux).

    Returns
    -------
    ndarray of bool, shape of ``lon``
    """
    dlon = lon[:, None] - neighbour_lon[None]
    dlat = lat[:, None] - neighbour_lat[None]
    close = np.hypot(dlon * np.cos(lat[:, None]), dlat) < radius
    close &= np.hypot(dlon, dlat) > 1e-9  # the star itself
    bright = neighbour_magnitude[None, :] <= np.asarray(magnitude)[:, None] + delta_magnitude
    bright = bright.reshape(bright.shape + (1,) * (close.ndim - 2))
    return np.any(close & bright, axis=1)
