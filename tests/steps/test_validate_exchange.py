"""validate-exchange: a valid set passes; each bad set exits 3 naming the file and the problem."""

import json
import shutil

import numpy as np
import pytest
from astropy.table import Table
from conftest import DATA, error_lines

from calibpipe_tasks.outputs import sha256_of

SAMPLE = DATA / "exchange_sample"
MANIFEST = "atmosphere_exchange_sample-north-20230615.json"
PROFILE = "atmospheric_profile_sample-north-20230615.ecsv"
TRANSMISSION = "atmospheric_transmission_sample-north-20230615.ecsv"
PROFILE_RECORD = "atmospheric_profile-1.0.0.json"
ATMPROF = "atmprof_sample-north-20230615.dat"
ATM_TRANS = "atm_trans_sample-north-20230615.dat"


@pytest.fixture
def exchange_dir(tmp_path):
    directory = tmp_path / "set"
    shutil.copytree(SAMPLE, directory, ignore=shutil.ignore_patterns("*.py"))
    return directory


def rehash(directory):
    """Update the manifest's sizes and checksums after a file was changed on purpose."""
    path = directory / MANIFEST
    manifest = json.loads(path.read_text())
    for entry in manifest["files"]:
        file = directory / entry["name"]
        if file.exists():
            entry["size"] = file.stat().st_size
            entry["sha256"] = sha256_of(file)
    path.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")


def edit_table(directory, name, change):
    path = directory / name
    table = Table.read(path, format="ascii.ecsv")
    table = change(table) or table
    table.write(path, format="ascii.ecsv", overwrite=True)
    rehash(directory)


def edit_json(directory, name, change, refresh=True):
    path = directory / name
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
    if refresh:
        rehash(directory)


def edit_text(directory, name, old, new, refresh=True):
    path = directory / name
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))
    if refresh:
        rehash(directory)


def run_validate(run_cli, directory, out):
    out.mkdir(exist_ok=True)
    return run_cli("validate-exchange", "--manifest", directory / MANIFEST, cwd=out)


def test_sample_set_is_valid(run_cli, exchange_dir, tmp_path):
    result = run_validate(run_cli, exchange_dir, tmp_path / "out")
    assert result.code == 0, result.err
    report = json.loads((tmp_path / "out" / "exchange_validation.json").read_text())
    assert report["valid"] is True and report["product_id"] == "sample-north-20230615"
    assert report["summary"]["profile_levels"] == 48
    assert report["summary"]["wavelengths"] == 81
    assert report["summary"]["emission_altitudes"] == 20
    assert report["manifest"]["sha256"] == sha256_of(exchange_dir / MANIFEST)


def test_files_given_from_other_directories(run_cli, exchange_dir, tmp_path):
    """As CWL engines stage them: every file in a directory of its own."""
    args = []
    for i, path in enumerate(sorted(exchange_dir.iterdir())):
        if path.name == MANIFEST:
            continue
        staged = tmp_path / f"stage{i}"
        staged.mkdir()
        shutil.copy(path, staged / path.name)
        args.append(staged / path.name)
    lone = tmp_path / "manifest_only"
    lone.mkdir()
    shutil.copy(exchange_dir / MANIFEST, lone / MANIFEST)
    out = tmp_path / "out"
    out.mkdir()
    result = run_cli("validate-exchange", "--manifest", lone / MANIFEST, "--file", *args, cwd=out)
    assert result.code == 0, result.err


def test_rerun_report_is_byte_identical(run_cli, exchange_dir, tmp_path):
    assert run_validate(run_cli, exchange_dir, tmp_path / "a").code == 0
    assert run_validate(run_cli, exchange_dir, tmp_path / "b").code == 0
    first = (tmp_path / "a" / "exchange_validation.json").read_bytes()
    assert first == (tmp_path / "b" / "exchange_validation.json").read_bytes()


def _set_density(table, i, value):
    table["density"][i] = value


def _swap_density(table):
    table["density"][[10, 11]] = table["density"][[11, 10]]


def _drop_description(table):
    table["thickness"].description = None


def _pressure_in_kelvin(table):
    table["pressure"].unit = "K"


def _tau_down_with_altitude(table):
    # wavelength 200 nm: make the 6th altitude's optical depth smaller than the 5th's
    table["extinction"][5] = table["extinction"][4] * 0.5


def _tau_up_with_wavelength(table):
    # altitude index 3 at the 2nd wavelength (210 nm) above its value at 200 nm
    table["extinction"][20 + 3] = table["extinction"][3] * 1.1


def _nonpositive_n(table):
    table["refractive_index"][7] = 0.0


def _extra_column(table):
    table["ozone"] = np.zeros(len(table))
    table["ozone"].description = "not a simtools column"


def _meta(key, value):
    def change(table):
        table.meta[key] = value

    return change


