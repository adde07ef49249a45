"""Read sky-pedestal variance images and drive pointing; write the star-tracking tables.

Input: a ctapipe DL1 file as ``ctapipe-process`` writes it with the
``VarianceExtractor`` (DL1 images are pixel waveform variances), events of type
``SKY_PEDESTAL`` (5; ``/dl1/event/subarray/trigger`` ``event_type``), the drive
pointing at ``/dl0/monitoring/telescope/pointing/tel_NNN`` read through ctapipe's
:class:`~ctapipe.monitoring.PointingInterpolator`.

Output groups (new files; inputs are never modified): the measured star positions
at ``/dl1/monitoring/telescope/pointing/star_positions/tel_NNN`` and the chunks at
``/dl1/monitoring/telescope/pointing/star_chunks/tel_NNN`` (``track-stars``); the
corrections at ctapipe's ``DL1_TEL_STAR_TRACKING_GROUP``,
``/dl1/monitoring/telescope/pointing/star_tracking/tel_NNN`` (``fit-pointing``).
"""

import numpy as np

from ..errors import InputDataError
from .dl1_files import IMAGES_GROUP
from .muon_tables import SUBARRAY_LAYOUT, open_checked

POINTING_GROUP = "/dl0/monitoring/telescope/pointing"
SUBARRAY_TRIGGER = "/dl1/event/subarray/trigger"
STAR_POSITIONS_GROUP = "/dl1/monitoring/telescope/pointing/star_positions"
STAR_CHUNKS_GROUP = "/dl1/monitoring/telescope/pointing/star_chunks"
STAR_TRACKING_GROUP = "/dl1/monitoring/telescope/pointing/star_tracking"
SKY_PEDESTAL = 5


def read_variance_images(path, pointing_path=None):
    """Sky-pedestal variance images per telescope and the drive pointing at their times.

    Parameters
    ----------
    path : pathlib.Path
        The DL1 file of variance images.
    pointing_path : pathlib.Path, optional
        File holding ``/dl0/monitoring/telescope/pointing/tel_NNN`` (default: ``path``;
        ``ctapipe-process`` does not copy it, so give its input file here).

    Returns
    -------
    subarray : ctapipe.instrument.SubarrayDescription
    telescopes : dict
        tel_id -> dict(``times`` (Time, sorted), ``images`` (n_events, n_pixels),
        ``pointing_alt``, ``pointing_az`` [rad]).
    skipped : list of int
        Telescopes of the subarray without images.

    Raises
    ------
    InputDataError
        No subarray, no images, no sky-pedestal events, no pointing table for a
        telescope with images, or a pointing table that does not cover the events.
    """
    import astropy.units as u
    import tables
    from astropy.table import join
    from ctapipe.instrument import SubarrayDescription
    from ctapipe.io import read_table
    from ctapipe.monitoring import PointingInterpolator

    pointing_path = path if pointing_path is None else pointing_path
    with open_checked(pointing_path) as h5:
        pointing_tels = (
            {int(n[4:]) for n in h5.get_node(POINTING_GROUP)._v_children}
            if POINTING_GROUP in h5
            else set()
        )
    with open_checked(path) as h5:
        if SUBARRAY_LAYOUT not in h5:
            raise InputDataError(path, f"no subarray description ({SUBARRAY_LAYOUT})")
        if IMAGES_GROUP not in h5 or not len(h5.get_node(IMAGES_GROUP)._v_children):
            raise InputDataError(path, f"no DL1 variance images ({IMAGES_GROUP}/tel_NNN)")
        if SUBARRAY_TRIGGER not in h5:
            raise InputDataError(path, f"no trigger table ({SUBARRAY_TRIGGER})")
        image_tels = sorted(int(n[4:]) for n in h5.get_node(IMAGES_GROUP)._v_children)
    subarray = SubarrayDescription.from_hdf(path)
    trigger = read_table(path, SUBARRAY_TRIGGER)
    if "event_type" not in trigger.colnames:
        raise InputDataError(path, f"{SUBARRAY_TRIGGER} has no event_type column")
    trigger = trigger[np.asarray(trigger["event_type"]) == SKY_PEDESTAL]
    if len(trigger) == 0:
        raise InputDataError(path, "no sky-pedestal events (event type 5) in the file")
    telescopes = {}
    with tables.open_file(str(path)) as h5, tables.open_file(str(pointing_path)) as h5p:
        interpolator = PointingInterpolator(h5file=h5p, bounds_error=True)
        for tel_id in image_tels:
            images = read_table(h5, f"{IMAGES_GROUP}/tel_{tel_id:03d}")
            rows = join(images, trigger["obs_id", "event_id", "time"], keys=["obs_id", "event_id"])
            if len(rows) == 0:
                continue
            if tel_id not in pointing_tels:
                raise InputDataError(path, f"no pointing table {POINTING_GROUP}/tel_{tel_id:03d}")
            rows.sort("time")
            times = rows["time"]
            try:
                alt, az = interpolator(tel_id, times)
            except ValueError as err:
                raise InputDataError(
                    pointing_path,
                    f"pointing table {POINTING_GROUP}/tel_{tel_id:03d} does not cover "
                    f"the events ({times[0].isot} .. {times[-1].isot}): {err}",
                ) from None
            image = np.asarray(rows["image"], dtype=float)
            if image.ndim == 3:  # (events, gain channels, pixels): the first (high) gain
                image = image[:, 0, :]
            telescopes[tel_id] = dict(
                times=times,
                images=image,
                pointing_alt=np.asarray(alt.to_value(u.rad), float),
                pointing_az=np.asarray(az.to_value(u.rad), float) % (2 * np.pi),
            )
    if not telescopes:
        raise InputDataError(path, "no telescope has images of sky-pedestal events")
    skipped = [t for t in subarray.tel_ids if t not in telescopes]
    return subarray, telescopes, skipped


