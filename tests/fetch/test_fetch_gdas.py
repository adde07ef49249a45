"""fetch-gdas against a local server speaking NCAR GDEX's REST protocol."""

import eccodes
import pytest
from conftest import DATA, error_lines
from fake_services import GDEX_TOKEN, free_port
from fetch_helpers import FAST, services_fixture  # noqa: F401 (fixture)

from calibpipe_tasks.fetch.gdex import PRESSURE_LEVELS_HPA

TOKEN = DATA / "fetch" / "gdex_token.txt"
WINDOW = ["--start", "2024-01-15T19:30", "--end", "2024-01-16T05:00"]


def fetch(run_cli, services, tmp_path, *extra, credentials=TOKEN, url=None):
    url = url or f"{services.url}/gdex/api"
    return run_cli(
        "fetch-gdas", "--credentials", credentials, "--url", url, "--poll-interval", "0.01",
        *FAST, *extra, cwd=tmp_path,
    )  # fmt: skip


def products(directory):
    return sorted(p.name for p in directory.iterdir())


def grib_keys(path, *keys):
    rows = []
    with open(path, "rb") as f:
        while (gid := eccodes.codes_grib_new_from_file(f)) is not None:
            rows.append(tuple(eccodes.codes_get(gid, k) for k in keys))
            eccodes.codes_release(gid)
    return rows


def test_download_matches_the_request_and_is_in_time_order(run_cli, services, tmp_path):
    services.gdex_states = ["Queued for processing", "Processing"]
    result = fetch(run_cli, services, tmp_path, "--site", "North", *WINDOW)
    assert result.code == 0, result.err
    assert products(tmp_path) == ["fetch-gdas.provenance.json", "gdas.grib2"]
    (submit,) = services.calls_to("gdex.submit")
    assert submit["method"] == "POST" and submit["path"] == "/gdex/api/submit/"
    assert submit["query"] == {"token": GDEX_TOKEN}
    assert submit["json"] == {
        "dataset": "d083002",
        "date": "202401151800/to/202401160600",
        "param": "HGT/TMP/R H",
        "level": "ISBL:" + "/".join(str(p) for p in PRESSURE_LEVELS_HPA),
        "nlat": 30.0,
        "slat": 27.0,
        "wlon": -19.0,
        "elon": -16.0,
    }
    assert len(services.calls_to("gdex.status")) == 3
    assert len(services.calls_to("gdex.purge")) == 1  # the request slot is given back
    rows = grib_keys(
        tmp_path / "gdas.grib2", "edition", "dataDate", "dataTime", "shortName", "level"
    )
    assert len(rows) == 3 * 3 * 26
    assert {r[0] for r in rows} == {2}
    # the server lists the files newest first; the product is in time order
    times = [(r[1], r[2]) for r in rows]
    assert times == sorted(times)
    assert sorted(set(times)) == [(20240115, 1800), (20240116, 0), (20240116, 600)]
    assert {r[3] for r in rows} == {"gh", "t", "r"}
    assert sorted({r[4] for r in rows}) == sorted(PRESSURE_LEVELS_HPA)


def test_date_asks_for_the_six_hourly_analyses_of_the_night(run_cli, services, tmp_path):
    result = fetch(run_cli, services, tmp_path, "--site", "South", "--date", "2024-01-15")
    assert result.code == 0, result.err
    request = services.calls_to("gdex.submit")[0]["json"]
    # Paranal 2024-01-15: night about 01:02 to 08:40 UTC on the 16th
    assert request["date"] == "202401160000/to/202401161200"
    assert (request["nlat"], request["slat"], request["wlon"], request["elon"]) == (
        -23.0, -26.0, -72.0, -69.0,
    )  # fmt: skip


def test_503_and_dropped_connection_are_retried(run_cli, services, tmp_path):
    services.fail["gdex.submit"] = [503]
    services.fail["gdex.status"] = [429]
    services.fail["gdex.download"] = ["drop"]
    result = fetch(run_cli, services, tmp_path, "--site", "North", *WINDOW)
    assert result.code == 0, result.err
    assert len(services.calls_to("gdex.submit")) == 2
    assert len(services.calls_to("gdex.download")) == 4  # 3 files, the first one twice


def test_persistent_503_exits_100_without_output(run_cli, services, tmp_path):
    services.fail["gdex.files"] = [503] * 10
    result = fetch(run_cli, services, tmp_path, "--site", "North", *WINDOW)
    assert result.code == 100
    assert len(services.calls_to("gdex.files")) == 4
    (line,) = error_lines(result.err)
    assert "GDEX: file list: HTTP 503" in line and "after 4 attempts" in line
    assert GDEX_TOKEN not in result.err
    assert products(tmp_path) == []