# (case id, file to change, how, file named in the error, words in the error)
BAD_ASSETS = [
    ("wrong unit", PROFILE, _pressure_in_kelvin, PROFILE, "column 'pressure' has unit 'K'"),
    (
        "missing column",
        PROFILE,
        lambda t: t.remove_column("density"),
        PROFILE,
        "missing required column 'density'",
    ),
    (
        "missing description",
        PROFILE,
        _drop_description,
        PROFILE,
        "column 'thickness' has no description",
    ),
    ("NaN", PROFILE, lambda t: _set_density(t, 5, np.nan), PROFILE, "NaN or infinite"),
    (
        "non-monotonic density",
        PROFILE,
        _swap_density,
        PROFILE,
        "density does not decrease with altitude",
    ),
    ("n-1 not positive", PROFILE, _nonpositive_n, PROFILE, "n-1 = 0 <= 0"),
    ("unexpected column", PROFILE, _extra_column, PROFILE, "unexpected column 'ozone'"),
    (
        "tau decreasing with altitude",
        TRANSMISSION,
        _tau_down_with_altitude,
        TRANSMISSION,
        "optical depth decreases with altitude at 200 nm",
    ),
    (
        "tau increasing with wavelength",
        TRANSMISSION,
        _tau_up_with_wavelength,
        TRANSMISSION,
        "optical depth increases with wavelength",
    ),
    (
        "wrong meta site",
        PROFILE,
        _meta("site", "South"),
        PROFILE,
        "meta site is 'South', the JSON record says 'North'",
    ),
    (
        "wrong meta instrument",
        TRANSMISSION,
        _meta("instrument", "OBS-South"),
        TRANSMISSION,
        "meta instrument is 'OBS-South'",
    ),
    (
        "observatory level not a number",
        TRANSMISSION,
        _meta("observatory_level", "2.15 km"),
        TRANSMISSION,
        "observatory_level must be a number",
    ),
    (
        "missing meta",
        TRANSMISSION,
        lambda t: t.meta.pop("parameter_version") and None,
        TRANSMISSION,
        "missing table meta 'parameter_version'",
    ),
]


@pytest.mark.parametrize(
    "name, change, culprit, words", [c[1:] for c in BAD_ASSETS], ids=[c[0] for c in BAD_ASSETS]
)
def test_bad_asset_exits_3_naming_file_and_problem(
    run_cli, exchange_dir, tmp_path, name, change, culprit, words
):
    edit_table(exchange_dir, name, change)
    result = run_validate(run_cli, exchange_dir, tmp_path / "out")
    assert result.code == 3, result.err
    lines = error_lines(result.err)
    assert len(lines) == 1, lines
    assert culprit in lines[0] and words in lines[0], lines[0]
    assert "Traceback" not in result.err
    assert not (tmp_path / "out" / "exchange_validation.json").exists()


def _same_length_edit(directory, name):
    path = directory / name
    data = bytearray(path.read_bytes())
    i = data.rindex(b"e-0")
    data[i - 1] = ord("9") if data[i - 1] != ord("9") else ord("8")
    path.write_bytes(bytes(data))


BAD_SETS = [
    ("wrong checksum", lambda d: _same_length_edit(d, ATM_TRANS), ATM_TRANS, "sha256"),
    (
        "wrong size",
        lambda d: edit_text(d, ATMPROF, "# ", "#  ", refresh=False),
        ATMPROF,
        "does not match the manifest",
    ),
    (
        "missing file",
        lambda d: (d / ATMPROF).unlink(),
        MANIFEST,
        f"lists {ATMPROF}, which is missing",
    ),
    (
        "manifest schema violation",
        lambda d: edit_json(d, MANIFEST, lambda m: m.update(co2_ppm="420.83"), refresh=False),
        MANIFEST,
        "atmosphere-exchange-manifest.schema.json at co2_ppm",
    ),
    (
        "manifest validity reversed",
        lambda d: edit_json(
            d,
            MANIFEST,
            lambda m: m["validity"].update(end_utc="2023-06-15T20:00:00Z"),
            refresh=False,
        ),
        MANIFEST,
        "validity window ends before it starts",
    ),
    (
        "manifest site/instrument mismatch",
        lambda d: edit_json(
            d, MANIFEST, lambda m: m["site"].update(instrument="OBS-South"), refresh=False
        ),
        MANIFEST,
        "instrument",
    ),
    (
        "record schema violation",
        lambda d: edit_json(d, PROFILE_RECORD, lambda r: r.update(type="double")),
        PROFILE_RECORD,
        "simtools-model-parameter-record.schema.json at type",
    ),
    (
        "record points elsewhere",
        lambda d: edit_json(d, PROFILE_RECORD, lambda r: r.update(value="other.ecsv")),
        PROFILE_RECORD,
        "value is 'other.ecsv'",
    ),
    (
        "record for the wrong site",
        lambda d: edit_json(
            d, PROFILE_RECORD, lambda r: r.update(site="South", instrument="OBS-South")
        ),
        PROFILE_RECORD,
        "site is 'South'",
    ),
    (
        "fit layers out of order",
        lambda d: edit_json(
            d, MANIFEST, lambda m: m["five_layer_fit"]["layers"].reverse(), refresh=False
        ),
        MANIFEST,
        "five_layer_fit layers must be 1-5",
    ),
    (
        "profile starts above the observation level",
        lambda d: edit_table(d, PROFILE, lambda t: t.remove_rows([0, 1, 2])),
        PROFILE,
        "profile starts at 3 km, above the observation level 2.15 km",
    ),
    (
        "not JSON",
        lambda d: (d / MANIFEST).write_text("{not json"),
        MANIFEST,
        "not a readable JSON file",
    ),
    (
        "atmprof differs from asset",
        lambda d: edit_text(d, ATMPROF, "1.2249992e-03", "1.2349992e-03"),
        ATMPROF,
        "density at level 1 is 0.0012349992",
    ),
    (
        "atmprof too few levels",
        lambda d: _truncate_atmprof(d, 4),
        ATMPROF,
        "4 levels, CORSIKA needs at least 5",
    ),
    (
        "atm_trans wrong observation level",
        lambda d: edit_text(d, ATM_TRANS, "# H2= 2.150,", "# H2= 2.200,"),
        ATM_TRANS,
        "H2 = 2.2 km, the observation level is 2.15 km",
    ),
    (
        "atm_trans missing marker where asset has a value",
        lambda d: _mark_missing(d),
        ATM_TRANS,
        "missing value (99999.00) mismatch",
    ),
    ("not ECSV", lambda d: _break_ecsv(d), PROFILE, "not a readable ECSV table"),
]


