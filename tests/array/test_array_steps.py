"""array-pair-stats, array-inter-calibration, array-cross-calibration on synthetic DL2 files.

Closure against the injected throughputs, ctapipe reading our DL2 layout, telescope
ids written in any order, and every bad input: one line, the exit code, nothing written.
"""

import hashlib
import json
import shutil

import numpy as np
import pytest
from astropy.table import Table
from conftest import DATA, error_lines
from dl2_synthetic import DL2Spec, realistic_layout, write_dl2

pytestmark = pytest.mark.slow

SAMPLES = [DATA / "array" / "obs101.dl2.h5", DATA / "array" / "obs102.dl2.h5"]


@pytest.fixture(scope="module")
def dl2(tmp_path_factory):
    """Two observation blocks (obs 1, 2) of the same array, and the truth."""
    out = tmp_path_factory.mktemp("dl2")
    layout = realistic_layout(4, 9, 0)
    files, truth = [], None
    for obs in (1, 2):
        spec = DL2Spec(
            obs_id=obs, n_showers=40000, seed=obs, layout=layout, start=f"2026-03-10T2{obs}:00:00"
        )
        truth = write_dl2(out / f"obs{obs}.h5", spec)
        files.append(out / f"obs{obs}.h5")
    return files, truth


def _main(*args):
    from calibpipe_tasks.cli import main

    return main([str(a) for a in args])


@pytest.fixture(scope="module")
def products(dl2, tmp_path_factory):
    files, _ = dl2
    root = tmp_path_factory.mktemp("products")
    stats = []
    for f in files:
        d = root / f.stem
        d.mkdir()
        assert _main("array-pair-stats", "--input", f, "--output-dir", d) == 0
        stats.append(d / "array_pair_stats.h5")
    inter = root / "inter"
    inter.mkdir()
    assert _main("array-inter-calibration", "--input", *stats, "--output-dir", inter) == 0
    cross = root / "cross"
    cross.mkdir()
    code = _main(
        "array-cross-calibration",
        "--input",
        *stats,
        "--inter-calibration",
        inter / "array_inter_calibration.ecsv",
        "--output-dir",
        cross,
    )
    assert code == 0
    return root, stats, inter, cross


def test_pair_stats_name_their_input_and_its_observations(products, dl2):
    """The product's and the provenance record's input digest are the file's (hashed once)."""
    from calibpipe_tasks.io.array_pair_stats import read_pair_stats

    _, stats, _, _ = products
    for obs, (dl2_file, path) in enumerate(zip(dl2[0], stats, strict=True), start=1):
        digest = hashlib.sha256(dl2_file.read_bytes()).hexdigest()
        meta = read_pair_stats(path)["meta"]
        assert meta["input"] == {"name": dl2_file.name, "sha256": digest}
        assert meta["obs_ids"] == [obs]
        record = json.loads((path.parent / "array-pair-stats.provenance.json").read_text())
        assert [i["sha256"] for i in record["inputs"]] == [digest]


def test_ctapipe_table_loader_reads_the_generated_dl2(dl2):
    from ctapipe.io import TableLoader

    with TableLoader(dl2[0][0]) as loader:
        events = loader.read_telescope_events(dl1_parameters=True, dl2=True)
    for col in (
        "hillas_intensity",
        "RandomForestRegressor_tel_energy",
        "HillasReconstructor_tel_impact_distance",
    ):
        assert col in events.colnames
    assert np.all(np.asarray(events["hillas_intensity"]) > 0)
    assert len(np.unique(np.asarray(events["tel_id"]))) == 13


def test_inter_calibration_closure(products, dl2):
    _, _, inter, _ = products
    table = Table.read(inter / "array_inter_calibration.ecsv")
    truth = dl2[1].inter()
    assert np.all(table["status"] == "ok")
    pulls = (table["ln_coefficient"] - np.log([truth[t] for t in table["tel_id"]])) / table[
        "ln_coefficient_err"
    ]
    assert np.all(np.abs(pulls) < 4.5), pulls
    assert table.meta["obs_ids"] == [1, 2]
    assert set(table.meta["types"]) == {"LST_LST_LSTCam", "MST_MST_NectarCam"}
    for summary in table.meta["types"].values():
        assert np.isfinite(summary["chi2"]) and summary["ndf"] > 0
    assert table["time_start"].min().isot.startswith("2026-03-10T21:")
    assert table["time_end"].max().isot.startswith("2026-03-10T22:")
    cov = Table.read(inter / "array_inter_calibration_covariance.ecsv")
    diag = cov[cov["tel_id_1"] == cov["tel_id_2"]]
    np.testing.assert_allclose(np.sqrt(diag["cov_ln_coefficient"]), table["ln_coefficient_err"])


