"""The clear-night verdict in the SimPipe exchange set (issue 14 item 4).

One night (2024-01-15, CTAO-North: the ERA5 sample of the molecular-atmosphere job and the FRAM
samples of the same night), three sets from create-atmospheric-model: without an assessment,
with the clear sample's and with the calima sample's (verdict aerosol). A coarse wavelength grid
keeps the model cheap; it is the same for the three sets.
"""

import json
import shutil

import pytest
from conftest import DATA, error_lines
from jsonschema import Draft202012Validator

from calibpipe_tasks.cli import main
from calibpipe_tasks.io import simpipe_schemas
from calibpipe_tasks.io.reference_atmosphere import default_reference_dir
from calibpipe_tasks.outputs import sha256_of

ERA5 = [DATA / "era5_north_20240115_classic.nc", DATA / "era5_north_20240116_classic.nc"]
FRAM = {
    "clear": DATA / "fram" / "fram_clear_north_20240115.fits",
    "calima": DATA / "fram" / "fram_calima_vector_north_20240115.fits",
    "clouds": DATA / "fram" / "fram_clouds_altaz_north_20240115.fits",
}
VERDICT = {"clear": "clear", "calima": "aerosol", "clouds": "variable"}
REFERENCE = default_reference_dir() / "reference_atmo_model_v0_ctao-north_winter.ecsv"
QUIET = ["--log-level", "WARNING"]
COARSE = ["--wavelength-min", "300", "--wavelength-max", "600", "--wavelength-step", "50"]


def _cli(*args, out):
    out.mkdir(parents=True, exist_ok=True)
    code = main([*map(str, args), "--output-dir", str(out), *QUIET])
    assert code == 0, args


@pytest.fixture(scope="module")
def night(tmp_path_factory):
    """meteo.ecsv of the night and the assessment record of each FRAM sample."""
    root = tmp_path_factory.mktemp("clear_night_exchange")
    _cli("ingest-meteo", "--meteo-files", *ERA5, "--site", "North", "--date", "2024-01-15",
         "--grid-selection", "box", out=root / "meteo")  # fmt: skip
    _cli("compute-macobac", "--co2-file", DATA / "scripps_monthly_in_situ_co2_mlo.csv",
         out=root / "macobac")  # fmt: skip
    records = {}
    for kind, fits in FRAM.items():
        _cli("ingest-fram", "--fram-files", fits, "--site", "North", out=root / kind)
        _cli("assess-clear-night", "--fram", root / kind / "fram.ecsv", "--date", "2024-01-15",
             out=root / kind)  # fmt: skip
        records[kind] = root / kind / "clear_night.json"
    return {"root": root, "meteo": root / "meteo" / "meteo.ecsv",
            "macobac": root / "macobac" / "macobac.ecsv", "records": records}  # fmt: skip


def model_args(night, *extra):
    return ["create-atmospheric-model", "--meteo", night["meteo"], "--macobac", night["macobac"],
            "--reference-model", REFERENCE, "--product-id", "n1", *COARSE, *extra]  # fmt: skip


@pytest.fixture(scope="module")
def sets(night):
    """Exchange set directories: ``none`` (no assessment), ``clear``, ``calima``."""
    out = {}
    for kind in ("none", "clear", "calima"):
        extra = [] if kind == "none" else ["--clear-night", night["records"][kind]]
        out[kind] = night["root"] / f"set_{kind}"
        _cli(*model_args(night, *extra), out=out[kind])
    return out


def manifest_of(directory):
    return json.loads((directory / "atmosphere_exchange_n1.json").read_text())


@pytest.mark.parametrize("kind", ["clear", "calima"])
def test_manifest_records_the_verdict(sets, night, kind):
    manifest = manifest_of(sets[kind])
    Draft202012Validator(simpipe_schemas.load_schema(simpipe_schemas.MANIFEST)).validate(manifest)
    record_path = night["records"][kind]
    record = json.loads(record_path.read_text())
    block = manifest["clear_night"]
    assert manifest["manifest_version"] == "1.1.0"
    assert block["verdict"] == record["verdict"] == VERDICT[kind]
    assert block["clear"] is (kind == "clear")
    assert block["reason"] == record["reason"]
    assert (block["mean_vaod"], block["mean_vaod_err"]) == (
        record["mean_vaod"],
        record["mean_vaod_err"],
    )
    # the samples' truth: clear VAOD 0.02, calima 0.1-0.3 (tests/aerosol/fram_synthetic.py)
    assert (0.01 < block["mean_vaod"] < 0.03) if kind == "clear" else (block["mean_vaod"] > 0.08)
    assert 0 < block["mean_vaod_err"] < 0.005
    assert block["record"] == {
        "name": "clear_night.json",
        "size": record_path.stat().st_size,
        "sha256": sha256_of(record_path),
    }
    assert block["night"]["start_utc"].startswith("2024-01-15T19:5")
    assert block["instrument"] == "FRAM" and block["n_used"] == record["n_used"] > 20


