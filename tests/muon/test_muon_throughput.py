"""muon-throughput: closure on synthetic rings of known efficiency, read-back, bad input."""

import shutil

import astropy.units as u
import numpy as np
import pytest
from astropy.table import Table
from astropy.time import Time
from conftest import error_lines
from muon_data import EFFICIENCY, START, STEP

from calibpipe_tasks.io.muon_monitoring import THROUGHPUT_GROUP

pytestmark = pytest.mark.slow


@pytest.fixture(scope="session")
def closure_data():
    import muon_data

    return muon_data.closure_data()


def _run(run_cli, tmp_path, *inputs, extra=()):
    return run_cli("muon-throughput", "--input", *inputs, *extra, cwd=tmp_path)


@pytest.fixture(scope="module")
def half_hour_chunks(closure_data, tmp_path_factory):
    from calibpipe_tasks.cli import main

    out = tmp_path_factory.mktemp("throughput")
    code = main(
        [
            "muon-throughput",
            "--input",
            *map(str, closure_data.muon),
            "--output-dir",
            str(out),
            "--chunk-duration",
            "1800",
            "--chunk-start",
            START,
        ]
    )
    assert code == 0
    return out


def _true_efficiency(tel_id, chunk):
    before, after = EFFICIENCY[tel_id]
    # chunks are half hours from START; the step is at START + 30 min
    return before if chunk == 0 else after


def test_throughput_per_chunk_recovers_true_efficiency(half_hour_chunks):
    table = Table.read(half_hour_chunks / "muon_throughput.ecsv")
    assert set(table["tel_id"]) == {1, 2}
    pairs = zip(table["tel_id"], table["chunk"], strict=True)
    truth = np.array([_true_efficiency(t, c) for t, c in pairs])
    assert np.all(table["n_used"] >= 60), table
    # ctapipe's intensity fit (its likelihood at the fitted, fixed ring geometry on the
    # cleaned pixels) underestimates these synthetic rings' efficiency by ~0.6 % (the mean
    # over the six chunks, of relative standard error 0.3-0.5 % each); the bias must stay
    # within 1 %, each chunk within bias + 3 standard errors (< 1.5 %) of the truth
    bias = np.mean(table["mean"] / truth - 1)
    assert abs(bias) < 0.01
    assert np.all(np.abs(table["mean"] - truth) < 0.015 * truth), table
    pulls = (table["mean"] - truth * (1 + bias)) / table["sem"]
    assert np.all(np.abs(pulls) < 3), pulls


def test_step_change_lands_in_the_right_chunk(half_hour_chunks):
    table = Table.read(half_hour_chunks / "muon_throughput.ecsv")
    step = Time(STEP, scale="utc")
    for tel_id in (1, 2):
        rows = table[table["tel_id"] == tel_id]
        assert list(rows["chunk"]) == [0, 1, 2]
        low = rows[rows["mean"] < 0.18]
        assert list(low["chunk"]) == [1, 2]
        assert low["time_start"][0] >= step
        assert rows["time_end"][0] < step
        # the second half hour spans both runs
        assert list(rows["obs_ids"]) == ["101", "101,102", "102"]


def _rings_passing_default_cuts(muon_files):
    """Count the rings per telescope that pass the default cuts, independently of the step."""
    from ctapipe.io import read_table

    counts = {}
    for path in muon_files:
        for tel_id, impact_max in ((1, 10.0), (2, 5.2)):
            t = read_table(path, f"/dl1/event/telescope/muon/tel_{tel_id:03d}")
            eff = np.asarray(t["muonefficiency_optical_efficiency"])
            radius = u.Quantity(t["muonring_radius"]).to_value(u.deg)
            ok = (
                np.asarray(t["muonefficiency_is_valid"])
                & ~np.asarray(t["muonefficiency_parameters_at_limit"])
                & np.isfinite(eff)
                & (eff > 0)
                & (radius > 0.8)
                & (radius < 1.5)
                & (np.asarray(t["muonparameters_containment"]) > 0.9)
                & (u.Quantity(t["muonefficiency_impact"]).to_value(u.m) < impact_max)
            )
            counts[tel_id] = counts.get(tel_id, 0) + int(ok.sum())
    return counts


