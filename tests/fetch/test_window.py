"""The download window: the night widened by a margin and rounded out to the data's time grid."""

import datetime

import pytest

from calibpipe_tasks.atmosphere.night import astronomical_night
from calibpipe_tasks.fetch.window import MARGIN, covering_times, night_times
from calibpipe_tasks.sites import SITES


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
    dusk, dawn = astronomical_night(date, north.latitude_deg, north.longitude_deg)
    times = night_times(date, north.latitude_deg, north.longitude_deg, 1)
    assert times[0] <= dusk - MARGIN and times[-1] >= dawn + MARGIN
    assert times[1] > dusk - MARGIN and times[-2] < dawn + MARGIN  # no more than needed


def test_no_night_to_download_in_polar_summer():
    with pytest.raises(ValueError):
        night_times(datetime.date(2024, 6, 21), 60.0, 10.0, 1)
