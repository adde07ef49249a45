"""fetch-era5 against a local server speaking the CDS protocol of cdsapi >= 0.7."""

import eccodes
import pytest
from conftest import DATA, error_lines
from fake_services import CDS_KEY, free_port
from fetch_helpers import FAST, services_fixture  # noqa: F401 (fixture)

from calibpipe_tasks.fetch.era5 import PRESSURE_LEVELS_HPA

CREDENTIALS = DATA / "fetch" / "cdsapirc"
WINDOW = ["--start", "2024-01-15T22:00", "--end", "2024-01-15T23:00"]


def fetch(run_cli, services, tmp_path, *extra, credentials=CREDENTIALS, url=None):
    url = url or f"{services.url}/cds/api"
    return run_cli(
        "fetch-era5", "--credentials", credentials, "--url", url, *FAST, *extra, cwd=tmp_path
    )


def products(directory):
    return sorted(p.name for p in directory.iterdir())


def grib_keys(path, *keys):
    rows = []
    with open(path, "rb") as f:
        while (gid := eccodes.codes_grib_new_from_file(f)) is not None:
            rows.append(tuple(eccodes.codes_get(gid, k) for k in keys))
            eccodes.codes_release(gid)
    return rows


def test_grib_download_matches_the_request(run_cli, services, tmp_path):
    result = fetch(run_cli, services, tmp_path, "--site", "North", *WINDOW)
    assert result.code == 0, result.err
    assert products(tmp_path) == ["era5.grib", "fetch-era5.provenance.json"]
    (execute,) = services.calls_to("cds.execute")
    assert (
        execute["path"]
        == "/cds/api/retrieve/v1/processes/reanalysis-era5-pressure-levels/execution"
    )
    assert execute["headers"]["PRIVATE-TOKEN"] == CDS_KEY
    request = execute["json"]["inputs"]
    assert request["variable"] == ["geopotential", "relative_humidity", "temperature"]
    assert request["pressure_level"] == [str(p) for p in PRESSURE_LEVELS_HPA]
    assert (request["year"], request["month"], request["day"]) == (["2024"], ["01"], ["15"])
    assert request["time"] == ["22:00", "23:00"]
    assert request["area"] == [29.5, -18.5, 28.25, -17.25]  # La Palma +- 0.5 deg, 0.25 deg grid
    assert (request["data_format"], request["download_format"]) == ("grib", "unarchived")
    # what ecCodes reads back: every hour x variable x level on the box around the site
    rows = grib_keys(
        tmp_path / "era5.grib",
        "shortName",
        "level",
        "dataDate",
        "dataTime",
        "latitudeOfFirstGridPointInDegrees",
        "longitudeOfLastGridPointInDegrees",
    )
    assert len(rows) == 2 * 3 * 37
    assert {r[0] for r in rows} == {"z", "t", "r"}
    assert {r[1] for r in rows} == set(PRESSURE_LEVELS_HPA)
    assert {(r[2], r[3]) for r in rows} == {(20240115, 2200), (20240115, 2300)}
    assert {(r[4], r[5]) for r in rows} == {(29.5, -17.25)}


def test_netcdf_download_for_a_night(run_cli, services, tmp_path):
    import netCDF4

    result = fetch(
        run_cli, services, tmp_path, "--latitude", "-24.6272", "--longitude", "-70.4039",
        "--start", "2024-01-16T03:10", "--end", "2024-01-16T03:50", "--format", "netcdf",
    )  # fmt: skip
    assert result.code == 0, result.err
    assert products(tmp_path) == ["era5.nc", "fetch-era5.provenance.json"]
    request = services.calls_to("cds.execute")[0]["json"]["inputs"]
    assert request["time"] == ["03:00", "04:00"]  # rounded outwards to whole hours
    with netCDF4.Dataset(tmp_path / "era5.nc") as ds:
        assert ds["z"].shape == (2, 37, 6, 6)
        assert list(ds["pressure_level"][:]) == list(PRESSURE_LEVELS_HPA)


def test_date_asks_for_the_hours_of_the_night(run_cli, services, tmp_path):
    services.fail["cds.execute"] = [400]  # stop after the request: only its content matters
    result = fetch(run_cli, services, tmp_path, "--site", "North", "--date", "2024-01-15")
    assert result.code == 3
    request = services.calls_to("cds.execute")[0]["json"]["inputs"]
    # astronomical night at La Palma 2024-01-15: about 19:58 to 06:42 UTC, widened by 30 min
    hours = [f"{h:02d}:00" for h in (*range(0, 9), *range(19, 24))]
    assert request["time"] == hours and request["day"] == ["15", "16"]


def test_job_polled_until_successful(run_cli, services, tmp_path):
    services.cds_states = ["running"]
    result = fetch(run_cli, services, tmp_path, "--site", "South", *WINDOW)
    assert result.code == 0, result.err
    assert len(services.calls_to("cds.job")) >= 2
    assert (tmp_path / "era5.grib").read_bytes()[:4] == b"GRIB"


def test_503_then_success_is_retried(run_cli, services, tmp_path):
    services.fail["cds.execute"] = [503, 503]
    services.fail["cds.download"] = [502]
    result = fetch(run_cli, services, tmp_path, "--site", "North", *WINDOW)
    assert result.code == 0, result.err
    assert len(services.calls_to("cds.execute")) == 3
    assert len(services.calls_to("cds.download")) == 2


