"""muon-psf: weighted line fit (errors, chi2) and closure on rings of known width vs radius."""

import numpy as np
import pytest
from astropy.table import Table
from conftest import error_lines
from synthetic_dl1 import DEFAULT_WIDTH_RELATION, RunSpec

from calibpipe_tasks.io.muon_monitoring import PSF_GROUP
from calibpipe_tasks.muon.psf import weighted_line_fit


def test_weighted_line_fit_equals_polyfit_with_unscaled_covariance():
    rng = np.random.default_rng(3)
    x = np.linspace(0.9, 1.3, 7)
    sigma = rng.uniform(0.5, 2.0, x.size) * 1e-3
    y = 0.03 + 0.02 * x + sigma * rng.standard_normal(x.size)
    fit = weighted_line_fit(x, y, sigma)
    (slope, intercept), cov = np.polyfit(x, y, 1, w=1 / sigma, cov="unscaled")
    np.testing.assert_allclose([fit["slope"], fit["intercept"]], [slope, intercept], rtol=1e-10)
    np.testing.assert_allclose(fit["cov"][::-1, ::-1], cov, rtol=1e-8)


def test_weighted_line_fit_errors_and_chi2_are_calibrated():
    """Pulls of the fitted parameters have unit spread; chi2/ndf averages 1."""
    rng = np.random.default_rng(5)
    x = np.linspace(0.9, 1.3, 8)
    sigma = np.linspace(0.5, 2.0, x.size) * 1e-3
    pulls, chi2_red = [], []
    for _ in range(2000):
        y = 0.03 + 0.02 * x + sigma * rng.standard_normal(x.size)
        fit = weighted_line_fit(x, y, sigma)
        pulls.append(
            [
                (fit["intercept"] - 0.03) / fit["intercept_err"],
                (fit["slope"] - 0.02) / fit["slope_err"],
            ]
        )
        chi2_red.append(fit["chi2_reduced"])
    pulls = np.array(pulls)
    np.testing.assert_allclose(pulls.std(axis=0), 1.0, atol=0.05)
    np.testing.assert_allclose(pulls.mean(axis=0), 0.0, atol=0.06)
    assert abs(np.mean(chi2_red) - 1.0) < 0.05


@pytest.fixture(scope="module")
def large_muon_table(tmp_path_factory):
    from synthetic_dl1 import write_synthetic_muon_file

    path = tmp_path_factory.mktemp("psf") / "rings.h5"
    spec = RunSpec(obs_id=9, start="2026-01-15T21:00:00", duration_s=3600, n_events=0, seed=9)
    write_synthetic_muon_file(path, 20_000, spec, outlier_fraction=0.0)
    return path


def test_psf_recovers_width_radius_relation_within_errors(large_muon_table, run_cli, tmp_path):
    result = run_cli("muon-psf", "--input", large_muon_table, cwd=tmp_path)
    assert result.code == 0, result.err
    table = Table.read(tmp_path / "muon_psf.ecsv")
    for row in table:
        intercept, slope = DEFAULT_WIDTH_RELATION[row["telescope_type"][:3]]
        assert row["status"] == "ok" and row["n_bins"] >= 4
        assert abs(row["intercept"] - intercept) < 3 * row["intercept_err"], row
        assert abs(row["slope"] - slope) < 3 * row["slope_err"], row
        truth_ref = intercept + slope * 1.1
        assert abs(row["width_at_reference"] - truth_ref) < 3 * row["width_at_reference_err"]
        assert 0.2 < row["chi2_reduced"] < 3
    points = Table.read(tmp_path / "muon_psf_bins.ecsv")
    assert points["n_rings"][points["used_in_fit"]].min() >= 10


def test_psf_from_fitted_rings_recovers_relation(run_cli, tmp_path):
    """On rings fitted by process-muons: the widths come from ctapipe's intensity fit."""
    import muon_data

    data = muon_data.closure_data()
    result = run_cli(
        "muon-psf",
        "--input",
        *data.muon,
        "--radius-bins",
        "5",
        "--radius-range",
        "0.95",
        "1.2",
        cwd=tmp_path,
    )
    assert result.code == 0, result.err
    table = Table.read(tmp_path / "muon_psf.ecsv")
    for row in table:
        intercept, slope = DEFAULT_WIDTH_RELATION[row["telescope_type"][:3]]
        truth_ref = intercept + slope * 1.1
        assert abs(row["width_at_reference"] - truth_ref) < 3 * row["width_at_reference_err"], row
        assert abs(row["width_at_reference"] - truth_ref) < 0.03 * truth_ref, row
        assert abs(row["slope"] - slope) < 3 * row["slope_err"], row


def test_psf_hdf5_reads_back_with_ctapipe(large_muon_table, run_cli, tmp_path):
    from ctapipe.io import read_table

    assert run_cli("muon-psf", "--input", large_muon_table, cwd=tmp_path).code == 0
    ecsv = Table.read(tmp_path / "muon_psf.ecsv")
    for tel_id in (1, 2):
        mon = read_table(tmp_path / "muon_psf.h5", f"{PSF_GROUP}/tel_{tel_id:03d}")
        assert len(mon) == 1
        np.testing.assert_allclose(mon["slope"], ecsv["slope"][ecsv["tel_id"] == tel_id])


def test_too_few_rings_gives_a_row_saying_so(large_muon_table, run_cli, tmp_path):
    result = run_cli(
        "muon-psf", "--input", large_muon_table, "--min-rings-per-bin", "100000", cwd=tmp_path
    )
    assert result.code == 0, result.err
    table = Table.read(tmp_path / "muon_psf.ecsv")
    assert len(table) == 2 and all(np.isnan(table["slope"]))
    assert all(s.startswith("fewer than 3 radius bins") for s in table["status"])


def test_corrupt_input_is_one_line_exit_3(run_cli, tmp_path):
    bad = tmp_path / "in" / "bad.h5"
    bad.parent.mkdir()
    bad.write_bytes(b"\x89HDF\r\n\x1a\n" + b"\0" * 100)
    result = run_cli("muon-psf", "--input", bad, cwd=tmp_path)
    assert result.code == 3
    (line,) = error_lines(result.err)
    assert str(bad) in line and "cannot be opened as HDF5" in line
    assert not list(tmp_path.glob("muon_psf*"))