def _truncate_atmprof(directory, keep):
    path = directory / ATMPROF
    lines = path.read_text().splitlines(keepends=True)
    header = [line for line in lines if line.startswith("#")]
    data = [line for line in lines if not line.startswith("#")]
    path.write_text("".join(header + data[:keep]))
    rehash(directory)


def _mark_missing(directory):
    path = directory / ATM_TRANS
    lines = path.read_text().splitlines(keepends=True)
    i = next(k for k, line in enumerate(lines) if not line.startswith("#"))
    fields = lines[i].split()
    fields[-1] = "99999.00"
    lines[i] = " ".join(fields) + "\n"
    path.write_text("".join(lines))
    rehash(directory)


def _break_ecsv(directory):
    path = directory / PROFILE
    path.write_text(path.read_text().replace("# %ECSV 1.0", "# %XXXX 1.0"))
    rehash(directory)


@pytest.mark.parametrize(
    "change, culprit, words", [c[1:] for c in BAD_SETS], ids=[c[0] for c in BAD_SETS]
)
def test_bad_set_exits_3_naming_file_and_problem(
    run_cli, exchange_dir, tmp_path, change, culprit, words
):
    change(exchange_dir)
    result = run_validate(run_cli, exchange_dir, tmp_path / "out")
    assert result.code == 3, result.err
    lines = error_lines(result.err)
    assert len(lines) == 1, lines
    assert culprit in lines[0] and words in lines[0], lines[0]
    assert "Traceback" not in result.err
    assert not (tmp_path / "out" / "exchange_validation.json").exists()


def test_missing_manifest_is_usage_error(run_cli, tmp_path):
    result = run_cli("validate-exchange", "--manifest", tmp_path / "nope.json", cwd=tmp_path)
    assert result.code == 2
    assert "nope.json" in error_lines(result.err)[0]


def test_unlisted_file_is_reported_not_checked(run_cli, exchange_dir, tmp_path):
    extra = tmp_path / "extra.txt"
    extra.write_text("not part of the set\n")
    result = run_cli(
        "validate-exchange", "--manifest", exchange_dir / MANIFEST, "--file", extra, cwd=tmp_path
    )
    assert result.code == 0, result.err
    assert "extra.txt: not listed in the manifest" in result.err


def test_missing_optical_depths_are_valid_but_still_checked_around(run_cli, tmp_path):
    from exchange_fixtures import sample_inputs

    from calibpipe_tasks.io.simpipe import Extinction, write_exchange_set

    profile, ext, fit, info = sample_inputs()
    tau = ext.optical_depth.copy()
    tau[3, 5] = np.nan
    good = Extinction(ext.wavelength_nm, ext.emission_altitude_km, tau, ext.observation_level_km)
    names = write_exchange_set(tmp_path / "good", profile, good, fit, info)
    result = run_cli(
        "validate-exchange", "--manifest", tmp_path / "good" / names["manifest"], cwd=tmp_path
    )
    assert result.code == 0, result.err
    bad_tau = tau.copy()
    bad_tau[3, 6] = tau[3, 4] * 0.9  # lower than the value before the gap
    bad = Extinction(ext.wavelength_nm, ext.emission_altitude_km, bad_tau, ext.observation_level_km)
    (tmp_path / "bad").mkdir()
    names = write_exchange_set(tmp_path / "bad", profile, bad, fit, info)
    result = run_cli(
        "validate-exchange", "--manifest", tmp_path / "bad" / names["manifest"], cwd=tmp_path
    )
    assert result.code == 3
    assert "optical depth decreases with altitude at 230 nm" in error_lines(result.err)[0]
