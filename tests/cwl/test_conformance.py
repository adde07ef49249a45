"""The conformance list: what holds on every machine, what holds on this one, and across CPUs.

- The suite's own reference run (every job under ``cwltool --no-container``,
  tests/reference_runs.py) matches the committed list (basenames, checksums of the exact
  products) and the committed numbers of the float products within their tolerances.
- Toil matches the reference run byte for byte (the machine-local list made from it).
- The portability stage: every job with float products, re-run as on a CPU with only the
  x86-64 baseline (numpy's wider kernels off, numba for a generic CPU, OpenBLAS generic),
  matches the committed numbers. The numbers were made on a CPU with AVX-512; a machine
  without it (or ARM) computes like this run, within the same tolerances.
"""

import hashlib
import json
import shutil

import product_numbers
import pytest
from conftest import CWL_DIR
from cwl_engines import JOBS, cwl_for, load_cwl, needs_network, run_cwltest
from cwltest.compare import CompareFail, compare
from fake_services_fixture import fake_services  # noqa: F401 (fixture)
from make_conformance import (
    CTAPIPE_PRODUCTS,
    LIST,
    NUMBERS,
    SOFTWARE_TAG,
    VARYING_SUFFIXES,
    check_numbers,
    conformance_entries,
    expected_files,
    expected_value,
    portable_environment,
    read_list,
    read_numbers,
    run_job,
    software_records,
    unchecksummed_tool_jobs,
)
from ruamel.yaml import YAML

CWL_FILES = sorted((CWL_DIR / "tools").glob("*.cwl")) + sorted(
    (CWL_DIR / "workflows").glob("*.cwl")
)
NUMBER_JOBS = [j for j in JOBS if read_numbers().get(j.stem)]


def test_list_has_one_entry_per_tool_and_workflow():
    entries = conformance_entries()
    # one entry per job: every CWL file's own job (same stem) and further jobs of a file
    assert {p.stem for p in CWL_FILES} <= {j.stem for j in JOBS}
    assert sorted(entries) == sorted(j.stem for j in JOBS), (
        "conformance list out of date: run tests/cwl/make_conformance.py"
    )
    assert sorted(read_numbers()) == sorted(entries), f"{NUMBERS.name} out of date"
    for job in JOBS:
        e = entries[job.stem]
        assert (LIST.parent / e["tool"]).resolve() == cwl_for(job)
        assert (LIST.parent / e["job"]).resolve() == job.resolve()


@pytest.mark.parametrize("job", JOBS, ids=[j.stem for j in JOBS])
def test_entry_matches_its_cwl_file(job):
    """Every product is checked: exact ones by checksum, float ones by their numbers."""
    entry = conformance_entries()[job.stem]
    cwl = cwl_for(job)
    doc = load_cwl(cwl)
    kind = "tool" if doc["class"] == "CommandLineTool" else "workflow"
    tags = [t for t in entry["tags"] if t != SOFTWARE_TAG]
    assert tags == [kind] + (["network"] if needs_network(cwl) else [])
    assert set(entry["output"]) == set(doc["outputs"]), "run tests/cwl/make_conformance.py"
    found = [f for value in entry["output"].values() for f in expected_files(value)]
    assert found, "a job without File outputs"
    numbers = read_numbers()[job.stem]
    numbered = {rel.rsplit("/", 1)[-1] for rel in numbers}
    for f in found:
        name = f["basename"]
        if name.endswith(VARYING_SUFFIXES):
            assert "checksum" not in f
        elif "checksum" in f:
            assert f["checksum"].startswith("sha1$") and f["size"] > 0
            assert not name.endswith((".ecsv", ".h5", ".dat", ".png")), f"{name}: a float product"
        else:
            assert name in numbered, f"{name}: neither checksum nor numbers"


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


def test_expected_value_keeps_checksums_only_where_asked():
    product = {"class": "File", "basename": "x.ecsv", "checksum": "sha1$0", "size": 3}
    assert expected_value([product], lambda f: True)[0]["checksum"] == "sha1$0"
    assert expected_value(product, lambda f: False) == {
        "class": "File",
        "basename": "x.ecsv",
        "location": "Any",
    }


