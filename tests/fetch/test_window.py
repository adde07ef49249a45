"""The night window: NOAA's solar formulas against astropy's Sun, and the time grids."""

import datetime

import numpy as np
import pytest

from calibpipe_tasks.fetch.window import (
    MARGIN,
    covering_times,
    estimated_night,
    night_times,
)
from calibpipe_tasks.sites import SITES


def sun_altitude_astropy(when, site):
    import astropy.units as u
    from astropy.coordinates import AltAz, EarthLocation, get_sun
    from astropy.time import Time

    t = Time(when, scale="utc")
    loc = EarthLocation.from_geodetic(site.longitude_deg * u.deg, site.latitude_deg * u.deg, 0)
    return get_sun(t).transform_to(AltAz(obstime=t, location=loc)).alt.deg


@pytest.mark.parametrize("site", ["North", "South"])
@pytest.mark.parametrize("date", ["2024-01-15", "2024-03-20", "2024-06-21", "2024-10-31"])
def test_estimated_twilight_is_at_minus_18_degrees_per_astropy(site, date):
    """Dusk and dawn from the NOAA formulas put astropy's Sun within 0.5 deg of -18 deg."""
    site = SITES[site]
    dusk, dawn = estimated_night(
        datetime.date.fromisoformat(date), site.latitude_deg, site.longitude_deg
    )
    assert dusk < dawn < dusk + datetime.timedelta(hours=14)
    altitudes = sun_altitude_astropy([dusk, dawn], site)
    np.testing.assert_allclose(altitudes, -18.0, atol=0.5)
    # 0.5 deg of solar altitude is well inside the 30 min margin (the Sun moves ~0.2 deg/min)
    assert MARGIN >= datetime.timedelta(minutes=10)


def test_night_belongs_to_the_local_evening_of_the_date():
    south = SITES["South"]  # UTC-4.7 h: the evening of 15 Jan is after midnight UTC
    dusk, _ = estimated_night(datetime.date(2024, 1, 15), south.latitude_deg, south.longitude_deg)
    assert dusk.date() == datetime.date(2024, 1, 16) and dusk.hour < 3


def test_no_astronomical_night_in_polar_summer():
    with pytest.raises(ValueError, match="no astronomical night"):
        estimated_night(datetime.date(2024, 6, 21), 60.0, 10.0)


def test_covering_times_round_outwards():
    t = datetime.datetime
    assert covering_times(t(2024, 1, 15, 19, 28), t(2024, 1, 16, 7, 12), 6) == [
        t(2024, 1, 15, 18),
        t(2024, 1, 16, 0),
        t(2024, 1, 16, 6),
        t(2024, 1, 16, 12),
    ]
    hours = covering_times(t(2024, 1, 15, 22), t(2024, 1, 16, 1), 1)
    assert hours == [t(2024, 1, 15, 22), t(2024, 1, 15, 23), t(2024, 1, 16, 0), t(2024, 1, 16, 1)]


def test_night_times_cover_the_night_with_margin():
    north = SITES["North"]
    date = datetime.date(2024, 1, 15)
    dusk, dawn = estimated_night(date, north.latitude_deg, north.longitude_deg)
    times = night_times(date, north.latitude_deg, north.longitude_deg, 1)
    assert times[0] <= dusk - MARGIN and times[-1] >= dawn + MARGIN
    assert times[1] > dusk - MARGIN and times[-2] < dawn + MARGIN  # no more than needed
