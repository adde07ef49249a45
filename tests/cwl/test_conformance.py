"""The cwltest conformance list covers every tool and workflow and passes under cwltool and Toil."""

import subprocess

import pytest
from conftest import CWL_DIR
from cwl_engines import JOBS, cwl_for, load_cwl, needs_network
from make_conformance import (
    LIST,
    VARYING_SUFFIXES,
    conformance_entries,
    expected_files,
    expected_value,
    read_list,
    static_outputs,
)
from ruamel.yaml import YAML

CWL_FILES = sorted((CWL_DIR / "tools").glob("*.cwl")) + sorted(
    (CWL_DIR / "workflows").glob("*.cwl")
)
RUNNERS = {"cwltool": "cwltool", "toil": "toil-cwl-runner"}


def cwltest(runner, test_list, tmp_path, *extra):
    cmd = ["cwltest", "--test", str(test_list), "--tool", runner, "--exclude-tags", "network"]
    cmd += [*extra, "--", "--no-container"]
    return subprocess.run(cmd, capture_output=True, text=True, cwd=tmp_path)


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
    assert entry["tags"] == [kind] + (["network"] if needs_network(cwl) else [])
    assert set(entry["output"]) == set(doc["outputs"]), "run tests/cwl/make_conformance.py"
    if needs_network(cwl):
        assert entry["output"] == static_outputs(cwl)
        return

    found = [f for value in entry["output"].values() for f in expected_files(value)]
    assert found, "a job without File outputs"
    for f in found:
        if f["basename"].endswith(VARYING_SUFFIXES):
            assert "checksum" not in f and "size" not in f
        else:
            assert f["checksum"].startswith("sha1$") and f["size"] > 0


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
@pytest.mark.parametrize("runner", RUNNERS)
def test_conformance_list_passes(runner, tmp_path):
    result = cwltest(RUNNERS[runner], LIST, tmp_path, "-j", "2")
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
    result = cwltest("cwltool", bad, tmp_path)
    assert result.returncode != 0
    assert "checksums do not match" in result.stdout + result.stderr