def test_n_rings_equals_rings_passing_cuts(closure_data, half_hour_chunks):
    table = Table.read(half_hour_chunks / "muon_throughput.ecsv")
    expected = _rings_passing_default_cuts(closure_data.muon)
    truth = closure_data.truth
    for tel_id in (1, 2):
        n = int(table["n_rings"][table["tel_id"] == tel_id].sum())
        assert n == expected[tel_id]
        # events seen by both telescopes exist, and no ring is counted twice
        assert n <= np.count_nonzero(truth["tel_id"] == tel_id)
    shared = Table({"o": truth["obs_id"], "e": truth["event_id"]})
    _, counts = np.unique(np.stack([shared["o"], shared["e"]]), axis=1, return_counts=True)
    assert np.any(counts == 2), "the data must contain events seen by several telescopes"


def test_chunks_by_ring_count(closure_data, run_cli, tmp_path):
    result = _run(run_cli, tmp_path, *closure_data.muon, extra=("--chunk-rings", "25"))
    assert result.code == 0, result.err
    table = Table.read(tmp_path / "muon_throughput.ecsv")
    expected = _rings_passing_default_cuts(closure_data.muon)
    for tel_id in (1, 2):
        rows = table[table["tel_id"] == tel_id]
        assert rows["n_rings"].sum() == expected[tel_id]
        assert np.all(rows["n_rings"][:-1] == 25) and 0 < rows["n_rings"][-1] <= 25
        assert np.all(rows["time_start"][1:] >= rows["time_end"][:-1])


def test_hdf5_monitoring_table_reads_back_with_ctapipe(closure_data, half_hour_chunks):
    from ctapipe.instrument import SubarrayDescription
    from ctapipe.io import read_table

    ecsv = Table.read(half_hour_chunks / "muon_throughput.ecsv")
    h5 = half_hour_chunks / "muon_throughput.h5"
    for tel_id in (1, 2):
        mon = read_table(h5, f"{THROUGHPUT_GROUP}/tel_{tel_id:03d}")
        rows = ecsv[ecsv["tel_id"] == tel_id]
        np.testing.assert_allclose(mon["mean"], rows["mean"], rtol=1e-12)
        np.testing.assert_array_equal(mon["n_rings"], rows["n_rings"])
        assert np.all(np.abs((mon["time_start"] - rows["time_start"]).to_value("s")) < 1e-3)
    assert SubarrayDescription.from_hdf(h5) == SubarrayDescription.from_hdf(closure_data.muon[0])


def test_process_muons_output_reads_with_table_loader(closure_data):
    from ctapipe.io import TableLoader

    with TableLoader(closure_data.muon[0]) as loader:
        events = loader.read_telescope_events([1], dl1_muons=True, dl1_parameters=False)
    assert len(events) == np.count_nonzero(
        (closure_data.truth["tel_id"] == 1) & (closure_data.truth["obs_id"] == 101)
    )
    fitted = np.isfinite(events["muonefficiency_optical_efficiency"])
    assert fitted.sum() > 0.8 * len(events)
    assert "time" in events.colnames


def test_telescope_without_rings_passing_cuts_gets_a_row(closure_data, run_cli, tmp_path):
    result = _run(
        run_cli,
        tmp_path,
        *closure_data.muon,
        extra=(
            "--type-cut",
            "MST_*=muonefficiency_impact < 0",
            "--type-cut",
            "LST_*=muonefficiency_impact < 10",
        ),
    )
    assert result.code == 0, result.err
    table = Table.read(tmp_path / "muon_throughput.ecsv")
    mst = table[table["tel_id"] == 2]
    assert len(mst) == 1
    assert mst["n_rings"][0] == 0 and mst["status"][0] == "no rings passing cuts"
    assert np.isnan(mst["mean"][0])
    assert np.all(table["n_rings"][table["tel_id"] == 1] > 0)


def _assert_fails_cleanly(result, tmp_path, path, words):
    assert result.code == 3, result.err
    lines = error_lines(result.err)
    assert len(lines) == 1, lines
    assert str(path) in lines[0] and words in lines[0], lines[0]
    assert not [
        p
        for p in tmp_path.iterdir()
        if p.is_file()
        and p.suffix in (".ecsv", ".h5", ".json")
        and p.parent == tmp_path
        and p.name.startswith(("muon_", "muon-"))
    ]


