"""Which UTC times to download for a night at a site.

The download only has to *cover* the astronomical night (Sun more than 18 degrees
below the horizon): ``ingest-meteo`` cuts the exact night out of the files later.
The night comes from :mod:`calibpipe_tasks.atmosphere.night` (astropy), widened
by :data:`MARGIN` on both sides and rounded outwards to the time step of the data.
"""

import datetime

#: widening of the night on each side: the data just outside it bracket the night's first
#: and last hour, which ingest-meteo needs to cut the exact night out of the files
MARGIN = datetime.timedelta(minutes=30)


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

    The astronomical night (:func:`calibpipe_tasks.atmosphere.night.astronomical_night`,
    astropy's Sun) widened by :data:`MARGIN` on each side, rounded outwards to the
    data's time grid.

    Raises
    ------
    ValueError
        If the Sun does not go below -18 degrees that night.
    """
    from ..atmosphere.night import astronomical_night

    dusk, dawn = astronomical_night(date, latitude_deg, longitude_deg)
    return covering_times(dusk - MARGIN, dawn + MARGIN, step_hours)
