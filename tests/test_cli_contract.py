"""The step contract shared by every step (DESIGN.md §3), checked on real steps."""

import json
import subprocess
import sys

import pytest
from conftest import DATA, error_lines

from calibpipe_tasks.outputs import sha256_of
from calibpipe_tasks.steps import STEP_MODULES

CO2 = DATA / "scripps_monthly_in_situ_co2_mlo.csv"


def test_top_level_help_lists_every_step():
    result = subprocess.run(
        [sys.executable, "-m", "calibpipe_tasks", "--help"], capture_output=True, text=True
    )
    assert result.returncode == 0
    for name in STEP_MODULES:
        assert f"  {name} " in result.stdout


def test_unknown_step_is_usage_error(run_cli, tmp_path):
    result = run_cli("no-such-step", cwd=tmp_path)
    assert result.code == 2
    assert error_lines(result.err) == [
        "calibpipe-tasks: error: unknown step 'no-such-step' (see 'calibpipe-tasks --help')"
    ]


@pytest.mark.parametrize("step", sorted(STEP_MODULES))
def test_step_help_does_not_import_heavy_libraries(step):
    """`<step> --help` imports neither ctapipe nor astropy nor numpy (light start-up)."""
    code = (
        "import sys\n"
        "from calibpipe_tasks.cli import main\n"
        "try:\n"
        f"    main([{step!r}, '--help'])\n"
        "except SystemExit as e:\n"
        "    assert e.code == 0, e.code\n"
        "heavy = [m for m in ('ctapipe', 'astropy', 'numpy', 'netCDF4', 'eccodes', 'sqlalchemy')"
        " if m in sys.modules]\n"
        "assert not heavy, heavy\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "--provenance-log" in result.stdout and "--log-level" in result.stdout


def test_missing_required_option_is_one_line_exit_2(run_cli, tmp_path):
    result = run_cli("compute-macobac", cwd=tmp_path)
    assert result.code == 2
    lines = error_lines(result.err)
    assert len(lines) == 1 and "--co2-file" in lines[0]
    assert list(tmp_path.iterdir()) == []


def test_missing_input_file_names_the_file(run_cli, tmp_path):
    result = run_cli("compute-macobac", "--co2-file", tmp_path / "nope.csv", cwd=tmp_path)
    assert result.code == 2
    missing = tmp_path / "nope.csv"
    assert error_lines(result.err) == [
        f"calibpipe-tasks compute-macobac: error: {missing}: input file does not exist"
    ]


def test_provenance_record_lists_inputs_outputs_with_sha256(run_cli, tmp_path):
    result = run_cli("compute-macobac", "--co2-file", CO2, cwd=tmp_path)
    assert result.code == 0, result.err
    record = json.loads((tmp_path / "compute-macobac.provenance.json").read_text())
    assert record["step"] == "compute-macobac"
    assert record["inputs"][0]["sha256"] == sha256_of(CO2)
    (output,) = record["outputs"]
    assert output["name"] == "macobac.ecsv"
    assert output["sha256"] == sha256_of(tmp_path / "macobac.ecsv")
    assert record["parameters"]["co2_file"] == str(CO2)
    assert record["software"]["calibpipe-tasks"]
    assert record["start_time_utc"] <= record["end_time_utc"]
    assert record["command_line"][:2] == ["calibpipe-tasks", "compute-macobac"]


def test_reruns_are_byte_identical(run_cli, tmp_path):
    first, second = tmp_path / "a", tmp_path / "b"
    for d in (first, second):
        d.mkdir()
        assert run_cli("compute-macobac", "--co2-file", CO2, cwd=d).code == 0
    assert (first / "macobac.ecsv").read_bytes() == (second / "macobac.ecsv").read_bytes()


def test_config_file_supplies_options_and_flags_override(run_cli, tmp_path):
    config = tmp_path / "macobac.yaml"
    config.write_text(f"co2-file: {CO2}\nuntil: '2022-12-31'\n")
    result = run_cli("compute-macobac", "--config", config, "--dump-config", cwd=tmp_path)
    assert result.code == 0
    assert "until: 2022-12-31" in result.out and str(CO2) in result.out
    result = run_cli("compute-macobac", "--config", config, "--until", "2021-12-31", cwd=tmp_path)
    assert result.code == 0
    assert "2021-12-31" in (tmp_path / "macobac.ecsv").read_text()


def test_config_with_unknown_option_is_usage_error(run_cli, tmp_path):
    config = tmp_path / "bad.yaml"
    config.write_text("co2-fil: x.csv\n")
    result = run_cli("compute-macobac", "--config", config, cwd=tmp_path)
    assert result.code == 2
    (line,) = error_lines(result.err)
    assert str(config) in line and "unknown option 'co2-fil'" in line


def test_invalid_input_leaves_no_output(run_cli, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("not, the, scripps, file\n")
    out = tmp_path / "out"
    out.mkdir()
    result = run_cli("compute-macobac", "--co2-file", bad, "--output-dir", out, cwd=tmp_path)
    assert result.code == 3
    (line,) = error_lines(result.err)
    assert str(bad) in line
    assert list(out.iterdir()) == []


@pytest.mark.parametrize("kind", ["missing", "a-file", "read-only"])
def test_unusable_output_directory_is_usage_error(run_cli, tmp_path, kind):
    target = {
        "missing": tmp_path / "missing",
        "a-file": tmp_path / "file.txt",
        # /proc refuses new files even for root: a genuinely unwritable directory on Linux
        "read-only": "/proc",
    }[kind]
    (tmp_path / "file.txt").write_text("x")
    result = run_cli("compute-macobac", "--co2-file", CO2, "--output-dir", target, cwd=tmp_path)
    assert result.code == 2
    (line,) = error_lines(result.err)
    assert str(target) in line and "output directory" in line


def test_passwords_in_urls_are_masked_in_provenance():
    from calibpipe_tasks.cli import mask_secrets

    assert mask_secrets("postgresql+psycopg://calib:s3cret@db.example:5432/cal") == (
        "postgresql+psycopg://calib:***@db.example:5432/cal"
    )
    assert (
        mask_secrets("sqlite:////data/calibration.sqlite") == "sqlite:////data/calibration.sqlite"
    )
    assert mask_secrets("--db-url") == "--db-url"