@pytest.mark.engines
@pytest.mark.parametrize("job", JOBS, ids=[j.stem for j in JOBS])
def test_reference_run_matches_the_committed_list(job, reference):
    """What holds on every machine: output names, checksums of the exact products."""
    expected = conformance_entries()[job.stem]["output"]
    try:
        compare(expected, reference.runs[job.stem])
    except CompareFail as err:
        pytest.fail(f"{job.stem}: {err}")


@pytest.mark.engines
@pytest.mark.parametrize("job", NUMBER_JOBS, ids=[j.stem for j in NUMBER_JOBS])
def test_reference_run_matches_the_committed_numbers(job, reference):
    expected = read_numbers()[job.stem]
    problems = check_numbers(
        job.stem, reference.runs[job.stem], reference.outdir(job.stem), expected
    )
    assert not problems, "\n".join(problems[:20])


@pytest.fixture(scope="session")
def portable_env(tmp_path_factory):
    """The portable environment with one numba cache for the session's portable runs.

    numba compiles ctapipe's functions for the generic CPU once instead of once per job. The
    typed generalised ufuncs are compiled first, by one process under a lock shared by the
    pytest-xdist workers (concurrent compilation of a gufunc can leave a cache that segfaults:
    calibpipe_tasks/numba_cache.py).
    """
    import os
    import subprocess
    import sys

    from filelock import FileLock

    root = tmp_path_factory.getbasetemp().parent  # shared by the xdist workers
    cache = root / "portable-numba-cache"
    env = portable_environment(cache)
    with FileLock(str(root / "portable-numba-cache.lock")):
        if not (cache / ".compiled").exists():
            warm = [sys.executable, "-m", "calibpipe_tasks.numba_cache"]
            subprocess.run(warm, env={**os.environ, **env}, check=True)
            cache.mkdir(exist_ok=True)
            (cache / ".compiled").touch()
    return env


@pytest.mark.engines
@pytest.mark.slow
@pytest.mark.usefixtures("fake_services")  # for the fetch-* jobs
@pytest.mark.parametrize("job", NUMBER_JOBS, ids=[j.stem for j in NUMBER_JOBS])
def test_portable_run_matches_the_committed_numbers(job, portable_env, tmp_path):
    """The portability stage: the job as computed by a CPU with only the x86-64 baseline."""
    env = portable_env
    outdir = tmp_path / "out"
    raw = run_job(job, outdir, env=env, workdir=tmp_path)
    problems = check_numbers(job.stem, raw, outdir, read_numbers()[job.stem])
    assert not problems, "\n".join(problems[:20])


@pytest.mark.engines
def test_portable_environment_switches_the_wide_kernels_off(tmp_path):
    """numpy really runs without its dispatched kernels above the baseline in that environment."""
    import os
    import subprocess
    import sys

    env = {**os.environ, **portable_environment(tmp_path)}
    code = "from numpy._core import _multiarray_umath as m; print(m.__cpu_features__)"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    features = eval(out.stdout)  # a dict literal of feature name -> bool
    for name in env.get("NPY_DISABLE_CPU_FEATURES", "").split():
        assert not features.get(name), f"{name} still on"
    assert env["NUMBA_CPU_NAME"] == "generic"


@pytest.mark.engines
@pytest.mark.usefixtures("fake_services")  # the fetch-* entries run too
def test_toil_matches_the_reference_run_byte_for_byte(reference, tmp_path):
    """Every entry but those test_engines.py runs under Toil and compares by content."""
    by_content = ",".join(job.stem for job in unchecksummed_tool_jobs())
    result = run_cwltest("toil", reference.local_list, tmp_path, "-j", "2", "-S", by_content)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "All tests passed" in result.stdout + result.stderr


@pytest.mark.engines
def test_local_list_checksums_every_float_product(reference):
    """The machine-local list keeps its teeth: every float product by checksum."""
    local = {e["id"]: e for e in read_list(reference.local_list)}
    assert sorted(local) == sorted(j.stem for j in JOBS)
    for stem, entry in local.items():
        files = [f for v in entry["output"].values() for f in expected_files(v)]
        for f in files:
            name = f["basename"]
            software = SOFTWARE_TAG in entry["tags"] and name.endswith(".json")
            if (
                not name.endswith(VARYING_SUFFIXES)
                and not software
                and name not in CTAPIPE_PRODUCTS
            ):
                assert "checksum" in f, f"{stem}: {name}"


