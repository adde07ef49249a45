"""Product kinds, targets and UTC time parsing."""

from datetime import datetime

import pytest

from calibpipe_tasks.db.kinds import check_target_for_kind, normalise_target, parse_utc


@pytest.mark.parametrize(
    "text, expected",
    [
        ("2024-03-01", datetime(2024, 3, 1)),
        ("2024-03-01T20:15", datetime(2024, 3, 1, 20, 15)),
        ("2024-03-01T20:15:30Z", datetime(2024, 3, 1, 20, 15, 30)),
        ("2024-03-01T21:15:30+01:00", datetime(2024, 3, 1, 20, 15, 30)),
        ("2024-03-01T01:00:00-03:00", datetime(2024, 3, 1, 4, 0)),
    ],
)
def test_parse_utc(text, expected):
    assert parse_utc(text) == expected


@pytest.mark.parametrize("text", ["yesterday", "2024-13-01", "2024-02-30", "01/03/2024", ""])
def test_parse_utc_refuses_malformed(text):
    with pytest.raises(ValueError, match="not an ISO 8601 UTC time"):
        parse_utc(text)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("North", "North"),
        ("paranal", "South"),
        ("OBS-North", "North"),
        ("tel_1", "tel_001"),
        ("tel_001", "tel_001"),
        ("7", "tel_007"),
        ("GLOBAL", "global"),
    ],
)
def test_normalise_target(text, expected):
    assert normalise_target(text) == expected


@pytest.mark.parametrize("text", ["Mars", "tel_0", "tel_x", ""])
def test_normalise_target_refuses_unknown(text):
    with pytest.raises(ValueError, match="not a target"):
        normalise_target(text)


def test_target_type_must_fit_the_kind():
    check_target_for_kind("muon-psf", "tel_004")
    check_target_for_kind("camera-coefficients", "tel_001")
    with pytest.raises(ValueError, match="telescope"):
        check_target_for_kind("camera-coefficients", "South")
    check_target_for_kind("macobac", "global")
    check_target_for_kind("clear-night", "South")
    with pytest.raises(ValueError, match="telescope"):
        check_target_for_kind("muon-psf", "North")
    with pytest.raises(ValueError, match="site"):
        check_target_for_kind("atmospheric-profile", "tel_001")


def test_clear_night_is_a_site_kind():
    with pytest.raises(ValueError, match="site"):
        check_target_for_kind("clear-night", "tel_001")


def test_array_calibration_kinds_are_per_telescope():
    for kind in ("array-inter-calibration", "array-cross-calibration"):
        check_target_for_kind(kind, "tel_013")
        with pytest.raises(ValueError, match="telescope"):
            check_target_for_kind(kind, "North")