def read_catalogue(name, time):
    """ctapipe's bundled star catalogue (offline) with proper motion applied at ``time``.

    Returns
    -------
    dict
        ``id``, ``ra``, ``dec`` [deg], ``magnitude`` (V).
    """
    import warnings

    from ctapipe.utils import get_bright_stars

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # ERFA on stars without parallax
        stars = get_bright_stars(time, catalog=name)
    ids = np.asarray(stars["HIP"] if "HIP" in stars.colnames else np.arange(len(stars)))
    ra, dec = stars["ra_dec"].ra.deg, stars["ra_dec"].dec.deg
    good = np.isfinite(ra) & np.isfinite(dec)
    return dict(
        id=ids[good].astype(np.int64),
        ra=np.asarray(ra)[good],
        dec=np.asarray(dec)[good],
        magnitude=np.asarray(stars["Vmag"], float)[good],
    )


def site_weather_from_meteo(table, location, time, source):
    """Site pressure/temperature from an ``ingest-meteo`` table: grid point nearest the site,
    analysis time nearest ``time``, interpolated to the site's altitude."""
    from ..pointing.refraction import weather_from_profile

    lat = np.asarray(table["latitude"], float)
    lon = np.asarray(table["longitude"], float)
    dist = (lat - location.lat.deg) ** 2 + (
        ((lon - location.lon.deg + 180) % 360 - 180) * np.cos(np.deg2rad(location.lat.deg))
    ) ** 2
    point = dist == dist.min()
    mjd = table["time"].mjd
    dt = np.abs(mjd - time.mjd)
    at = point & (dt == dt[point].min())
    return weather_from_profile(
        location.height.to_value("m"),
        np.asarray(table["altitude"], float)[at],
        np.asarray(table["pressure"], float)[at],
        np.asarray(table["temperature"], float)[at],
        np.asarray(table["relative_humidity"], float)[at],
        source=source,
    )