@pytest.mark.engines
def test_cwltest_catches_a_wrong_checksum(tmp_path):
    """The committed list really checks products: a changed checksum makes cwltest fail."""
    entries = [
        e
        for e in read_list()
        if "network" not in e["tags"]
        and any("checksum" in f for v in e["output"].values() for f in expected_files(v))
    ][:1]
    assert entries, "no entry with a checksummed product"
    files = [f for v in entries[0]["output"].values() for f in expected_files(v)]
    next(f for f in files if "checksum" in f)["checksum"] = "sha1$" + "0" * 40
    for e in entries:  # paths relative to the copy
        e["tool"] = str((LIST.parent / e["tool"]).resolve())
        e["job"] = str((LIST.parent / e["job"]).resolve())
    bad = tmp_path / "bad.cwltest.yml"
    YAML().dump(entries, bad)
    result = run_cwltest("cwltool", bad, tmp_path)
    assert result.returncode != 0
    assert "checksums do not match" in result.stdout + result.stderr


@pytest.mark.engines
def test_numbers_catch_a_changed_value(reference, tmp_path):
    """The committed numbers really check products: 1e-6 off fails, last-bit noise passes."""
    stem = "create-atmospheric-model"
    raw = reference.runs[stem]
    expected = read_numbers()[stem]
    assert check_numbers(stem, raw, reference.outdir(stem), expected) == []
    name = "model_profile.ecsv"
    outdir = tmp_path / stem
    shutil.copytree(reference.outdir(stem), outdir)
    moved = json.loads(json.dumps(raw).replace(str(reference.outdir(stem)), str(outdir)))
    from astropy.table import Table

    original = Table.read(outdir / name, format="ascii.ecsv")
    for factor, fails in ((1 + 1e-6, True), (1 + 1e-14, False)):
        table = original.copy()
        table["density"][7] *= factor
        table.write(outdir / name, format="ascii.ecsv", overwrite=True)
        problems = check_numbers(stem, moved, outdir, expected)
        assert bool(problems) == fails, (factor, problems)
        if fails:
            assert any("density" in p for p in problems), problems


def test_tolerances_are_looked_up_per_quantity():
    muon = product_numbers.tolerance_for("muon-throughput/muon_throughput.ecsv", "columns/mean")
    assert muon.rtol == 1e-9
    fit = product_numbers.tolerance_for(
        "process-muons/run201.muon.h5", "nodes/x/columns/muonefficiency_optical_efficiency"
    )
    assert fit.rtol == 1e-3 and fit.exact_integers
    flag = product_numbers.tolerance_for(
        "process-muons/run201.muon.h5", "nodes/x/columns/muonefficiency_is_valid"
    )
    assert flag == product_numbers.DEFAULT  # validity flags compared exactly
    refit = product_numbers.tolerance_for("muon-calibration/muon_throughput.ecsv", "mean")
    assert refit.numbers and refit.rtol == 2e-3
    fit = product_numbers.tolerance_for("create-atmospheric-model/model_layer_fit.ecsv", "a")
    assert fit.rtol == 1e-6
    printed = product_numbers.tolerance_for("x/atmprof_a.dat", "numbers")
    assert printed == product_numbers.PRINTED
    default = product_numbers.tolerance_for("create-mdp/mdp.ecsv", "columns/number_density")
    assert default == product_numbers.DEFAULT


def test_json_documents_in_strings_are_compared_as_numbers():
    """Step metadata kept as a JSON string (an HDF5 attribute): its floats get the tolerance."""
    product = "array-cross-calibration/array_cross_calibration.h5"
    meta = {"chi2": 6.171909996879325, "pairs": ["1-5", "2-7"], "n_pairs": 6}
    expected = {"attrs": {"calibpipe_meta": json.dumps(meta)}}

    def attrs(**changed):
        return {"attrs": {"calibpipe_meta": json.dumps({**meta, **changed})}}

    assert product_numbers.compare(expected, attrs(chi2=6.171909996879324), product) == []
    for changed in ({"chi2": 6.2}, {"n_pairs": 7}, {"pairs": ["1-5"]}):
        assert product_numbers.compare(expected, attrs(**changed), product), changed
    # a string that is not a JSON document stays an exact string
    assert product_numbers.compare({"a": "{x"}, {"a": "{y"}, product) == ["a: '{y' != '{x'"]
