"""simtools itself takes our exchange files: its own ECSV-asset validator, sim_telarray table
writer, model-parameter schemas and record metaschema, run on what we write.

simtools 0.38 requires Python >= 3.14 (not on these machines) and cannot be installed, but the
modules that validate table assets (``simtools.data_model.table_asset``) and write the native
sim_telarray / CORSIKA tables from them (``simtools.simtel.table_serializers``) are plain
numpy/astropy code that imports on 3.12. ``make test`` downloads the gammasimtools wheel
(``pip download --no-deps``) into ``<venv>/simtools-wheel/``; these tests import those two
modules and read the schemas from it. Without the wheel they skip, except under CI where
that is a failure.
"""

import json
import shutil
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest
from astropy.table import Table
from conftest import DATA, in_ci
from ruamel.yaml import YAML

from calibpipe_tasks.io.simpipe_native import read_atm_trans, read_atmprof

SAMPLE = DATA / "exchange_sample"
WHEEL_DIR = Path(sys.prefix) / "simtools-wheel"
SIMTOOLS_VERSION = "0.38"


@pytest.fixture(scope="module")
def simtools(tmp_path_factory):
    wheels = sorted(WHEEL_DIR.glob(f"gammasimtools-{SIMTOOLS_VERSION}.*-py3-none-any.whl"))
    if not wheels:
        message = (
            f"no gammasimtools {SIMTOOLS_VERSION} wheel in {WHEEL_DIR}: "
            "`make test` downloads it (pip download --no-deps)"
        )
        if in_ci():
            pytest.fail(message)
        pytest.skip(message)
    root = tmp_path_factory.mktemp("simtools")
    with zipfile.ZipFile(wheels[-1]) as wheel:
        wheel.extractall(root)
    sys.path.insert(0, str(root))
    try:
        from simtools.data_model import table_asset
        from simtools.simtel import table_serializers
    finally:
        sys.path.remove(str(root))
    return {
        "table_asset": table_asset,
        "serializers": table_serializers,
        "schemas": root / "simtools" / "schemas",
    }


def yaml_documents(path):
    return [doc for doc in YAML(typ="safe", pure=True).load_all(path.read_text()) if doc]


def parameter_schema(simtools, parameter, version):
    path = simtools["schemas"] / "model_parameters" / f"{parameter}.schema.yml"
    return next(d for d in yaml_documents(path) if d.get("schema_version") == version)


def records(directory):
    manifest_path = next(directory.glob("atmosphere_exchange_*.json"))
    manifest = json.loads(manifest_path.read_text())
    out = {}
    for parameter, names in manifest["simtools"]["parameters"].items():
        path = directory / names["record"]
        out[parameter] = (path, json.loads(path.read_text()))
    return out


def simtools_read(simtools, record_path, record):
    """What simtools' FileSystemModelSource.get_parameter_table does with a record."""
    schema = parameter_schema(
        simtools, record["parameter"], record["model_parameter_schema_version"]
    )
    entry = next(e for e in schema["data"] if e.get("type") == "file")
    asset = simtools["table_asset"].resolve_asset_path(record["value"], record_path)
    return simtools["table_asset"].read_ecsv_asset(asset, schema_entry=entry, parameter_data=record)


@pytest.mark.parametrize("parameter", ["atmospheric_profile", "atmospheric_transmission"])
def test_simtools_reads_and_validates_our_assets(simtools, parameter):
    record_path, record = records(SAMPLE)[parameter]
    table = simtools_read(simtools, record_path, record)
    assert len(table) > 0
    schema = parameter_schema(simtools, parameter, "0.3.0")
    declared = {c["name"] for c in schema["data"][0]["table_columns"]}
    assert set(table.colnames) <= declared


def test_our_atmprof_equals_what_simtools_writes_from_our_asset(simtools, tmp_path):
    record_path, record = records(SAMPLE)["atmospheric_profile"]
    table = simtools_read(simtools, record_path, record)
    contract = simtools["table_asset"].get_simtel_serialization(
        parameter_schema(simtools, "atmospheric_profile", "0.3.0")
    )
    contract["table_format"] = "plain"  # as simtools' SiteModel exports the CORSIKA profile
    simtools["serializers"].write_simtel_table(Table(table), tmp_path, contract, "atmprof.dat")
    theirs = read_atmprof(tmp_path / "atmprof.dat")
    ours = read_atmprof(next(SAMPLE.glob("atmprof_*.dat")))
    assert list(theirs) == list(ours)  # same 7 columns in the same order
    for name in ours:
        assert np.allclose(ours[name], theirs[name], rtol=6e-8, atol=5e-4 * (name == "altitude"))


def test_our_atm_trans_equals_what_simtools_writes_from_our_asset(simtools, tmp_path):
    record_path, record = records(SAMPLE)["atmospheric_transmission"]
    table = simtools_read(simtools, record_path, record)
    contract = simtools["table_asset"].get_simtel_serialization(
        parameter_schema(simtools, "atmospheric_transmission", "0.3.0")
    )
    simtools["serializers"].write_simtel_table(Table(table), tmp_path, contract, "trans.dat")
    first = (tmp_path / "trans.dat").read_text().splitlines()[0]
    assert first.startswith("# H2= 2.15, H1= ")
    wl_t, alt_t, tau_t, level_t = read_atm_trans(tmp_path / "trans.dat")
    wl, alt, tau, level = read_atm_trans(next(SAMPLE.glob("atm_trans_*.dat")))
    assert level == pytest.approx(level_t)
    assert np.allclose(alt, alt_t, atol=5e-4) and np.array_equal(wl, wl_t)
    assert np.allclose(tau, tau_t, rtol=6e-8)


