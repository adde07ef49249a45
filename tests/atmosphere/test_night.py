"""Astronomical night bounds against an independent evaluation of the Sun's altitude."""

import datetime

import astropy.units as u
import numpy as np
import pytest
from astropy.coordinates import AltAz, EarthLocation, get_body
from astropy.time import Time

from calibpipe_tasks.atmosphere.night import astronomical_night, is_entirely_daytime
from calibpipe_tasks.sites import SITES


def sun_alt_independent(when, site):
    """Sun altitude [deg] with get_body('sun') and a fresh EarthLocation (no code shared)."""
    loc = EarthLocation(
        lat=site.latitude_deg * u.deg, lon=site.longitude_deg * u.deg, height=site.altitude_m * u.m
    )
    t = Time(when, scale="utc")
    return get_body("sun", t, loc).transform_to(AltAz(obstime=t, location=loc)).alt.deg


@pytest.mark.parametrize(
    ("site_name", "date"),
    [
        ("North", "2024-01-15"),
        ("South", "2024-01-15"),
        ("North", "2024-06-21"),
        ("South", "2024-06-21"),
    ],
)
def test_night_bounds_are_sun_at_minus_18_degrees(site_name, date):
    site = SITES[site_name]
    start, end = astronomical_night(
        datetime.date.fromisoformat(date), site.latitude_deg, site.longitude_deg, site.altitude_m
    )
    two_s = datetime.timedelta(seconds=2)
    alts = sun_alt_independent([start - two_s, start + two_s, end - two_s, end + two_s], site)
    assert alts[0] > -18.0 > alts[1]  # dusk: the Sun goes below -18 deg at start
    assert alts[2] < -18.0 < alts[3]  # dawn: it comes back above at end
    assert abs(alts[1] + 18.0) < 0.02 and abs(alts[2] + 18.0) < 0.02
    # the whole night is dark: the Sun stays below -18 deg in between
    mid = [start + (end - start) * f for f in np.linspace(0.05, 0.95, 10)]
    assert np.all(sun_alt_independent(mid, site) < -18.0)
    # it starts in the evening of that local date (local mean time = UTC + lon/15 h)
    local_start = start + datetime.timedelta(hours=site.longitude_deg / 15.0)
    assert local_start.date().isoformat() == date and 18 <= local_start.hour <= 23


def test_winter_nights_are_longer_than_summer_nights():
    lengths = {}
    for site_name, date in [
        ("North", "2024-01-15"),
        ("North", "2024-06-21"),
        ("South", "2024-01-15"),
    ]:
        site = SITES[site_name]
        start, end = astronomical_night(
            datetime.date.fromisoformat(date), site.latitude_deg, site.longitude_deg
        )
        lengths[(site_name, date)] = (end - start).total_seconds() / 3600
    assert lengths[("North", "2024-01-15")] > 10.0 > 8.0 > lengths[("North", "2024-06-21")]
    assert lengths[("South", "2024-01-15")] < 8.0  # southern summer


def test_no_astronomical_night_in_polar_summer():
    with pytest.raises(ValueError, match="no astronomical night"):
        astronomical_night(datetime.date(2024, 6, 21), 70.0, 20.0)


def test_daytime_window():
    north = SITES["North"]
    day = (datetime.datetime(2024, 1, 15, 10), datetime.datetime(2024, 1, 15, 17))
    evening = (datetime.datetime(2024, 1, 15, 17), datetime.datetime(2024, 1, 15, 21))
    assert is_entirely_daytime(*day, north.latitude_deg, north.longitude_deg)
    assert not is_entirely_daytime(*evening, north.latitude_deg, north.longitude_deg)
