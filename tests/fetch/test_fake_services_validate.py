"""The fake services refuse what the real ones refuse, so that a wrong request fails a test.

The CDS (reanalysis-era5-pressure-levels) answers an invalid request with HTTP 400 and
a JSON problem (title, detail); GDEX answers HTTP 200 with the error envelope
``{"status": "error", "error_messages": [...]}`` (its Django views return
``JsonResponse`` of an ``RDA_Response`` with messages); Scripps serves the file only at
its real path. The requests the project builds pass; each broken one is refused, by the
check, over raw HTTP, and through the fetch steps with a deliberately broken builder.
"""

import copy
import datetime

import pytest
import requests
from conftest import error_lines
from fake_services import (
    CDS_KEY,
    CO2_PATH,
    GDEX_TOKEN,
    check_era5_request,
    check_gdex_request,
)
from fetch_helpers import services_fixture  # noqa: F401 (fixture)
from test_fetch_era5 import WINDOW as ERA5_WINDOW
from test_fetch_era5 import fetch as fetch_era5
from test_fetch_gdas import WINDOW as GDAS_WINDOW
from test_fetch_gdas import fetch as fetch_gdas

from calibpipe_tasks.fetch import era5, gdex
from calibpipe_tasks.sites import SITES

NIGHT = [datetime.datetime(2024, 1, 15, 22), datetime.datetime(2024, 1, 16, 1)]
GDAS_NIGHT = [datetime.datetime(2024, 1, 15, 18), datetime.datetime(2024, 1, 16, 6)]


def project_era5_request(site="North", data_format="grib"):
    s = SITES[site]
    area = era5.area_box(s.latitude_deg, s.longitude_deg, 0.5, era5.GRID_DEG)
    return era5.era5_request(NIGHT, area, data_format)


def project_gdex_request(site="North"):
    s = SITES[site]
    area = era5.area_box(s.latitude_deg, s.longitude_deg, 1.0, gdex.GRID_DEG)
    return gdex.gdex_request(GDAS_NIGHT, area)


@pytest.mark.parametrize("site", ["North", "South"])
@pytest.mark.parametrize("data_format", ["grib", "netcdf"])
def test_the_projects_era5_request_is_accepted(site, data_format):
    request = project_era5_request(site, data_format)
    assert check_era5_request(request) is None
    assert request["pressure_level"] == [
        "1", "2", "3", "5", "7", "10", "20", "30", "50", "70", "100", "125", "150", "175",
        "200", "225", "250", "300", "350", "400", "450", "500", "550", "600", "650", "700",
        "750", "775", "800", "825", "850", "875", "900", "925", "950", "975", "1000",
    ]  # fmt: skip


@pytest.mark.parametrize("site", ["North", "South"])
def test_the_projects_gdex_request_is_accepted(site):
    assert check_gdex_request(project_gdex_request(site)) is None


def _set(key, value):
    def change(request):
        request[key] = value

    return change


def _drop(key):
    def change(request):
        del request[key]

    return change


ERA5_BROKEN = {
    "product_type string not in the list": (_set("product_type", ["analysis"]), "product_type"),
    "missing product_type": (_drop("product_type"), "missing product_type"),
    "variable by short name": (_set("variable", ["z", "t", "r"]), "unknown variable"),
    "level as a float": (_set("pressure_level", ["1000.0", "850.0"]), "pressure_level"),
    "level not on ERA5": (_set("pressure_level", ["1000", "1013"]), "pressure_level"),
    "level as Pa": (_set("pressure_level", ["100000"]), "pressure_level"),
    "time without minutes": (_set("time", ["22", "23"]), "invalid time"),
    "time not on the hour": (_set("time", ["22:30"]), "invalid time"),
    "month not zero-padded": (_set("month", ["1"]), "invalid month"),
    "two-digit year": (_set("year", ["24"]), "invalid year"),
    "longitudes 0..360": (_set("area", [29.5, 341.5, 28.25, 342.75]), "longitudes"),
    "south above north": (_set("area", [28.25, -18.5, 29.5, -17.25]), "latitudes"),
    "area as a string": (_set("area", "29.5/-18.5/28.25/-17.25"), "area"),
    "format grib2": (_set("data_format", "grib2"), "data_format"),
    "old key 'format'": (_set("format", "grib"), "unknown request keys"),
}


@pytest.mark.parametrize("case", sorted(ERA5_BROKEN))
def test_broken_era5_requests_are_refused(case):
    change, message = ERA5_BROKEN[case]
    request = copy.deepcopy(project_era5_request())
    change(request)
    problem = check_era5_request(request)
    assert problem is not None and message in problem


