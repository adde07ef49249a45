"""Which UTC times to download for a night at a site.

The download only has to *cover* the astronomical night (Sun more than 18 degrees
below the horizon): ``ingest-meteo`` cuts the exact night out of the files later.
So the night is estimated here with the low-precision solar formulas of NOAA's
"General Solar Position Calculations" (Fourier series of Spencer 1971 for the
solar declination and the equation of time; good to a few minutes), widened by
:data:`MARGIN` on both sides and rounded outwards to the time step of the data.
"""

import datetime
import math

#: Sun altitude that ends/starts astronomical twilight [deg]
TWILIGHT_ALTITUDE_DEG = -18.0
#: widening of the estimated night on each side (covers the formula's error)
MARGIN = datetime.timedelta(minutes=30)


def _fractional_year(day_of_year, hour_utc):
    """Fractional year gamma [rad] (NOAA, Spencer 1971)."""
    return 2.0 * math.pi / 365.0 * (day_of_year - 1 + (hour_utc - 12.0) / 24.0)


def solar_declination_and_equation_of_time(day_of_year, hour_utc=12.0):
    """Solar declination [rad] and equation of time [min] (Spencer 1971, as given by NOAA).

    Parameters
    ----------
    day_of_year : int
        1 for 1 January.
    hour_utc : float
        Hour of the day (UTC).

    Returns
    -------
    declination_rad, equation_of_time_min : float
    """
    g = _fractional_year(day_of_year, hour_utc)
    eqtime = 229.18 * (
        0.000075
        + 0.001868 * math.cos(g)
        - 0.032077 * math.sin(g)
        - 0.014615 * math.cos(2 * g)
        - 0.040849 * math.sin(2 * g)
    )
    decl = (
        0.006918
        - 0.399912 * math.cos(g)
        + 0.070257 * math.sin(g)
        - 0.006758 * math.cos(2 * g)
        + 0.000907 * math.sin(2 * g)
        - 0.002697 * math.cos(3 * g)
        + 0.00148 * math.sin(3 * g)
    )
    return decl, eqtime


def _hour_angle_deg(latitude_deg, declination_rad, altitude_deg):
    """Hour angle [deg] at which the Sun's centre is at ``altitude_deg``; None if never."""
    phi = math.radians(latitude_deg)
    zenith = math.radians(90.0 - altitude_deg)
    cos_h = math.cos(zenith) / (math.cos(phi) * math.cos(declination_rad)) - math.tan(
        phi
    ) * math.tan(declination_rad)
    if cos_h < -1.0:
        return None  # the Sun never gets that low: no night
    if cos_h > 1.0:
        return 0.0  # the Sun never gets that high: dark all day
    return math.degrees(math.acos(cos_h))


def estimated_night(date, latitude_deg, longitude_deg, altitude_deg=TWILIGHT_ALTITUDE_DEG):
    """Estimated astronomical night (UTC) beginning in the evening of the local date ``date``.

    Dusk: Sun setting through ``altitude_deg`` on ``date``; dawn: rising through it on
    the next day, from the hour angle of that altitude, ``cos H = cos z / (cos(phi)
    cos(delta)) - tan(phi) tan(delta)``, and the equation of time (NOAA's formulas).

    Parameters
    ----------
    date : datetime.date
        Local calendar date of the evening.
    latitude_deg, longitude_deg : float
        Site coordinates, east longitude positive.
    altitude_deg : float
        Solar altitude defining the night.

    Returns
    -------
    dusk, dawn : datetime.datetime
        Naive UTC datetimes.

    Raises
    ------
    ValueError
        If the Sun does not go below ``altitude_deg`` in that night.
    """
    # the local date's evening: the 24 hours from local mean noon of `date`
    midnight_utc = datetime.datetime(date.year, date.month, date.day)
    doy = date.timetuple().tm_yday
    decl, eqt = solar_declination_and_equation_of_time(doy, 18.0 - longitude_deg / 15.0)
    h_dusk = _hour_angle_deg(latitude_deg, decl, altitude_deg)
    next_day = date + datetime.timedelta(days=1)
    decl2, eqt2 = solar_declination_and_equation_of_time(
        next_day.timetuple().tm_yday, 6.0 - longitude_deg / 15.0
    )
    h_dawn = _hour_angle_deg(latitude_deg, decl2, altitude_deg)
    if h_dusk is None or h_dawn is None:
        raise ValueError(
            f"no astronomical night at latitude {latitude_deg:g} deg in the evening of {date}"
        )
    if h_dusk == 0.0:
        h_dusk = 180.0  # dark all day: the night spans noon to noon
    if h_dawn == 0.0:
        h_dawn = 180.0
    dusk_min = 720.0 - 4.0 * (longitude_deg - h_dusk) - eqt
    dawn_min = 1440.0 + 720.0 - 4.0 * (longitude_deg + h_dawn) - eqt2
    dusk = midnight_utc + datetime.timedelta(minutes=dusk_min)
    dawn = midnight_utc + datetime.timedelta(minutes=dawn_min)
    return dusk, dawn


def floor_time(t, step_hours):
    """``t`` rounded down to a multiple of ``step_hours`` hours since midnight."""
    base = t.replace(hour=0, minute=0, second=0, microsecond=0)
    hours = (t - base) // datetime.timedelta(hours=step_hours) * step_hours
    return base + datetime.timedelta(hours=hours)


def ceil_time(t, step_hours):
    """``t`` rounded up to a multiple of ``step_hours`` hours since midnight."""
    down = floor_time(t, step_hours)
    return down if down == t else down + datetime.timedelta(hours=step_hours)


def covering_times(start, end, step_hours):
    """All times on the ``step_hours`` grid from ``floor(start)`` to ``ceil(end)`` inclusive.

    Parameters
    ----------
    start, end : datetime.datetime
        Naive UTC datetimes, ``start <= end``.
    step_hours : int
        Time step of the data (1 for ERA5, 6 for GDAS).

    Returns
    -------
    list of datetime.datetime
    """
    if end < start:
        raise ValueError(f"window end {end} is before its start {start}")
    t, last = floor_time(start, step_hours), ceil_time(end, step_hours)
    step = datetime.timedelta(hours=step_hours)
    times = []
    while t <= last:
        times.append(t)
        t += step
    return times


def night_times(date, latitude_deg, longitude_deg, step_hours):
    """Data times (UTC, on the ``step_hours`` grid) that cover the night of ``date``.

    The estimated night (:func:`estimated_night`) widened by :data:`MARGIN` on each
    side, rounded outwards to the data's time grid.
    """
    dusk, dawn = estimated_night(date, latitude_deg, longitude_deg)
    return covering_times(dusk - MARGIN, dawn + MARGIN, step_hours)