def test_connection_refused_exits_100(run_cli, services, tmp_path):
    url = f"http://127.0.0.1:{free_port()}/gdex/api"
    result = fetch(run_cli, services, tmp_path, "--site", "North", *WINDOW, url=url)
    assert result.code == 100
    (line,) = error_lines(result.err)
    assert "GDEX: subset request" in line and "refused" in line.lower()
    assert GDEX_TOKEN not in result.err
    assert products(tmp_path) == []


def test_wrong_token_exits_3_naming_the_token_file(run_cli, services, tmp_path):
    bad = tmp_path / "token.txt"
    bad.write_text("not0the0right0token\n")
    out = tmp_path / "out"
    out.mkdir()
    result = fetch(
        run_cli, services, tmp_path, "--site", "North", *WINDOW, "--output-dir", out,
        credentials=bad,
    )  # fmt: skip
    assert result.code == 3
    (line,) = error_lines(result.err)
    assert line.startswith(f"calibpipe-tasks fetch-gdas: error: {bad}: GDEX refused these")
    assert "HTTP 401" in line and "Invalid or expired token" in line
    assert "not0the0right0token" not in result.err
    assert products(out) == []


@pytest.mark.parametrize(
    ("setup", "problem"),
    [
        (lambda s: s.fail.update({"gdex.files": ["malformed"]}), "not a JSON object"),
        (lambda s: s.fail.update({"gdex.status": [400]}), "GDEX refused (HTTP 400"),
        (lambda s: s.gdex_states.append("Error"), "ended with status 'Error'"),
        (lambda s: s.fail.update({"gdex.download": ["garbage"]}), "not GRIB"),
    ],
    ids=["malformed-json", "http-400", "request-error", "not-grib"],
)
def test_service_errors_exit_3_without_output(run_cli, services, tmp_path, setup, problem):
    setup(services)
    result = fetch(run_cli, services, tmp_path, "--site", "North", *WINDOW)
    assert result.code == 3, result.err
    (line,) = error_lines(result.err)
    assert problem in line
    assert products(tmp_path) == []


def test_request_refused_by_gdex_exits_3(run_cli, services, tmp_path, monkeypatch):
    from calibpipe_tasks.fetch import gdex

    monkeypatch.setattr(gdex, "DATASET", "d999999")
    result = fetch(run_cli, services, tmp_path, "--site", "North", *WINDOW)
    assert result.code == 3
    (line,) = error_lines(result.err)
    assert "GDEX refused the subset request: dataset d999999 has no subsetting" in line


def test_not_ready_within_max_wait_exits_100(run_cli, services, tmp_path):
    services.gdex_states = ["Queued for processing"] * 50
    result = fetch(run_cli, services, tmp_path, "--site", "North", *WINDOW, "--max-wait", "0.05")
    assert result.code == 100
    (line,) = error_lines(result.err)
    assert "still 'Queued for processing'" in line
    assert products(tmp_path) == []


def test_files_delivered_in_a_tar_archive_are_unpacked_in_time_order(run_cli, services, tmp_path):
    services.gdex_tar = True
    result = fetch(run_cli, services, tmp_path, "--site", "North", *WINDOW)
    assert result.code == 0, result.err
    rows = grib_keys(tmp_path / "gdas.grib2", "dataDate", "dataTime")
    assert len(rows) == 3 * 3 * 26
    assert rows == sorted(rows)
    assert sorted(set(rows)) == [(20240115, 1800), (20240116, 0), (20240116, 600)]


def test_a_queued_request_is_resumed_with_request_id(run_cli, services, tmp_path):
    services.gdex_states = ["Queued for processing"] * 3
    result = fetch(run_cli, services, tmp_path, "--site", "North", *WINDOW, "--max-wait", "0.01")
    assert result.code == 100
    (line,) = error_lines(result.err)
    request_id = line.split("--request-id ")[1].split()[0]
    services.gdex_states.clear()
    result = fetch(
        run_cli, services, tmp_path, "--site", "North", *WINDOW, "--request-id", request_id
    )
    assert result.code == 0, result.err
    assert len(services.calls_to("gdex.submit")) == 1  # not submitted a second time
    assert services.calls_to("gdex.status")[-1]["path"] == f"/gdex/api/status/{request_id}"
    assert products(tmp_path) == ["fetch-gdas.provenance.json", "gdas.grib2"]