GDEX_BROKEN = {
    "missing dataset": (_drop("dataset"), "missing dataset"),
    "missing param": (_drop("param"), "missing param"),
    "unknown key": (_set("format", "grib2"), "unknown control keys"),
    "date without minutes": (_set("date", "2024011518/to/2024011606"), "date must be"),
    "date backwards": (_set("date", "202401160600/to/202401151800"), "start after end"),
    "parameter by GRIB short name": (_set("param", "gh/t/r"), "unknown param"),
    "level not in ds083.2": (_set("level", "ISBL:1000/975/825"), "not among"),
    "level without type": (_set("level", "1000/850"), "ISBL"),
    "longitudes 0..360": (_set("wlon", 341.0), "wlon and elon"),
    "south above north": (_set("slat", 31.0), "slat <= nlat"),
    "box incomplete": (_drop("elon"), "must all be given"),
}


@pytest.mark.parametrize("case", sorted(GDEX_BROKEN))
def test_broken_gdex_requests_are_refused(case):
    change, message = GDEX_BROKEN[case]
    request = copy.deepcopy(project_gdex_request())
    change(request)
    problem = check_gdex_request(request)
    assert problem is not None and message in problem


# --- over raw HTTP -------------------------------------------------------------------------
def _execute(services, request, dataset=era5.DATASET):
    return requests.post(
        f"{services.url}/cds/api/retrieve/v1/processes/{dataset}/execution",
        json={"inputs": request},
        headers={"PRIVATE-TOKEN": CDS_KEY},
        timeout=10,
    )


def test_cds_answers_400_with_the_problem_and_201_to_a_good_request(services):
    good = _execute(services, project_era5_request())
    assert good.status_code == 201 and good.json()["status"] == "accepted"
    bad = project_era5_request()
    bad["time"] = ["22", "23"]
    reply = _execute(services, bad)
    assert reply.status_code == 400
    assert reply.json()["title"] == "Invalid request" and "invalid time" in reply.json()["detail"]
    other = _execute(services, project_era5_request(), dataset="reanalysis-era5-single-levels")
    assert other.status_code == 404


def _submit(services, request):
    return requests.post(
        f"{services.url}/gdex/api/submit/", params={"token": GDEX_TOKEN}, json=request, timeout=10
    )


def test_gdex_answers_an_error_envelope_and_a_request_id_to_a_good_request(services):
    good = _submit(services, project_gdex_request()).json()
    assert good["status"] == "ok" and good["data"]["request_id"]
    bad = project_gdex_request()
    bad["wlon"] = 341.0
    reply = _submit(services, bad)
    assert reply.status_code == 200
    body = reply.json()
    assert body["status"] == "error" and "wlon and elon" in body["error_messages"][0]


def test_scripps_serves_only_its_real_path(services):
    assert requests.get(services.url + CO2_PATH, timeout=10).status_code == 200
    wrong = CO2_PATH.replace("monthly_in_situ_co2_mlo", "monthly_flask_co2_mlo")
    assert requests.get(services.url + wrong, timeout=10).status_code == 404


# --- through the fetch steps, with a deliberately broken request builder ----------------
def _broken_builder(module, name, change):
    original = getattr(module, name)

    def build(*args, **kwargs):
        request = original(*args, **kwargs)
        change(request)
        return request

    return build


@pytest.mark.parametrize("case", ["level as a float", "time without minutes", "longitudes 0..360"])
def test_fetch_era5_with_a_broken_request_exits_3_and_writes_nothing(
    run_cli, services, tmp_path, monkeypatch, case
):
    change, message = ERA5_BROKEN[case]
    monkeypatch.setattr(era5, "era5_request", _broken_builder(era5, "era5_request", change))
    result = fetch_era5(run_cli, services, tmp_path, "--site", "North", *ERA5_WINDOW)
    assert result.code == 3, result.err
    (line,) = error_lines(result.err)
    assert "the CDS refused the request (HTTP 400" in line and message in line
    assert list(tmp_path.iterdir()) == []


def test_fetch_era5_with_the_real_builder_passes(run_cli, services, tmp_path):
    result = fetch_era5(run_cli, services, tmp_path, "--site", "North", *ERA5_WINDOW)
    assert result.code == 0, result.err


@pytest.mark.parametrize("case", ["level not in ds083.2", "longitudes 0..360"])
def test_fetch_gdas_with_a_broken_request_exits_3_and_writes_nothing(
    run_cli, services, tmp_path, monkeypatch, case
):
    change, message = GDEX_BROKEN[case]
    monkeypatch.setattr(gdex, "gdex_request", _broken_builder(gdex, "gdex_request", change))
    result = fetch_gdas(run_cli, services, tmp_path, "--site", "North", *GDAS_WINDOW)
    assert result.code == 3, result.err
    (line,) = error_lines(result.err)
    assert "GDEX refused the subset request" in line and message in line
    assert list(tmp_path.iterdir()) == []