def test_cross_calibration_closure(products, dl2):
    _, _, _, cross = products
    table = Table.read(cross / "array_cross_calibration.ecsv")
    types = Table.read(cross / "array_cross_calibration_types.ecsv")
    truth = dl2[1].absolute("LST")
    assert np.all(table["status"] == "ok")
    pulls = (table["ln_coefficient"] - np.log([truth[t] for t in table["tel_id"]])) / table[
        "ln_coefficient_err"
    ]
    assert np.all(np.abs(pulls) < 4.5), pulls
    mst = types[types["telescope_type"] == "MST_MST_NectarCam"][0]
    true_scale = np.exp(np.mean([np.log(truth[t]) for t in truth if dl2[1].kind[t] == "MST"]))
    assert abs(np.log(mst["scale"] / true_scale)) < 4.5 * mst["ln_scale_err"]
    assert mst["ln_scale_err"] < 0.02


def test_hdf5_products_hold_the_tables(products):
    import tables

    _, _, inter, cross = products
    with tables.open_file(str(inter / "array_inter_calibration.h5")) as h5:
        rows = h5.get_node("/array/calibration/inter/coefficients").read()
    table = Table.read(inter / "array_inter_calibration.ecsv")
    np.testing.assert_array_equal(rows["tel_id"], table["tel_id"])
    np.testing.assert_allclose(rows["coefficient"], table["coefficient"])
    with tables.open_file(str(cross / "array_cross_calibration.h5")) as h5:
        assert "/array/calibration/cross/types" in h5


def test_rerun_is_byte_identical(products, dl2, tmp_path):
    root, _, _, _ = products
    assert _main("array-pair-stats", "--input", dl2[0][0], "--output-dir", tmp_path) == 0
    for name in ("array_pair_stats.h5", "array_pair_stats.ecsv"):
        assert (tmp_path / name).read_bytes() == (root / "obs1" / name).read_bytes()


def test_telescope_ids_in_any_table_order(tmp_path):
    layout = realistic_layout(4, 9, 0)
    results = []
    for name, order in (
        ("sorted", None),
        ("shuffled", [9, 3, 13, 1, 7, 2, 12, 5, 4, 11, 6, 10, 8]),
    ):
        f = tmp_path / f"{name}.h5"
        write_dl2(f, DL2Spec(n_showers=15000, seed=11, layout=layout, write_order=order))
        d = tmp_path / name
        d.mkdir()
        assert _main("array-pair-stats", "--input", f, "--output-dir", d) == 0
        assert (
            _main(
                "array-inter-calibration", "--input", d / "array_pair_stats.h5", "--output-dir", d
            )
            == 0
        )
        results.append(Table.read(d / "array_inter_calibration.ecsv"))
    np.testing.assert_array_equal(results[0]["tel_id"], results[1]["tel_id"])
    np.testing.assert_allclose(
        results[0]["ln_coefficient"], results[1]["ln_coefficient"], rtol=0, atol=1e-12
    )


def test_a_pair_below_min_events_is_dropped_with_a_log_line(products, run_cli, tmp_path):
    _, stats, _, _ = products
    result = run_cli(
        "array-inter-calibration", "--input", stats[0], "--min-events", "150", cwd=tmp_path
    )
    assert result.code == 0, result.err
    assert "dropped: " in result.err and "events < 150" in result.err
    table = Table.read(tmp_path / "array_inter_calibration.ecsv")
    assert np.all(np.isfinite(table["ln_coefficient"][table["status"] == "ok"]))
    assert table.meta["dropped_pairs"]


def _assert_failed(result, code, tmp_path, *words):
    lines = error_lines(result.err)
    assert result.code == code, result.err
    assert len(lines) == 1, lines
    for word in words:
        assert word in lines[0], lines[0]
    assert "Traceback" not in result.err
    assert not [p for p in tmp_path.iterdir() if p.name.startswith("array")]


def test_missing_reference_telescope(products, run_cli, tmp_path):
    _, stats, _, _ = products
    result = run_cli(
        "array-inter-calibration", "--input", *stats, "--reference-telescope", "99", cwd=tmp_path
    )
    _assert_failed(result, 2, tmp_path, "--reference-telescope 99")
    result = run_cli(
        "array-inter-calibration",
        "--input",
        *stats,
        "--reference-telescope",
        "13",
        "--min-events",
        "100000",
        cwd=tmp_path,
    )
    _assert_failed(result, 3, tmp_path, "reference telescope 13")


def test_reference_type_missing(products, run_cli, tmp_path):
    _, stats, inter, _ = products
    result = run_cli(
        "array-cross-calibration",
        "--input",
        *stats,
        "--inter-calibration",
        inter / "array_inter_calibration.ecsv",
        "--reference-type",
        "SST",
        cwd=tmp_path,
    )
    _assert_failed(result, 3, tmp_path, "reference type 'SST'")


def test_inputs_of_other_observation_blocks_exit_3(products, run_cli, tmp_path):
    root, stats, inter, _ = products
    # the same block twice: events counted twice
    copy = tmp_path / "copy.h5"
    shutil.copy(stats[0], copy)
    result = run_cli("array-inter-calibration", "--input", stats[0], copy, cwd=tmp_path)
    _assert_failed(result, 3, tmp_path, "observation 1 is also in")
    copy.unlink()
    # an inter-calibration of blocks 1+2 with the pair statistics of block 1 only
    result = run_cli(
        "array-cross-calibration",
        "--input",
        stats[0],
        "--inter-calibration",
        inter / "array_inter_calibration.ecsv",
        cwd=tmp_path,
    )
    _assert_failed(result, 3, tmp_path, "do not belong together")


