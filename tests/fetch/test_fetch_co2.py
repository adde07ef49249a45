"""fetch-co2 against a local server standing in for scrippsco2.ucsd.edu."""

from conftest import DATA, error_lines
from fake_services import CO2_PATH, free_port
from fetch_helpers import FAST, services_fixture  # noqa: F401 (fixture)

CO2 = DATA / "scripps_monthly_in_situ_co2_mlo.csv"


def fetch(run_cli, services, tmp_path, *extra, url=None):
    url = url or f"{services.url}{CO2_PATH}"
    return run_cli("fetch-co2", "--url", url, *FAST, *extra, cwd=tmp_path)


def products(directory):
    return sorted(p.name for p in directory.iterdir())


def test_download_is_the_record_and_compute_macobac_reads_it(run_cli, services, tmp_path):
    result = fetch(run_cli, services, tmp_path)
    assert result.code == 0, result.err
    assert products(tmp_path) == ["fetch-co2.provenance.json", "monthly_in_situ_co2_mlo.csv"]
    assert (tmp_path / "monthly_in_situ_co2_mlo.csv").read_bytes() == CO2.read_bytes()
    assert services.calls_to("co2")[0]["method"] == "GET"
    result = run_cli("compute-macobac", "--co2-file", "monthly_in_situ_co2_mlo.csv", cwd=tmp_path)
    assert result.code == 0, result.err


def test_503_and_dropped_connection_are_retried(run_cli, services, tmp_path):
    services.fail["co2"] = [503, "drop", 500]
    result = fetch(run_cli, services, tmp_path)
    assert result.code == 0, result.err
    assert len(services.calls_to("co2")) == 4


def test_persistent_503_exits_100_without_output(run_cli, services, tmp_path):
    services.fail["co2"] = [503] * 10
    result = fetch(run_cli, services, tmp_path, "--max-retries", "2")
    assert result.code == 100
    assert len(services.calls_to("co2")) == 3
    (line,) = error_lines(result.err)
    assert "HTTP 503" in line and "after 3 attempts" in line
    assert products(tmp_path) == []


def test_connection_refused_exits_100(run_cli, services, tmp_path):
    result = fetch(run_cli, services, tmp_path, url=f"http://127.0.0.1:{free_port()}/co2.csv")
    assert result.code == 100
    (line,) = error_lines(result.err)
    assert "refused" in line.lower()
    assert products(tmp_path) == []


def test_not_found_exits_3(run_cli, services, tmp_path):
    result = fetch(run_cli, services, tmp_path, url=f"{services.url}/scripps/moved.csv")
    assert result.code == 3
    (line,) = error_lines(result.err)
    assert "/scripps/moved.csv" in line and "HTTP 404" in line
    assert products(tmp_path) == []


def test_content_that_is_not_the_record_exits_3(run_cli, services, tmp_path):
    services.fail["co2"] = ["garbage"]
    result = fetch(run_cli, services, tmp_path)
    assert result.code == 3
    (line,) = error_lines(result.err)
    assert CO2_PATH in line and "not the Scripps monthly CO2 record" in line
    assert products(tmp_path) == []
