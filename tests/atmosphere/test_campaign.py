"""Planning a campaign of nights and indexing its nights (atmosphere/campaign.py)."""

import numpy as np
import pytest

from calibpipe_tasks.atmosphere.campaign import (
    STATUS_DELIVERED,
    STATUS_FAILED,
    index_entry,
    plan_nights,
    step_times,
)


def hours(first, last):
    hour = np.timedelta64(3600, "s")
    return np.arange(np.datetime64(first, "s"), np.datetime64(last, "s") + hour, hour)


WINDOWS = [
    (np.datetime64("2024-01-15T20:00:00"), np.datetime64("2024-01-16T06:40:00")),
    (np.datetime64("2024-01-16T20:00:00"), np.datetime64("2024-01-17T06:40:00")),
    (np.datetime64("2024-01-17T20:00:00"), np.datetime64("2024-01-18T06:40:00")),
]
DATES = ["2024-01-15", "2024-01-16", "2024-01-17"]


def test_hourly_files_cover_the_nights_they_overlap():
    files = {
        "a.nc": hours("2024-01-15T18:00", "2024-01-16T08:00"),
        "b.nc": hours("2024-01-16T18:00", "2024-01-17T02:00"),
    }
    nights = plan_nights(DATES, WINDOWS, files)
    assert [n["status"] for n in nights] == ["scheduled", "scheduled", "no-data"]
    # 21:00 .. 06:00 inside 20:00 .. 06:40 (both ends inclusive: 20:00 counts)
    assert [n["n_times"] for n in nights] == [11, 7, 0]
    assert [n["files"] for n in nights] == [["a.nc"], ["b.nc"], []]
    assert nights[0]["reason"] is None
    assert nights[2]["reason"] == (
        "no meteorological data in the night's window 2024-01-17T20:00:00Z to "
        "2024-01-18T06:40:00Z (the files cover 2024-01-15T18:00:00Z to 2024-01-17T02:00:00Z)"
    )
    assert nights[1]["window_start_utc"] == "2024-01-16T20:00:00Z"


def test_a_night_split_over_two_files_counts_each_time_once():
    files = {
        "evening.grib": hours("2024-01-15T18:00", "2024-01-16T00:00"),
        "morning.grib": hours("2024-01-16T00:00", "2024-01-16T08:00"),  # 00:00 in both
    }
    (night,) = plan_nights(DATES[:1], WINDOWS[:1], files)
    assert night["n_times"] == 11
    assert night["files"] == ["evening.grib", "morning.grib"]


def test_min_times_refuses_a_thinly_covered_night():
    files = {"gdas.grib2": np.array(["2024-01-16T00:00", "2024-01-16T06:00"], "datetime64[s]")}
    (ok,) = plan_nights(DATES[:1], WINDOWS[:1], files, min_times=2)
    (thin,) = plan_nights(DATES[:1], WINDOWS[:1], files, min_times=3)
    assert ok["status"] == "scheduled"
    assert thin["status"] == "no-data"
    assert thin["reason"].startswith("only 2 meteorological time(s) in the night's window")
    assert thin["reason"].endswith("(3 required)")


def test_files_without_fields_say_so():
    (night,) = plan_nights(DATES[:1], WINDOWS[:1], {"empty.grib": np.array([], "datetime64[s]")})
    assert night["reason"].endswith("(the files hold no pressure-level field)")


def test_step_times_sum_and_span():
    records = [
        {"start_time_utc": "2024-01-01T00:00:00.000Z", "end_time_utc": "2024-01-01T00:00:02.500Z"},
        {"start_time_utc": "2024-01-01T00:00:10.000Z", "end_time_utc": "2024-01-01T00:00:11.000Z"},
    ]
    assert step_times(records) == (3.5, 11.0)
    assert step_times([]) == (0.0, 0.0)


MANIFEST = {
    "product_id": "north-20240115T2000",
    "validity": {"start_utc": "2024-01-15T20:00:00Z", "end_utc": "2024-01-16T06:40:00Z"},
    "files": [{"name": "a.ecsv", "role": "asset", "sha256": "0" * 64, "size": 3, "format": "x"}],
}


@pytest.mark.parametrize(
    ("manifest", "report", "status", "reason"),
    [
        (MANIFEST, {"valid": True, "checks": ["x"]}, STATUS_DELIVERED, None),
        (None, None, STATUS_FAILED, "scheduled, but no exchange set was delivered"),
        (MANIFEST, {"valid": False}, STATUS_FAILED, "did not pass validate-exchange"),
        (MANIFEST, None, STATUS_FAILED, "has no validate-exchange report"),
    ],
)
def test_index_entry_delivers_only_a_validated_set(manifest, report, status, reason):
    (night,) = plan_nights(
        DATES[:1], WINDOWS[:1], {"a.nc": hours("2024-01-15T18:00", "2024-01-16T08:00")}
    )
    entry = index_entry(night, manifest, report, "night_2024-01-15", ["ingest-meteo", "create-mdp"])
    assert entry["status"] == status
    if reason is None:
        assert entry["reason"] is None
        assert entry["product_id"] == "north-20240115T2000"
        assert entry["files"] == [
            {"name": "a.ecsv", "role": "asset", "sha256": "0" * 64, "size": 3}
        ]
        assert entry["steps"] == ["create-mdp", "ingest-meteo"]
    else:
        assert reason in entry["reason"]
        assert "product_id" not in entry


def test_index_entry_of_a_night_without_data_keeps_the_plans_reason():
    (night,) = plan_nights(
        DATES[2:], WINDOWS[2:], {"a.nc": hours("2024-01-15T18:00", "2024-01-16T08:00")}
    )
    entry = index_entry(night)
    assert entry["status"] == STATUS_FAILED
    assert entry["reason"] == night["reason"]