def test_inter_calibration_from_other_settings_exit_3(products, run_cli, tmp_path):
    _, stats, inter, _ = products
    table = Table.read(inter / "array_inter_calibration.ecsv")
    table["ln_coefficient"][0] += 0.01
    forged = tmp_path / "forged.ecsv"
    table.write(forged, format="ascii.ecsv")
    result = run_cli(
        "array-cross-calibration", "--input", *stats, "--inter-calibration", forged, cwd=tmp_path
    )
    forged.unlink()
    _assert_failed(result, 3, tmp_path, "recomputed from the pair statistics")


def test_other_subarray_exit_3(products, run_cli, tmp_path):
    _, stats, _, _ = products
    f = tmp_path / "other.h5"
    write_dl2(f, DL2Spec(obs_id=7, n_showers=3000, seed=2, layout=realistic_layout(4, 6, 0)))
    d = tmp_path / "o"
    d.mkdir()
    assert run_cli("array-pair-stats", "--input", f, "--output-dir", d, cwd=tmp_path).code == 0
    f.unlink()
    other = d / "array_pair_stats.h5"
    result = run_cli("array-inter-calibration", "--input", stats[0], other, cwd=tmp_path)
    shutil.rmtree(d)
    _assert_failed(result, 3, tmp_path, "telescopes differ")


@pytest.mark.parametrize(
    "step, make, code, words",
    [
        ("array-pair-stats", lambda p: p.write_text("not hdf5"), 3, ["cannot be opened as HDF5"]),
        ("array-pair-stats", None, 2, ["does not exist"]),
        ("array-inter-calibration", lambda p: p.write_text("x"), 3, ["cannot be opened"]),
    ],
)
def test_bad_input_files(step, make, code, words, run_cli, tmp_path):
    bad = tmp_path / "bad.h5"
    if make is not None:
        make(bad)
    result = run_cli(step, "--input", bad, cwd=tmp_path)
    _assert_failed(result, code, tmp_path, *words)


def test_dl2_without_energy_tables_exit_3(run_cli, tmp_path):
    import tables

    f = tmp_path / "noenergy.h5"
    shutil.copy(SAMPLES[0], f)
    with tables.open_file(str(f), mode="r+") as h5:
        h5.remove_node("/dl2/event/telescope/energy", recursive=True)
    result = run_cli("array-pair-stats", "--input", f, cwd=tmp_path)
    _assert_failed(result, 3, tmp_path, "no energy regressor tables")


@pytest.mark.parametrize(
    "node, column",
    [
        ("/dl1/event/subarray/trigger", "time"),
        ("/dl2/event/subarray/geometry/HillasReconstructor", "HillasReconstructor_is_valid"),
        ("/dl2/event/telescope/impact/HillasReconstructor/tel_002", "event_id"),
    ],
)
def test_dl2_table_without_a_needed_column_exit_3(node, column, run_cli, tmp_path):
    import numpy.lib.recfunctions as rfn
    import tables

    f = tmp_path / "nocolumn.h5"
    shutil.copy(SAMPLES[0], f)
    with tables.open_file(str(f), mode="r+") as h5:
        table = h5.get_node(node)
        rows = rfn.drop_fields(table.read(), column, usemask=False)
        where, name = table._v_parent, table.name
        h5.remove_node(table)
        h5.create_table(where, name, obj=rows)
    result = run_cli("array-pair-stats", "--input", f, cwd=tmp_path)
    _assert_failed(result, 3, tmp_path, f"{node} lacks column {column}")


def test_pair_stats_file_is_not_a_dl2_file_exit_3(products, run_cli, tmp_path):
    _, stats, _, _ = products
    result = run_cli("array-pair-stats", "--input", stats[0], cwd=tmp_path)
    _assert_failed(result, 3, tmp_path, "no subarray description")
    result = run_cli("array-inter-calibration", "--input", SAMPLES[0], cwd=tmp_path)
    _assert_failed(result, 3, tmp_path, "not a pair-statistics file")


def test_inter_calibration_not_ecsv_exit_3(products, run_cli, tmp_path):
    _, stats, _, _ = products
    bad = tmp_path / "bad.ecsv"
    bad.write_text("nonsense\n")
    result = run_cli(
        "array-cross-calibration", "--input", *stats, "--inter-calibration", bad, cwd=tmp_path
    )
    bad.unlink()
    _assert_failed(result, 3, tmp_path, "bad.ecsv")


def test_min_events_below_two_is_usage_error(products, run_cli, tmp_path):
    _, stats, _, _ = products
    result = run_cli(
        "array-inter-calibration", "--input", stats[0], "--min-events", "1", cwd=tmp_path
    )
    assert result.code == 2