def test_our_records_match_simtools_metaschema(simtools):
    from jsonschema import Draft6Validator
    from referencing import Registry, Resource

    docs = yaml_documents(simtools["schemas"] / "model_parameter.metaschema.yml")

    def retrieve(uri):
        return Resource.from_contents(yaml_documents(simtools["schemas"] / uri)[0])

    for record_path, record in records(SAMPLE).values():
        metaschema = next(d for d in docs if d["schema_version"] == record["schema_version"])
        Draft6Validator(metaschema, registry=Registry(retrieve=retrieve)).validate(record)
        # simtools' DataValidator: file name <parameter>-<parameter_version>.json
        assert record_path.stem == f"{record['parameter']}-{record['parameter_version']}"
        # the latest metaschema is the one simtools' ModelDataWriter stamps on new records
        assert record["schema_version"] == docs[0]["schema_version"]


def _no_description(t):
    t["thickness"].description = None


def _kelvin(t):
    t["pressure"].unit = "K"


def _nan(t):
    t["density"][4] = np.nan


def _south(t):
    t.meta["site"] = "South"


def _extra(t):
    t["ozone"] = np.zeros(len(t))
    t["ozone"].description = "extra"


BAD = {
    "missing description": _no_description,
    "wrong unit": _kelvin,
    "NaN": _nan,
    "missing column": lambda t: t.remove_column("density"),
    "wrong meta site": _south,
    "unexpected column": _extra,
}


@pytest.mark.parametrize("case", list(BAD))
def test_simtools_and_validate_exchange_reject_the_same_bad_profile(
    simtools, case, tmp_path, run_cli
):
    from calibpipe_tasks.outputs import sha256_of

    directory = tmp_path / "set"
    shutil.copytree(SAMPLE, directory, ignore=shutil.ignore_patterns("*.py"))
    record_path, record = records(directory)["atmospheric_profile"]
    asset = directory / record["value"]
    table = Table.read(asset, format="ascii.ecsv")
    BAD[case](table)
    table.write(asset, format="ascii.ecsv", overwrite=True)
    with pytest.raises(ValueError):
        simtools_read(simtools, record_path, record)
    manifest_path = next(directory.glob("atmosphere_exchange_*.json"))
    manifest = json.loads(manifest_path.read_text())
    for entry in manifest["files"]:
        entry["size"] = (directory / entry["name"]).stat().st_size
        entry["sha256"] = sha256_of(directory / entry["name"])
    manifest_path.write_text(json.dumps(manifest))
    result = run_cli("validate-exchange", "--manifest", manifest_path, cwd=tmp_path)
    assert result.code == 3 and asset.name in result.err


def test_missing_optical_depth_reaches_sim_telarray_as_99999_both_ways(simtools, tmp_path):
    """A NaN cell is left out of the asset; simtools writes its missing value there, as we do."""
    from exchange_fixtures import sample_inputs

    from calibpipe_tasks.io.simpipe import Extinction, write_exchange_set

    profile, ext, fit, info = sample_inputs()
    tau = ext.optical_depth.copy()
    tau[-1, -1] = np.nan
    ext = Extinction(ext.wavelength_nm, ext.emission_altitude_km, tau, ext.observation_level_km)
    write_exchange_set(tmp_path, profile, ext, fit, info)
    record_path, record = records(tmp_path)["atmospheric_transmission"]
    table = simtools_read(simtools, record_path, record)
    assert len(table) == tau.size - 1
    contract = simtools["table_asset"].get_simtel_serialization(
        parameter_schema(simtools, "atmospheric_transmission", "0.3.0")
    )
    simtools["serializers"].write_simtel_table(Table(table), tmp_path / "st", contract, "t.dat")
    theirs = read_atm_trans(tmp_path / "st" / "t.dat")[2]
    ours = read_atm_trans(next(tmp_path.glob("atm_trans_*.dat")))[2]
    assert np.isnan(theirs[-1, -1]) and np.isnan(ours[-1, -1])
    assert np.allclose(theirs, ours, rtol=6e-8, equal_nan=True)


def test_simtools_takes_a_set_marked_not_clear(simtools, run_cli, tmp_path):
    """A set whose manifest carries a non-clear verdict (issue 14): simtools reads its records
    and assets as before, and validate-exchange accepts it (exit 0) and reports the verdict."""
    from exchange_fixtures import sample_inputs

    from calibpipe_tasks.io.clear_night_record import manifest_block, read_clear_night_record
    from calibpipe_tasks.io.simpipe import write_exchange_set

    fram = DATA / "fram" / "fram_clear_north_20240115.ecsv"  # VAOD 0.02: "aerosol" below 0.01
    result = run_cli("assess-clear-night", "--fram", fram, "--date", "2024-01-15",
                     "--max-clear-vaod", "0.01", cwd=tmp_path)  # fmt: skip
    assert result.code == 0, result.err
    record_path = tmp_path / "clear_night.json"
    record = read_clear_night_record(record_path)
    assert record["verdict"] == "aerosol"
    block = manifest_block(record_path, record, ("2024-01-15T19:59:00Z", "2024-01-16T06:28:00Z"))
    directory = tmp_path / "set"
    write_exchange_set(directory, *sample_inputs(), clear_night=block)
    shutil.copy(record_path, directory)
    for parameter, (path, content) in records(directory).items():
        assert len(simtools_read(simtools, path, content)) > 0, parameter
    result = run_cli("validate-exchange", "--manifest",
                     next(directory.glob("atmosphere_exchange_*.json")), cwd=tmp_path)  # fmt: skip
    assert result.code == 0, result.err
    report = json.loads((tmp_path / "exchange_validation.json").read_text())
    assert report["clear_night"]["verdict"] == "aerosol" and report["clear_night"]["clear"] is False