def test_persistent_503_exits_100_without_output(run_cli, services, tmp_path):
    services.fail["cds.execute"] = [503] * 10
    result = fetch(run_cli, services, tmp_path, "--site", "North", *WINDOW)
    assert result.code == 100
    assert len(services.calls_to("cds.execute")) == 4  # 1 + --max-retries 3
    (line,) = error_lines(result.err)
    assert "CDS unavailable (HTTP 503)" in line and "4 attempts" in line
    assert products(tmp_path) == []


def test_connection_refused_exits_100(run_cli, services, tmp_path):
    url = f"http://127.0.0.1:{free_port()}/cds/api"
    result = fetch(run_cli, services, tmp_path, "--site", "North", *WINDOW, url=url)
    assert result.code == 100
    (line,) = error_lines(result.err)
    assert "CDS not reachable" in line and "refused" in line.lower()
    assert products(tmp_path) == []


def test_wrong_key_exits_3_naming_the_credentials_file(run_cli, services, tmp_path):
    rc = tmp_path / "wrong.cdsapirc"
    rc.write_text("url: http://unused.invalid/api\nkey: 99999999-0000-0000-0000-000000000000\n")
    out = tmp_path / "out"
    out.mkdir()
    result = fetch(
        run_cli, services, tmp_path, "--site", "North", *WINDOW, "--output-dir", out, credentials=rc
    )
    assert result.code == 3
    (line,) = error_lines(result.err)
    assert line.startswith(f"calibpipe-tasks fetch-era5: error: {rc}: the CDS refused this key")
    assert "HTTP 401" in line
    assert products(out) == []


def test_old_uid_key_format_is_refused_before_any_call(run_cli, services, tmp_path):
    rc = tmp_path / "old.cdsapirc"
    rc.write_text("url: https://cds.climate.copernicus.eu/api/v2\nkey: 12345:abcdef-0123\n")
    result = fetch(run_cli, services, tmp_path, "--site", "North", *WINDOW, credentials=rc)
    assert result.code == 3
    assert str(rc) in error_lines(result.err)[0]
    assert services.calls == []


def test_malformed_results_reply_exits_3(run_cli, services, tmp_path):
    services.fail["cds.results"] = ["malformed"]
    result = fetch(run_cli, services, tmp_path, "--site", "North", *WINDOW)
    assert result.code == 3
    (line,) = error_lines(result.err)
    assert "malformed reply from the CDS" in line
    assert products(tmp_path) == []


def test_failed_job_exits_3(run_cli, services, tmp_path):
    services.cds_states = ["failed"]
    services.cds_failed = True
    result = fetch(run_cli, services, tmp_path, "--site", "North", *WINDOW)
    assert result.code == 3
    (line,) = error_lines(result.err)
    assert "The job has failed" in line
    assert products(tmp_path) == []


def test_cdsapi_environment_and_home_rc_are_ignored(run_cli, services, tmp_path, monkeypatch):
    home_rc = tmp_path / "home.cdsapirc"
    home_rc.write_text("url: http://127.0.0.1:9/api\nkey: 11111111-2222-3333-4444-555555555555\n")
    monkeypatch.setenv("CDSAPI_RC", str(home_rc))
    monkeypatch.setenv("CDSAPI_URL", "http://127.0.0.1:9/api")
    monkeypatch.setenv("CDSAPI_KEY", "11111111-2222-3333-4444-555555555555")
    result = fetch(run_cli, services, tmp_path, "--site", "North", *WINDOW)
    assert result.code == 0, result.err
    assert services.calls_to("cds.execute")[0]["headers"]["PRIVATE-TOKEN"] == CDS_KEY


@pytest.mark.parametrize(
    ("args", "problem"),
    [
        (["--date", "2024-01-15"], "give the site"),
        (["--site", "North"], "give the time window"),
        (["--site", "North", "--date", "2024-01-15", *WINDOW], "either --date or --start/--end"),
        (["--site", "Nowhere", *WINDOW], "unknown site 'Nowhere'"),
        (
            ["--site", "North", "--start", "2024-01-15T22:00", "--end", "2024-01-15T21:00"],
            "is before",
        ),
        (["--latitude", "70", "--longitude", "0", "--date", "2024-06-21"], "no astronomical night"),
    ],
)
def test_bad_arguments_exit_2(run_cli, services, tmp_path, args, problem):
    result = fetch(run_cli, services, tmp_path, *args)
    assert result.code == 2
    (line,) = error_lines(result.err)
    assert problem in line
    assert services.calls == [] and products(tmp_path) == []


def test_missing_credentials_file_exits_2(run_cli, services, tmp_path):
    missing = tmp_path / "nope"
    result = fetch(run_cli, services, tmp_path, "--site", "North", *WINDOW, credentials=missing)
    assert result.code == 2
    assert error_lines(result.err) == [
        f"calibpipe-tasks fetch-era5: error: {missing}: credentials file does not exist"
    ]


def test_options_from_a_config_file(run_cli, services, tmp_path):
    config = tmp_path / "era5.yaml"
    config.write_text(
        f"site: South\nstart: 2024-01-16T03:00\nend: 2024-01-16T03:00\nformat: netcdf\n"
        f"credentials: {CREDENTIALS}\nurl: {services.url}/cds/api\nretry-wait: 0.01\n"
    )
    out = tmp_path / "out"
    out.mkdir()
    result = run_cli("fetch-era5", "--config", config, "--output-dir", out, cwd=tmp_path)
    assert result.code == 0, result.err
    assert products(out) == ["era5.nc", "fetch-era5.provenance.json"]
    request = services.calls_to("cds.execute")[0]["json"]["inputs"]
    assert (request["day"], request["time"]) == (["16"], ["03:00"])
    assert request["area"] == [-24.0, -71.0, -25.25, -69.75]
