"""process-muons: fitted rings against the injected truth, cuts per type, workers, bad input."""

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pytest
from astropy.table import join
from conftest import DATA, error_lines

SAMPLE = DATA / "muon" / "run201.dl1.h5"
SAMPLE_MUON = DATA / "muon" / "run201.muon.h5"

# Cross-CPU agreement of one ring's fit (README, "Muon calibration"). Measured on the 79 fitted
# rings of the two samples, natively (numpy AVX-512 kernels, numba for the host CPU) against
# PORTABLE_ENV: efficiency and width agree to 2e-4 relative at most (median 1e-9), the impact
# point to 0.13 m, the ring geometry bit for bit. The likelihood's kinks in the impact point
# (chord lengths, interpolated azimuth profile) bound this; a ring's statistical efficiency
# error is ~ 2 %, a throughput's ~ 0.3 %: 1e-3 is far below both.
EFFICIENCY_RTOL = 1e-3
WIDTH_RTOL = 1e-3
IMPACT_ATOL_M = 0.3
GEOMETRY_RTOL = 1e-9
#: numpy's kernels above the x86-64-v2 baseline off (numpy 2.x group names: the AVX512F...
#: names of numpy 1.x are accepted but disable nothing), numba compiling for a generic CPU
PORTABLE_ENV = {
    "NPY_DISABLE_CPU_FEATURES": "X86_V3 X86_V4 AVX512_ICL AVX512_SPR",
    "NUMBA_CPU_NAME": "generic",
}


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
    # the LST rings are fitted the same way in both runs (the committed sample may come from
    # another CPU: its tolerance)
    lst_strict = _muon_table(tmp_path / "muons.dl1.h5", 1)
    lst_default = _muon_table(SAMPLE_MUON, 1)
    np.testing.assert_allclose(
        lst_strict["muonefficiency_optical_efficiency"],
        lst_default["muonefficiency_optical_efficiency"],
        rtol=EFFICIENCY_RTOL,
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


def _assert_same_rings(path_a, path_b):
    for tel_id in (1, 2):
        a, b = _muon_table(path_a, tel_id), _muon_table(path_b, tel_id)
        assert len(a) == len(b) > 0
        eff_a = np.asarray(a["muonefficiency_optical_efficiency"])
        eff_b = np.asarray(b["muonefficiency_optical_efficiency"])
        np.testing.assert_array_equal(np.isfinite(eff_a), np.isfinite(eff_b))
        fitted = np.isfinite(eff_a)
        assert np.count_nonzero(fitted) > 0
        np.testing.assert_allclose(eff_a[fitted], eff_b[fitted], rtol=EFFICIENCY_RTOL)
        # validity is a probe of the minimum (muon/intensity_fit.py): the same on every CPU
        np.testing.assert_array_equal(a["muonefficiency_is_valid"], b["muonefficiency_is_valid"])
        for column, tol in (
            ("muonefficiency_width", dict(rtol=WIDTH_RTOL)),
            ("muonefficiency_impact_x", dict(atol=IMPACT_ATOL_M)),
            ("muonefficiency_impact_y", dict(atol=IMPACT_ATOL_M)),
        ):
            np.testing.assert_allclose(
                np.asarray(a[column])[fitted], np.asarray(b[column])[fitted], **tol
            )
        for column in ("muonring_radius", "muonring_center_fov_lon", "muonring_center_fov_lat"):
            np.testing.assert_allclose(
                np.asarray(a[column]), np.asarray(b[column]), rtol=GEOMETRY_RTOL
            )


@pytest.mark.slow
def test_fit_agrees_with_numpy_wide_kernels_off_and_generic_numba(tmp_path):
    """What another CPU gives: a run with numpy's AVX2/AVX-512 kernels off and numba generic."""
    from synthetic_dl1 import RunSpec, write_synthetic_run

    from calibpipe_tasks.io.dl1_files import hdf5_without_timestamps

    dl1 = tmp_path / "few.dl1.h5"
    spec = RunSpec(obs_id=7, start="2026-01-15T21:00:00", duration_s=600, n_events=5, seed=7)
    with hdf5_without_timestamps():
        write_synthetic_run(dl1, spec)
    outputs = {}
    for name, extra in (("native", {}), ("portable", PORTABLE_ENV)):
        env = {k: v for k, v in os.environ.items() if k not in PORTABLE_ENV}
        env.update(extra)
        if extra:
            # a cache of generic code only (never the host code of the usual cache); kept in
            # the temporary directory so that only the first run pays numba's compilation
            env["NUMBA_CACHE_DIR"] = str(Path(tempfile.gettempdir()) / "calibpipe-numba-generic")
        out = tmp_path / name
        out.mkdir()
        cmd = [sys.executable, "-m", "calibpipe_tasks", "process-muons", "--input", str(dl1)]
        cmd += ["--pedestal", "0.56", "--output-dir", str(out)]
        result = subprocess.run(cmd, env=env, capture_output=True, text=True, cwd=tmp_path)
        assert result.returncode == 0, result.stderr[-2000:]
        outputs[name] = out / "muons.dl1.h5"
    _assert_same_rings(outputs["native"], outputs["portable"])