def test_file_without_muon_tables(closure_data, run_cli, tmp_path):
    dl1 = closure_data.dl1[0]
    result = _run(run_cli, tmp_path, dl1)
    _assert_fails_cleanly(result, tmp_path, dl1, "no muon tables")


def test_missing_trigger_table(closure_data, run_cli, tmp_path):
    import tables

    broken = tmp_path / "inputs" / "no_trigger.h5"
    broken.parent.mkdir()
    shutil.copy(closure_data.muon[0], broken)
    with tables.open_file(broken, "a") as h5:
        h5.remove_node("/dl1/event/telescope/trigger")
    result = _run(run_cli, tmp_path, broken)
    _assert_fails_cleanly(result, tmp_path, broken, "no trigger table")


def test_corrupt_hdf5(closure_data, run_cli, tmp_path):
    broken = tmp_path / "inputs" / "truncated.h5"
    broken.parent.mkdir()
    broken.write_bytes(closure_data.muon[0].read_bytes()[:4096])
    result = _run(run_cli, tmp_path, closure_data.muon[0], broken)
    _assert_fails_cleanly(result, tmp_path, broken, "cannot be opened as HDF5")


def test_mixed_subarrays(closure_data, run_cli, tmp_path):
    from synthetic_dl1 import RunSpec, build_subarray, write_synthetic_muon_file

    other = tmp_path / "inputs" / "other_array.h5"
    other.parent.mkdir()
    layout = {1: ("LST", 0.0, 0.0, 0.0), 3: ("MST", 0.0, 150.0, 0.0)}
    spec = RunSpec(
        obs_id=7, start=START, duration_s=600, n_events=0, efficiency={1: (0.2, 0.2), 3: (0.2, 0.2)}
    )
    write_synthetic_muon_file(other, 20, spec, subarray=build_subarray(layout))
    result = _run(run_cli, tmp_path, closure_data.muon[0], other)
    _assert_fails_cleanly(result, tmp_path, other, "subarray differs")


def test_inputs_are_not_modified(closure_data, half_hour_chunks):
    import json

    from calibpipe_tasks.outputs import sha256_of

    record = json.loads((half_hour_chunks / "muon-throughput.provenance.json").read_text())
    for entry, path in zip(record["inputs"], closure_data.muon, strict=True):
        assert entry["sha256"] == sha256_of(path)


def test_upload_per_telescope_answers_with_the_true_efficiency(half_hour_chunks, run_cli, tmp_path):
    """muon-throughput -> db-upload (one product per telescope) -> db-query at a time."""
    import json

    up, query = tmp_path / "up", tmp_path / "query"
    up.mkdir(), query.mkdir()
    result = run_cli(
        "db-upload", "--kind", "muon-throughput",
        "--file", half_hour_chunks / "muon_throughput.ecsv",
        "--provenance", half_hour_chunks / "muon-throughput.provenance.json", cwd=up,
    )  # fmt: skip
    assert result.code == 0, result.err
    receipt = json.loads((up / "upload-receipt.json").read_text())
    assert [p["target"] for p in receipt["products"]] == ["tel_001", "tel_002"]
    after_step = Time(STEP, scale="utc") + 10 * u.min
    for tel_id in (1, 2):
        result = run_cli(
            "db-query", "--database", up / "calibration.sqlite", "--kind", "muon-throughput",
            "--target", tel_id, "--at", after_step.isot, cwd=query,
        )  # fmt: skip
        assert result.code == 0, result.err
        rows = Table.read(query / "calibration-product" / "muon_throughput.ecsv")
        assert set(rows["tel_id"]) == {tel_id}
        now = rows[(rows["time_start"] <= after_step) & (rows["time_end"] >= after_step)]
        assert len(now) == 1
        truth = EFFICIENCY[tel_id][1]
        # the fit's bias + 3 standard errors (test_throughput_per_chunk_recovers_true_efficiency)
        assert abs(now["mean"][0] - truth) < 0.015 * truth
        shutil.rmtree(query), query.mkdir()
