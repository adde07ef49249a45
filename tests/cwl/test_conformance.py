"""The cwltest conformance list covers every tool and workflow and passes under cwltool and Toil."""

import hashlib
import json

import pytest
from conftest import CWL_DIR
from cwl_engines import ENGINES, JOBS, cwl_for, load_cwl, needs_network, run_cwltest
from fake_services_fixture import fake_services  # noqa: F401 (fixture)
from make_conformance import (
    LIST,
    SOFTWARE_TAG,
    VARYING_SUFFIXES,
    conformance_entries,
    expected_files,
    expected_value,
    read_list,
    software_records,
)
from ruamel.yaml import YAML

CWL_FILES = sorted((CWL_DIR / "tools").glob("*.cwl")) + sorted(
    (CWL_DIR / "workflows").glob("*.cwl")
)


def test_list_has_one_entry_per_tool_and_workflow():
    entries = conformance_entries()
    assert sorted(entries) == sorted(p.stem for p in CWL_FILES), (
        "conformance list out of date: run tests/cwl/make_conformance.py"
    )
    for job in JOBS:
        e = entries[job.stem]
        assert (LIST.parent / e["tool"]).resolve() == cwl_for(job)
        assert (LIST.parent / e["job"]).resolve() == job.resolve()


@pytest.mark.parametrize("job", JOBS, ids=[j.stem for j in JOBS])
def test_entry_matches_its_cwl_file(job):
    """Expected outputs name every declared output; products have checksums, provenance not."""
    entry = conformance_entries()[job.stem]
    cwl = cwl_for(job)
    doc = load_cwl(cwl)
    kind = "tool" if doc["class"] == "CommandLineTool" else "workflow"
    tags = [t for t in entry["tags"] if t != SOFTWARE_TAG]
    assert tags == [kind] + (["network"] if needs_network(cwl) else [])
    assert set(entry["output"]) == set(doc["outputs"]), "run tests/cwl/make_conformance.py"
    found = [f for value in entry["output"].values() for f in expected_files(value)]
    assert found, "a job without File outputs"
    unchecked = []
    for f in found:
        if "checksum" in f:
            assert f["checksum"].startswith("sha1$") and f["size"] > 0
        elif not f["basename"].endswith(VARYING_SUFFIXES):
            unchecked.append(f["basename"])
    # only JSON records of the software stack, and only in entries tagged so, go unchecked
    assert all(name.endswith(".json") for name in unchecked), unchecked
    assert bool(unchecked) == (SOFTWARE_TAG in entry["tags"])


def test_software_records_are_found(tmp_path):
    """The manifest names the software; a receipt holding its checksum depends on it too."""
    manifest = tmp_path / "manifest.json"
    manifest.write_text(json.dumps({"files": [], "software": {"python": "3.12.0"}}))
    digest = hashlib.sha256(manifest.read_bytes()).hexdigest()
    receipt = tmp_path / "receipt.json"
    receipt.write_text(json.dumps({"files": [{"name": "manifest.json", "sha256": digest}]}))
    other = tmp_path / "other.json"
    other.write_text(json.dumps({"files": [{"name": "x.ecsv", "sha256": "0" * 64}]}))

    def output(path):
        return {"class": "File", "basename": path.name, "location": path.as_uri()}

    raw = {"m": output(manifest), "r": [output(receipt)], "o": output(other)}
    assert software_records(raw) == {"manifest.json", "receipt.json"}
    assert "checksum" not in expected_value(
        {**output(receipt), "checksum": "sha1$0", "size": 1}, software_records(raw)
    )


def test_provenance_is_not_checksummed():
    value = {"class": "File", "basename": "x.provenance.json", "checksum": "sha1$0", "size": 3}
    assert expected_value(value) == {
        "class": "File",
        "basename": "x.provenance.json",
        "location": "Any",
    }
    product = {"class": "File", "basename": "x.ecsv", "checksum": "sha1$0", "size": 3}
    assert expected_value([product])[0]["checksum"] == "sha1$0"


@pytest.mark.engines
@pytest.mark.usefixtures("fake_services")  # the fetch-* entries run too
@pytest.mark.parametrize("engine", ENGINES)
def test_conformance_list_passes(engine, tmp_path):
    result = run_cwltest(engine, LIST, tmp_path, "-j", "2")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "All tests passed" in result.stdout + result.stderr


@pytest.mark.engines
def test_cwltest_catches_a_wrong_checksum(tmp_path):
    """The list really checks products: a changed checksum makes cwltest fail."""
    entries = [e for e in read_list() if "network" not in e["tags"]][:1]
    for value in entries[0]["output"].values():
        if isinstance(value, dict) and "checksum" in value:
            value["checksum"] = "sha1$" + "0" * 40
            break
    for e in entries:  # paths relative to the copy
        e["tool"] = str((LIST.parent / e["tool"]).resolve())
        e["job"] = str((LIST.parent / e["job"]).resolve())
    bad = tmp_path / "bad.cwltest.yml"
    YAML().dump(entries, bad)
    result = run_cwltest("cwltool", bad, tmp_path)
    assert result.returncode != 0
    assert "checksums do not match" in result.stdout + result.stderr
