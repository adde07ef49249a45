"""12-MACOBAC against the published Scripps monthly values."""

import pytest
from astropy.table import Table
from conftest import DATA

from calibpipe_tasks import units

CO2 = DATA / "scripps_monthly_in_situ_co2_mlo.csv"

# Scripps monthly Mauna Loa values (column 5, ppm) from the record, Jul 2022 - Jun 2023
PUBLISHED_2022_07_TO_2023_06 = [
    418.68,
    416.76,
    415.41,
    415.31,
    417.04,
    418.57,
    419.24,
    420.33,
    420.51,
    422.73,
    423.78,
    423.39,
]


def read(path):
    units.enable()
    return Table.read(path, format="ascii.ecsv")


def test_last_twelve_valid_months(run_cli, tmp_path):
    result = run_cli("compute-macobac", "--co2-file", CO2, cwd=tmp_path)
    assert result.code == 0, result.err
    table = read(tmp_path / "macobac.ecsv")
    assert len(table) == 1
    expected = sum(PUBLISHED_2022_07_TO_2023_06) / 12
    assert table["co2_concentration"].unit.to_string() == "ppm"
    assert table["co2_concentration"][0] == pytest.approx(expected, abs=1e-6)
    assert table["first_month"][0] == "2022-07" and table["last_month"][0] == "2023-06"
    assert table["estimation_date"][0] == "2023-06-30"
    assert table.meta["months_used"][0] == "2022-07"


def test_until_skips_missing_months(run_cli, tmp_path):
    """1958-06 and 1958-10 are missing (-99.99): the 12 valid months to 1959-05 start 1958-04."""
    result = run_cli("compute-macobac", "--co2-file", CO2, "--until", "1959-05-31", cwd=tmp_path)
    assert result.code == 0, result.err
    table = read(tmp_path / "macobac.ecsv")
    months = table.meta["months_used"]
    assert "1958-06" not in months and "1958-10" not in months
    assert months[0] == "1958-04" and months[-1] == "1959-05" and len(months) == 12
    published = [
        317.45,
        317.51,
        315.87,
        314.93,
        313.21,
        313.33,
        314.67,
        315.58,
        316.49,
        316.65,
        317.72,
        318.29,
    ]
    assert table["co2_concentration"][0] == pytest.approx(sum(published) / 12, abs=1e-6)


def test_until_mid_month_uses_only_completed_months(run_cli, tmp_path):
    result = run_cli("compute-macobac", "--co2-file", CO2, "--until", "2023-06-15", cwd=tmp_path)
    assert result.code == 0
    table = read(tmp_path / "macobac.ecsv")
    assert table["last_month"][0] == "2023-05"
    assert table["estimation_date"][0] == "2023-06-15"


# bad inputs (too few months, empty or binary file, bad --until): tests/test_bad_inputs.py
