"""Astronomical night at a site: the Sun more than 18 degrees below the horizon.

The Sun's apparent altitude (geocentric apparent position from
:func:`astropy.coordinates.get_sun`, transformed to the site's horizontal frame,
no refraction) is sampled every ``coarse_step`` over the 24 hours that start at
local mean noon of the date; the two crossings of -18 degrees (dusk, then dawn)
are then refined on a one-second grid inside the bracketing samples. The result
is good to about a second, far below the 1-6 hour spacing of meteorological data.

Astropy needs Earth-orientation data (IERS) for the horizontal frame; nothing is
downloaded: :func:`offline_iers` makes astropy use the tables it ships with.
"""

import datetime

import numpy as np

#: Sun altitude [deg] that ends/starts astronomical twilight
ASTRONOMICAL_TWILIGHT_DEG = -18.0


def offline_iers():
    """Make astropy use its bundled IERS tables, never the network (idempotent)."""
    from astropy.utils import iers

    iers.conf.auto_download = False
    iers.conf.auto_max_age = None
    iers.conf.iers_degraded_accuracy = "ignore"


def sun_altitude(times_unix, latitude_deg, longitude_deg, altitude_m):
    """Apparent altitude of the Sun's centre [deg] (no refraction) at a site.

    Parameters
    ----------
    times_unix : array_like
        UTC instants as seconds since 1970-01-01 (POSIX time).
    latitude_deg, longitude_deg, altitude_m : float
        Geodetic site coordinates (WGS84), east longitude positive.

    Returns
    -------
    ndarray
        Altitude of the Sun above the horizon in degrees, one per time.
    """
    import warnings

    import astropy.units as u
    from astropy.coordinates import AltAz, EarthLocation, get_sun
    from astropy.time import Time
    from astropy.utils.exceptions import AstropyWarning

    offline_iers()
    times = Time(np.asarray(times_unix, dtype=float), format="unix", scale="utc")
    location = EarthLocation.from_geodetic(
        longitude_deg * u.deg, latitude_deg * u.deg, altitude_m * u.m
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AstropyWarning)
        altaz = get_sun(times).transform_to(AltAz(obstime=times, location=location))
    return np.asarray(altaz.alt.to_value(u.deg))


def _unix(dt):
    return dt.replace(tzinfo=datetime.UTC).timestamp()


def _refine(t0, t1, latitude_deg, longitude_deg, altitude_m, threshold):
    """First second in [t0, t1] at which the Sun's altitude is on the other side of threshold."""
    seconds = np.arange(t0, t1 + 1.0, 1.0)
    alt = sun_altitude(seconds, latitude_deg, longitude_deg, altitude_m)
    below0 = alt[0] < threshold
    changed = np.nonzero((alt < threshold) != below0)[0]
    return float(seconds[changed[0]]) if changed.size else float(t1)


def astronomical_night(
    date,
    latitude_deg,
    longitude_deg,
    altitude_m=0.0,
    threshold_deg=ASTRONOMICAL_TWILIGHT_DEG,
    coarse_step_s=600.0,
):
    """Start and end (UTC) of the astronomical night that begins in the evening of ``date``.

    Parameters
    ----------
    date : datetime.date
        Local calendar date of the evening.
    latitude_deg, longitude_deg, altitude_m : float
        Site coordinates (east longitude positive).
    threshold_deg : float
        Sun altitude defining the night (-18 degrees: astronomical twilight).
    coarse_step_s : float
        Sampling step of the first pass [s].

    Returns
    -------
    start, end : datetime.datetime
        Naive UTC datetimes (whole seconds) of the end of evening twilight and
        the start of morning twilight.

    Raises
    ------
    ValueError
        If the Sun does not go below ``threshold_deg`` after local noon of that
        date, or is already below it at local noon (polar day or night).
    """
    # local mean noon of the date, in UTC
    noon = datetime.datetime(date.year, date.month, date.day, 12) - datetime.timedelta(
        hours=longitude_deg / 15.0
    )
    t_noon = float(round(_unix(noon)))
    coarse = t_noon + np.arange(0.0, 86400.0 + coarse_step_s, coarse_step_s)
    alt = sun_altitude(coarse, latitude_deg, longitude_deg, altitude_m)
    below = alt < threshold_deg
    if below[0]:
        raise ValueError(f"the Sun is below {threshold_deg} deg at local noon of {date}")
    dusk_index = np.nonzero(below)[0]
    if dusk_index.size == 0:
        raise ValueError(f"no astronomical night in the evening of {date} (Sun stays above)")
    i = dusk_index[0]
    after = np.nonzero(~below[i:])[0]
    if after.size == 0:
        raise ValueError(f"the night starting on {date} does not end within 24 hours")
    j = i + after[0]
    start = _refine(
        coarse[i - 1], coarse[i], latitude_deg, longitude_deg, altitude_m, threshold_deg
    )
    end = _refine(coarse[j - 1], coarse[j], latitude_deg, longitude_deg, altitude_m, threshold_deg)
    to_dt = datetime.datetime.fromtimestamp
    return (
        to_dt(start, datetime.UTC).replace(tzinfo=None),
        to_dt(end, datetime.UTC).replace(tzinfo=None),
    )


def is_entirely_daytime(
    start, end, latitude_deg, longitude_deg, altitude_m=0.0, threshold_deg=-18.0, step_s=300.0
):
    """True if the Sun stays above ``threshold_deg`` through [start, end] (naive UTC datetimes)."""
    t0, t1 = _unix(start), _unix(end)
    times = np.append(np.arange(t0, t1, step_s), t1)
    alt = sun_altitude(times, latitude_deg, longitude_deg, altitude_m)
    return bool(np.all(alt >= threshold_deg))
