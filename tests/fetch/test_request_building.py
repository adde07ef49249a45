"""Pure request building: ERA5 (CDS) and GDAS (GDEX) requests, credential files."""

import datetime

import pytest

from calibpipe_tasks.errors import InputDataError, UsageError
from calibpipe_tasks.fetch import era5, gdex

T = datetime.datetime


def test_era5_levels_are_the_37_of_the_dataset():
    assert len(era5.PRESSURE_LEVELS_HPA) == 37
    assert era5.PRESSURE_LEVELS_HPA[0] == 1 and era5.PRESSURE_LEVELS_HPA[-1] == 1000
    assert list(era5.PRESSURE_LEVELS_HPA) == sorted(set(era5.PRESSURE_LEVELS_HPA))


def test_area_box_rounds_outwards_to_the_grid():
    # La Palma (28.7618 N, 17.8907 W) with 0.5 deg: ERA5 0.25 deg grid
    assert era5.area_box(28.761795, -17.890701, 0.5, 0.25) == [29.5, -18.5, 28.25, -17.25]
    # GDAS 1 deg grid, Paranal
    assert era5.area_box(-24.6272, -70.4039, 1.0, 1.0) == [-23.0, -72.0, -26.0, -69.0]
    # on a grid point with half-width 0: that point only
    assert era5.area_box(28.0, -18.0, 0.0, 0.25) == [28.0, -18.0, 28.0, -18.0]
    assert era5.area_box(89.9, 0.0, 1.0, 1.0)[0] == 90.0


def test_era5_request_for_a_night_across_midnight():
    times = [T(2024, 1, 15, h) for h in (22, 23)] + [T(2024, 1, 16, h) for h in (0, 1)]
    request = era5.era5_request(times, [29.5, -18.5, 28.25, -17.25], "netcdf")
    assert request == {
        "product_type": ["reanalysis"],
        "variable": ["geopotential", "relative_humidity", "temperature"],
        "pressure_level": [str(p) for p in era5.PRESSURE_LEVELS_HPA],
        "year": ["2024"],
        "month": ["01"],
        "day": ["15", "16"],
        "time": ["00:00", "01:00", "22:00", "23:00"],
        "area": [29.5, -18.5, 28.25, -17.25],
        "data_format": "netcdf",
        "download_format": "unarchived",
    }


def test_era5_request_rejects_unknown_format():
    with pytest.raises(UsageError, match="unknown format"):
        era5.era5_request([T(2024, 1, 1)], [1, 0, 0, 1], "zarr")


def test_gdex_request_for_a_night():
    times = [T(2024, 1, 15, 18), T(2024, 1, 16, 0), T(2024, 1, 16, 6)]
    request = gdex.gdex_request(times, [30.0, -19.0, 27.0, -16.0])
    assert request == {
        "dataset": "d083002",
        "date": "202401151800/to/202401160600",
        "param": "HGT/TMP/R H",
        "level": "ISBL:1000/975/950/925/900/850/800/750/700/650/600/550/500/450/400/350/300"
        "/250/200/150/100/70/50/30/20/10",
        "nlat": 30.0,
        "slat": 27.0,
        "wlon": -19.0,
        "elon": -16.0,
    }


def test_gdex_request_needs_six_hourly_times():
    with pytest.raises(UsageError, match="6-hourly"):
        gdex.gdex_request([T(2024, 1, 15, 19)], [30.0, -19.0, 27.0, -16.0])


def test_read_cdsapirc(tmp_path):
    rc = tmp_path / "rc"
    rc.write_text("url: https://example.org/api\nkey: abcd-ef\nverify: 1\n")
    assert era5.read_cdsapirc(rc) == ("https://example.org/api", "abcd-ef")
    rc.write_text("key: abcd-ef\n")
    assert era5.read_cdsapirc(rc) == (None, "abcd-ef")


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("url: https://example.org/api\n", "no 'key:' line"),
        ("url: x\nkey: 12345:abcdef\n", "old 'UID:KEY' form"),
        ("", "no 'key:' line"),
    ],
)
def test_bad_cdsapirc_names_the_file(tmp_path, text, problem):
    rc = tmp_path / "rc"
    rc.write_text(text)
    with pytest.raises(InputDataError, match=problem) as err:
        era5.read_cdsapirc(rc)
    assert err.value.path == str(rc)


def test_read_gdex_token(tmp_path):
    f = tmp_path / "token"
    f.write_text("\n  abcdefgh12345678  \n")
    assert gdex.read_token(f) == "abcdefgh12345678"
    f.write_text("\n\n")
    with pytest.raises(InputDataError, match="empty"):
        gdex.read_token(f)
    f.write_text("email@example.org, password\n")
    with pytest.raises(InputDataError, match="does not look like"):
        gdex.read_token(f)
