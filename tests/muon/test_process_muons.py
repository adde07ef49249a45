"""process-muons: fitted rings against the injected truth, cuts per type, workers, bad input."""

import shutil

import numpy as np
import pytest
from astropy.table import join
from conftest import DATA, error_lines

SAMPLE = DATA / "muon" / "run201.dl1.h5"
SAMPLE_MUON = DATA / "muon" / "run201.muon.h5"


@pytest.fixture(scope="session")
def closure_data():
    import muon_data

    return muon_data.closure_data()


def _muon_table(path, tel_id):
    from ctapipe.io import read_table

    return read_table(path, f"/dl1/event/telescope/muon/tel_{tel_id:03d}")


def test_fitted_efficiency_and_width_match_the_injected_truth(closure_data):
    for tel_id in (1, 2):
        for path in closure_data.muon:
            t = _muon_table(path, tel_id)
            ok = np.isfinite(t["muonefficiency_optical_efficiency"]) & t["muonefficiency_is_valid"]
            joined = join(t[ok], closure_data.truth, keys=["obs_id", "event_id", "tel_id"])
            assert len(joined) > 0.6 * np.count_nonzero(
                (closure_data.truth["tel_id"] == tel_id)
                & np.isin(closure_data.truth["obs_id"], t["obs_id"])
            )
            ratio = joined["muonefficiency_optical_efficiency"] / joined["true_efficiency"]
            assert abs(np.median(ratio) - 1) < 0.015
            width = np.asarray(joined["muonefficiency_width"]) / joined["true_width"]
            assert abs(np.median(width) - 1) < 0.03
            radius = np.asarray(joined["muonring_radius"]) / joined["true_radius"]
            assert abs(np.median(radius) - 1) < 0.01


def test_output_has_ctapipe_layout(closure_data):
    import tables
    from ctapipe.instrument import SubarrayDescription

    path = closure_data.muon[0]
    with tables.open_file(path) as h5:
        assert "/dl1/event/telescope/trigger" in h5
        assert "/dl1/event/subarray/trigger" in h5
        assert {n._v_name for n in h5.list_nodes("/dl1/event/telescope/muon")} == {
            "tel_001",
            "tel_002",
        }
        assert "/dl1/event/telescope/images" not in h5
    assert SubarrayDescription.from_hdf(path) == SubarrayDescription.from_hdf(closure_data.dl1[0])


def test_ctapipe_default_cuts_reject_most_mst_rings(run_cli, tmp_path):
    """Why the cuts are per telescope type: ctapipe's defaults applied to the MST too."""
    result = run_cli(
        "process-muons",
        "--input",
        SAMPLE,
        "--pedestal",
        "0.56",
        "--workers",
        "1",
        "--image-cut",
        "MST_*=dl1_params.morphology.n_pixels > 100",
        "--image-cut",
        "MST_*=dl1_params.hillas.intensity > 500",
        cwd=tmp_path,
    )
    assert result.code == 0, result.err
    strict = _muon_table(tmp_path / "muons.dl1.h5", 2)
    default = _muon_table(SAMPLE_MUON, 2)
    n_strict = np.count_nonzero(np.isfinite(strict["muonefficiency_optical_efficiency"]))
    n_default = np.count_nonzero(np.isfinite(default["muonefficiency_optical_efficiency"]))
    assert n_default >= 0.8 * len(default)
    assert n_strict < 0.5 * n_default
    # the LST rings are fitted the same way in both runs
    lst_strict = _muon_table(tmp_path / "muons.dl1.h5", 1)
    lst_default = _muon_table(SAMPLE_MUON, 1)
    np.testing.assert_allclose(
        lst_strict["muonefficiency_optical_efficiency"],
        lst_default["muonefficiency_optical_efficiency"],
        rtol=1e-9,
    )


def test_one_worker_and_two_workers_give_the_same_file(run_cli, tmp_path):
    for workers in ("1", "2"):
        out = tmp_path / f"w{workers}"
        out.mkdir()
        argv = ["--input", SAMPLE, "--pedestal", "0.56", "--workers", workers, "--output-dir", out]
        result = run_cli("process-muons", *argv, cwd=tmp_path)
        assert result.code == 0, result.err
    assert (tmp_path / "w1" / "muons.dl1.h5").read_bytes() == (
        tmp_path / "w2" / "muons.dl1.h5"
    ).read_bytes()
    assert len(_muon_table(tmp_path / "w1" / "muons.dl1.h5", 1)) > 10


def test_wavelength_band_changes_the_efficiency_scale(closure_data, run_cli, tmp_path):
    """A narrower band predicts fewer photons: the efficiency rises by the band ratio."""
    result = run_cli(
        "process-muons",
        "--input",
        SAMPLE,
        "--pedestal",
        "0.56",
        "--workers",
        "1",
        "--min-wavelength",
        "300",
        "--max-wavelength",
        "450",
        cwd=tmp_path,
    )
    assert result.code == 0, result.err
    narrow = _muon_table(tmp_path / "muons.dl1.h5", 1)["muonefficiency_optical_efficiency"]
    default = _muon_table(SAMPLE_MUON, 1)["muonefficiency_optical_efficiency"]
    ok = np.isfinite(narrow) & np.isfinite(default)
    # Cherenkov photons ~ 1/lambda^2: (1/300 - 1/600) / (1/300 - 1/450) = 1.5
    np.testing.assert_allclose(np.median(narrow[ok] / default[ok]), 1.5, rtol=0.01)


def test_file_without_images_is_one_line_exit_3(run_cli, tmp_path):
    result = run_cli("process-muons", "--input", SAMPLE_MUON, cwd=tmp_path)
    assert result.code == 3
    (line,) = error_lines(result.err)
    assert str(SAMPLE_MUON) in line and "no DL1 camera images" in line
    assert not list(tmp_path.glob("*.h5")) and not list(tmp_path.glob("*.json"))


def test_missing_trigger_table_is_one_line_exit_3(run_cli, tmp_path):
    import tables

    broken = tmp_path / "in" / "no_trigger.dl1.h5"
    broken.parent.mkdir()
    shutil.copy(SAMPLE, broken)
    with tables.open_file(broken, "a") as h5:
        h5.remove_node("/dl1/event/telescope/trigger")
    result = run_cli("process-muons", "--input", broken, cwd=tmp_path)
    assert result.code == 3
    (line,) = error_lines(result.err)
    assert str(broken) in line and "no trigger table" in line
    assert not list(tmp_path.glob("*.h5"))


def test_corrupt_hdf5_is_one_line_exit_3(run_cli, tmp_path):
    broken = tmp_path / "in" / "truncated.dl1.h5"
    broken.parent.mkdir()
    broken.write_bytes(SAMPLE.read_bytes()[:5000])
    result = run_cli("process-muons", "--input", broken, cwd=tmp_path)
    assert result.code == 3
    (line,) = error_lines(result.err)
    assert str(broken) in line and "cannot be opened as HDF5" in line
    assert not list(tmp_path.glob("*.h5"))


def test_bad_wavelength_band_is_usage_error(run_cli, tmp_path):
    result = run_cli(
        "process-muons",
        "--input",
        SAMPLE,
        "--min-wavelength",
        "600",
        "--max-wavelength",
        "300",
        cwd=tmp_path,
    )
    assert result.code == 2
    assert "--min-wavelength" in error_lines(result.err)[0]