def test_without_an_assessment_the_set_is_as_before(sets):
    """The set's files are byte-identical with and without the block; the manifest differs only
    by the block and its version (the schema refuses either alone)."""
    names = sorted(p.name for p in sets["none"].iterdir() if not p.name.endswith("provenance.json"))
    for name in names:
        if not name.startswith("atmosphere_exchange_"):
            assert (sets["none"] / name).read_bytes() == (sets["calima"] / name).read_bytes(), name
    plain, marked = manifest_of(sets["none"]), manifest_of(sets["calima"])
    assert plain["manifest_version"] == "1.0.0" and "clear_night" not in plain
    block = marked.pop("clear_night")
    assert marked.pop("manifest_version") == "1.1.0"
    plain.pop("manifest_version")
    assert plain == marked
    validator = Draft202012Validator(simpipe_schemas.load_schema(simpipe_schemas.MANIFEST))
    assert not validator.is_valid({**plain, "manifest_version": "1.1.0"})
    assert not validator.is_valid({**plain, "manifest_version": "1.0.0", "clear_night": block})
    assert not validator.is_valid(
        {**plain, "manifest_version": "1.1.0", "clear_night": {**block, "clear": True}}
    )


def validate(run_cli, directory, out, *files):
    out.mkdir(exist_ok=True)
    args = ["validate-exchange", "--manifest", directory / "atmosphere_exchange_n1.json"]
    for f in files:
        args += ["--file", f]
    return run_cli(*args, cwd=out)


@pytest.mark.parametrize("kind", ["none", "clear", "calima"])
def test_validate_exchange_reports_the_verdict(run_cli, sets, night, tmp_path, kind):
    """The record given with --file (as the CWL tool does), the set elsewhere."""
    directory = tmp_path / "set"
    shutil.copytree(sets[kind], directory)
    given = []
    if kind != "none":
        moved = tmp_path / "record" / "clear_night.json"
        moved.parent.mkdir()
        shutil.copy(night["records"][kind], moved)
        given = [moved]
    result = validate(run_cli, directory, tmp_path / "out", *given)
    assert result.code == 0, result.err
    report = json.loads((tmp_path / "out" / "exchange_validation.json").read_text())
    warnings = [line for line in result.err.splitlines() if "WARNING" in line]
    if kind == "none":
        assert "clear_night" not in report and not warnings
        return
    assert report["clear_night"]["verdict"] == VERDICT[kind]
    assert report["clear_night"]["clear"] is (kind == "clear")
    assert report["clear_night"]["record"]["sha256"] == sha256_of(night["records"][kind])
    if kind == "clear":
        assert not warnings
    else:
        (line,) = warnings
        assert "atmosphere_exchange_n1.json" in line and "not clear (verdict aerosol" in line


def test_validate_exchange_checks_the_record(run_cli, sets, night, tmp_path):
    directory = tmp_path / "set"
    shutil.copytree(sets["calima"], directory)
    result = validate(run_cli, directory, tmp_path / "out")
    assert result.code == 3
    (line,) = error_lines(result.err)
    assert "atmosphere_exchange_n1.json" in line and "clear_night.json, which is missing" in line
    # a record edited to "clear" (the size kept): the checksum gives it away
    record = directory / "clear_night.json"
    text = night["records"]["calima"].read_text()
    record.write_text(text.replace('"verdict": "aerosol"', '"verdict": "clear"  '))
    assert record.stat().st_size == night["records"]["calima"].stat().st_size
    result = validate(run_cli, directory, tmp_path / "out")
    assert result.code == 3
    (line,) = error_lines(result.err)
    assert str(record) in line and "sha256" in line
    assert not (tmp_path / "out" / "exchange_validation.json").exists()


def test_record_of_another_night_or_site_is_refused(run_cli, night, tmp_path):
    record = json.loads(night["records"]["clouds"].read_text())
    cases = {
        "night": {**record, "night": {**record["night"], "start": "2023-01-15T20:00:00Z",
                                      "end": "2023-01-16T06:00:00Z"}},
        "site": {**record, "site": {**record["site"], "name": "South"}},
        "verdict": {**record, "verdict": "cloudy"},
        "nan": {**record, "mean_vaod": float("nan")},
    }  # fmt: skip
    expected = {
        "night": "does not overlap the meteorological window",
        "site": "is for site South",
        "verdict": "verdict 'cloudy' is not one of",
        "nan": "mean_vaod must be a finite number",
    }
    for case, content in cases.items():
        path = tmp_path / f"{case}.json"
        path.write_text(json.dumps(content))
        out = tmp_path / f"out_{case}"
        out.mkdir()
        result = run_cli(*model_args(night, "--clear-night", path), cwd=out)
        assert result.code == 3, case
        (line,) = error_lines(result.err)
        assert str(path) in line and expected[case] in line, line
        assert not list(out.iterdir()), case
