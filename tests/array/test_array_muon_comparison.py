"""compare-array-muon-throughput: known truth in synthetic products, mismatches, bad input.

The pure functions are checked against closed forms (a throughput offset of one telescope
of n gives ln r = delta (1 - 1/n) for it and -delta / n for the others) and, by Monte
Carlo with a correlated array covariance, for pulls of unit width; the step on products
whose throughputs are set, including a real ``muon-throughput`` product read back.
"""

import numpy as np
import pytest
from astropy.table import Table
from astropy.time import Time, TimeDelta
from conftest import DATA, error_lines

from calibpipe_tasks.array.muon_comparison import compare, gauge_matrix, pool_chunks

LST, MST = "LST_LST_LSTCam", "MST_MST_NectarCam"


# ----------------------------------------------------------------- pure functions


def test_pool_chunks_weights_by_rings_and_skips_empty_chunks():
    tel = np.array([0, 0, 1, 1, 2])
    mean = np.array([0.20, 0.23, 0.18, np.nan, 0.3])
    sem = np.array([0.002, 0.003, 0.001, np.nan, 0.0])
    n = np.array([100, 300, 50, 0, 10])
    m, err, rings, chunks = pool_chunks(tel, 4, mean, sem, n)
    assert m[0] == pytest.approx((100 * 0.20 + 300 * 0.23) / 400)
    assert err[0] == pytest.approx(np.hypot(100 * 0.002, 300 * 0.003) / 400)
    assert m[1] == pytest.approx(0.18) and rings[1] == 50 and chunks[1] == 1
    assert np.isnan(m[2]) and np.isnan(m[3])  # sem 0: unusable; no chunk at all
    assert rings.tolist() == [400, 50, 0, 0]


def test_gauge_matrix_removes_the_group_mean():
    group = np.array(["a", "a", "a", "b", "b"])
    g, size = gauge_matrix(group, np.ones(5, bool), np.array([1, 1, 1, 1, 0], bool))
    x = np.array([1.0, 2.0, 3.0, 5.0, 7.0])
    y = g @ np.where(np.isfinite(x), x, 0)
    assert y[:3] == pytest.approx([-1.0, 0.0, 1.0])
    assert y[3] == pytest.approx(0.0)  # alone in its group with both values
    assert np.all(np.isnan(g[4])) and size.tolist() == [3, 3, 3, 1, 1]


def _consistent(n=6, seed=0):
    rng = np.random.default_rng(seed)
    true = 1 + 0.05 * rng.standard_normal(n)
    return true, np.full(n, 0.01), np.full(n, "t"), np.ones(n, bool)


def test_same_throughputs_give_ratio_one_whatever_the_gauge_and_scale():
    true, err, group, ok = _consistent()
    # array in a reference-telescope gauge (tel 0 has c = 1), muon absolute (0.21 x true)
    ln_array = np.log(true) - np.log(true[0])
    res = compare(ln_array, np.diag(err**2), 0.21 * true, 0.21 * true * err, group, ok, ok)
    assert np.abs(res.ln_ratio).max() < 1e-12
    assert np.abs(res.pull).max() < 1e-9
    assert res.groups["t"]["muon_scale"] == pytest.approx(0.21 * np.exp(np.mean(np.log(true))))
    assert res.groups["t"]["ndf"] == len(true) - 1


def test_one_telescope_offset_closed_form():
    true, err, group, ok = _consistent()
    delta = np.log(1.05)
    muon = 0.2 * true
    muon[2] *= np.exp(-delta)  # muon sees telescope 2 5 % low: array/muon 5 % high there
    res = compare(np.log(true), np.diag(err**2), muon, muon * err, group, ok, ok)
    n = len(true)
    expect = np.full(n, -delta / n)
    expect[2] = delta * (1 - 1 / n)
    assert res.ln_ratio == pytest.approx(expect, abs=1e-12)
    # gauge-fixed variance of ln r_i: 2 sigma^2 (1 - 1/n) for equal errors
    assert res.ln_ratio_err == pytest.approx(np.sqrt(2 * 0.01**2 * (1 - 1 / n)), rel=1e-12)


def test_cross_gauge_uses_the_reference_type_only():
    group = np.full(5, "array")
    member = np.array([1, 1, 0, 0, 0], bool)  # two reference-type telescopes
    ok = np.ones(5, bool)
    true = np.array([1.02, 0.98, 0.9, 0.95, 0.85])
    muon = 0.2 * true
    muon[3] *= 1.1
    err = np.full(5, 0.01)
    res = compare(np.log(true), np.diag(err**2), muon, muon * err, group, member, ok)
    expect = np.zeros(5)
    expect[3] = -np.log(1.1)
    assert res.ln_ratio == pytest.approx(expect, abs=1e-12)


def test_pulls_have_unit_width_with_a_correlated_array_covariance():
    rng = np.random.default_rng(5)
    n, draws = 9, 2000
    true = 1 + 0.05 * rng.standard_normal(n)
    a = rng.standard_normal((n, n))
    cov = 0.015**2 * (a @ a.T / n + 0.5 * np.eye(n))
    chol = np.linalg.cholesky(cov)
    mu_err = 0.01 * (1 + rng.random(n))
    group, ok = np.full(n, "t"), np.ones(n, bool)
    pulls, chi2 = [], []
    for _ in range(draws):
        ln_a = np.log(true) + chol @ rng.standard_normal(n)
        muon = 0.2 * true * np.exp(mu_err * rng.standard_normal(n))
        res = compare(ln_a, cov, muon, muon * mu_err, group, ok, ok)
        pulls.append(res.pull)
        chi2.append(res.groups["t"]["chi2"])
    pulls = np.array(pulls)
    assert np.abs(pulls.mean(axis=0)).max() < 0.1
    assert pulls.std(axis=0) == pytest.approx(np.ones(n), abs=0.06)
    assert np.mean(chi2) == pytest.approx(n - 1, rel=0.05)


# ----------------------------------------------------------------- the step

PERIOD = ("2026-03-10T21:00:00", "2026-03-10T22:00:00")


def array_table(path, ln_c, err, types, tel_ids=None, obs_ids=(1,), use_case="UC-120-2.32"):
    tel_ids = np.arange(1, len(ln_c) + 1) if tel_ids is None else np.asarray(tel_ids)
    t = Table()
    t["tel_id"] = tel_ids.astype(np.int16)
    t["telescope_type"] = np.asarray(types, dtype=str)
    t["coefficient"] = np.exp(ln_c)
    t["ln_coefficient"] = np.asarray(ln_c, dtype=float)
    t["ln_coefficient_err"] = np.asarray(err, dtype=float)
    t["time_start"] = Time(np.full(len(t), PERIOD[0]), scale="utc")
    t["time_end"] = Time(np.full(len(t), PERIOD[1]), scale="utc")
    t["status"] = np.full(len(t), "ok")
    t.meta.update(
        {
            "use_case": use_case,
            "obs_ids": list(obs_ids),
            "validity_start": PERIOD[0],
            "validity_end": PERIOD[1],
        }
    )
    if use_case == "UC-120-2.33":
        t.meta["reference_type"] = LST
    t.write(path, format="ascii.ecsv")
    return path


def muon_table(path, tel_ids, types, means, rel_err=0.01, starts=None, rings=200):
    """One 20-minute chunk per row (default starting 21:10 UTC)."""
    starts = ["2026-03-10T21:10:00"] * len(tel_ids) if starts is None else starts
    t0 = Time(starts, scale="utc").tai
    t = Table()
    t["tel_id"] = np.asarray(tel_ids, dtype=np.int16)
    t["telescope_type"] = np.asarray(types, dtype=str)
    t["time_start"] = t0
    t["time_end"] = t0 + TimeDelta(1200.0, format="sec")
    t["n_used"] = np.full(len(t), rings, dtype=np.int64)
    t["mean"] = np.asarray(means, dtype=float)
    t["sem"] = rel_err * t["mean"]
    t["status"] = np.full(len(t), "ok")
    t.write(path, format="ascii.ecsv")
    return path


TRUE = np.array([1.03, 0.97, 1.01, 0.99, 0.93, 0.90, 0.95, 0.91])
TYPES = [LST] * 4 + [MST] * 4


def _run(run_cli, tmp_path, array, muon, *extra):
    return run_cli(
        "compare-array-muon-throughput",
        "--array-calibration",
        array,
        "--muon-throughput",
        muon,
        *extra,
        cwd=tmp_path,
    )


def _assert_failed(result, code, tmp_path, *words):
    lines = error_lines(result.err)
    assert result.code == code, result.err
    assert len(lines) == 1, lines
    for word in words:
        assert word in lines[0], lines[0]
    assert "Traceback" not in result.err
    assert not list(tmp_path.glob("array_muon_comparison*"))


def test_step_recovers_a_set_discrepancy_and_flags_mismatches(run_cli, tmp_path):
    # array: inter-calibration in the type-mean gauge of telescopes 1-8
    ln_inter = np.log(TRUE)
    for sl in (slice(0, 4), slice(4, 8)):
        ln_inter[sl] -= ln_inter[sl].mean()
    arr = array_table(tmp_path / "inter.ecsv", ln_inter, np.full(8, 0.01), TYPES)
    # muon: absolute 0.2 x truth; telescope 6 is 6 % low in the muon data; telescope 8 has
    # only a chunk after the period (with a wild value that must not be used); telescope 9
    # is not in the array calibration; one chunk of telescope 1 before the period (wild)
    ids = [1, 2, 3, 4, 5, 6, 7, 8, 9, 1]
    types = TYPES + [MST, LST]
    means = list(0.2 * TRUE) + [0.2, 0.5]
    means[5] *= 0.94
    means[7] = 0.9
    starts = ["2026-03-10T21:10:00"] * 10
    starts[7] = "2026-03-10T23:00:00"
    starts[9] = "2026-03-10T19:00:00"
    mu = muon_table(tmp_path / "muon.ecsv", ids, types, means, starts=starts)
    result = _run(run_cli, tmp_path, arr, mu, "--plot")
    assert result.code == 0, result.err
    out = Table.read(tmp_path / "array_muon_comparison.ecsv")
    assert (tmp_path / "array_muon_comparison.png").stat().st_size > 1000
    status = dict(zip(out["tel_id"].tolist(), out["status"].tolist(), strict=True))
    assert status[8] == "no muon chunk in the period"
    assert status[9] == "not in the array calibration"
    assert all(status[t] == "ok" for t in range(1, 8))
    ok = out[out["status"] == "ok"]
    ln_r = dict(zip(ok["tel_id"].tolist(), np.asarray(ok["ln_ratio"]), strict=True))
    d = -np.log(0.94)  # array / muon is 6 % high for telescope 6, among 3 MSTs with both
    assert ln_r[6] == pytest.approx(d * (1 - 1 / 3), abs=1e-9)
    assert ln_r[5] == pytest.approx(-d / 3, abs=1e-9)
    assert ln_r[7] == pytest.approx(-d / 3, abs=1e-9)
    for t in (1, 2, 3, 4):  # LSTs: consistent; the wild chunk before the period is ignored
        assert abs(ln_r[t]) < 1e-9
    # the pull of telescope 6: ln r / sqrt(2 sigma^2 (1 - 1/3))
    pull6 = float(ok["pull"][ok["tel_id"] == 6][0])
    assert pull6 == pytest.approx(d * (2 / 3) / np.sqrt(2 * 0.01**2 * 2 / 3), rel=1e-6)
    assert out.meta["groups"][MST]["ndf"] == 2
    assert out.meta["groups"][LST]["muon_scale"] == pytest.approx(
        0.2 * np.exp(np.mean(np.log(TRUE[:4]))), rel=1e-9
    )


def test_time_margin_brings_in_a_neighbouring_chunk(run_cli, tmp_path):
    arr = array_table(tmp_path / "inter.ecsv", np.zeros(2), [0.01, 0.01], [LST, LST])
    starts = ["2026-03-10T22:05:00", "2026-03-10T21:10:00"]
    mu = muon_table(tmp_path / "muon.ecsv", [1, 2], [LST, LST], [0.2, 0.2], starts=starts)
    assert _run(run_cli, tmp_path, arr, mu).code == 0
    out = Table.read(tmp_path / "array_muon_comparison.ecsv")
    assert out["status"].tolist() == [
        "no muon chunk in the period",
        "only telescope of its gauge group with both values",
    ]
    assert _run(run_cli, tmp_path, arr, mu, "--time-margin", "600").code == 0
    out = Table.read(tmp_path / "array_muon_comparison.ecsv")
    assert out["status"].tolist() == ["ok", "ok"]
    assert out["muon_n_chunks"].tolist() == [1, 1]


def test_cross_calibration_input(run_cli, tmp_path):
    ln_abs = np.log(TRUE) - np.log(TRUE[:4]).mean()
    arr = array_table(
        tmp_path / "cross.ecsv", ln_abs, np.full(8, 0.01), TYPES, use_case="UC-120-2.33"
    )
    means = 0.2 * TRUE
    means[4:] *= 1.05  # muons see the MST type 5 % higher than the shower events do
    mu = muon_table(tmp_path / "muon.ecsv", np.arange(1, 9), TYPES, means)
    assert _run(run_cli, tmp_path, arr, mu).code == 0
    out = Table.read(tmp_path / "array_muon_comparison.ecsv")
    assert set(out["gauge_group"]) == {"array"}
    assert np.asarray(out["ln_ratio"][:4]) == pytest.approx(np.zeros(4), abs=1e-9)
    assert np.asarray(out["ln_ratio"][4:]) == pytest.approx(np.full(4, -np.log(1.05)), abs=1e-9)


def test_covariance_is_used_and_must_belong(run_cli, tmp_path):
    ln = np.log(TRUE[:4]) - np.log(TRUE[:4]).mean()
    arr = array_table(tmp_path / "inter.ecsv", ln, np.full(4, 0.02), [LST] * 4)
    mu = muon_table(tmp_path / "muon.ecsv", [1, 2, 3, 4], [LST] * 4, 0.2 * TRUE[:4] * 1.0)
    cov = Table()
    i, j = np.meshgrid(np.arange(1, 5), np.arange(1, 5), indexing="ij")
    cov["tel_id_1"] = i.ravel().astype(np.int16)
    cov["tel_id_2"] = j.ravel().astype(np.int16)
    full = 0.02**2 * (np.eye(4) - np.ones((4, 4)) / 4) * 4 / 3  # type-mean gauge shape
    full[np.diag_indices(4)] = 0.02**2
    cov["cov_ln_coefficient"] = full.ravel()
    cov.meta["obs_ids"] = [1]
    cov.write(tmp_path / "cov.ecsv", format="ascii.ecsv")
    assert _run(run_cli, tmp_path, arr, mu, "--array-covariance", tmp_path / "cov.ecsv").code == 0
    out = Table.read(tmp_path / "array_muon_comparison.ecsv")
    assert out.meta["array_covariance"].startswith("full")
    # the array part of the gauge-fixed error: sqrt([G C G^T]_ii), G the type-mean map
    g = np.eye(4) - np.ones((4, 4)) / 4
    expect = np.sqrt(np.diag(g @ full @ g.T))
    rel = np.asarray(out["array_relative_err"]) / np.asarray(out["array_relative"])
    assert rel == pytest.approx(expect, rel=1e-9)
    cov.meta["obs_ids"] = [2]
    cov.write(tmp_path / "cov2.ecsv", format="ascii.ecsv")
    for p in tmp_path.glob("array_muon_comparison*"):
        p.unlink()
    result = _run(run_cli, tmp_path, arr, mu, "--array-covariance", tmp_path / "cov2.ecsv")
    _assert_failed(result, 3, tmp_path, "cov2.ecsv", "not the same calibration")


def test_other_array_and_other_period_exit_3(run_cli, tmp_path):
    arr = array_table(tmp_path / "inter.ecsv", np.zeros(2), [0.01, 0.01], [LST, LST])
    mu = muon_table(tmp_path / "muon.ecsv", [1, 2], [LST, MST], [0.2, 0.2])
    _assert_failed(_run(run_cli, tmp_path, arr, mu), 3, tmp_path, "muon.ecsv", "telescope 2 is")
    starts = ["2026-03-11T03:00:00"] * 2
    mu = muon_table(tmp_path / "muon2.ecsv", [1, 2], [LST, LST], [0.2, 0.2], starts=starts)
    _assert_failed(
        _run(run_cli, tmp_path, arr, mu), 3, tmp_path, "muon2.ecsv", "no muon chunk", "span"
    )
    bad = tmp_path / "bad.ecsv"
    bad.write_text("not a table\n")
    _assert_failed(_run(run_cli, tmp_path, bad, mu), 3, tmp_path, "bad.ecsv")
    arr3 = array_table(tmp_path / "other.ecsv", [0.0], [0.01], [LST], use_case="UC-120-2.2")
    _assert_failed(_run(run_cli, tmp_path, arr3, mu), 3, tmp_path, "other.ecsv", "use_case")


def test_committed_samples_agree_within_errors(run_cli, tmp_path):
    arr = DATA / "array" / "obs101-102.inter.ecsv"
    mu = DATA / "array" / "obs101-102.muon_throughput.ecsv"
    cov = DATA / "array" / "obs101-102.inter_covariance.ecsv"
    assert _run(run_cli, tmp_path, arr, mu, "--array-covariance", cov).code == 0
    out = Table.read(tmp_path / "array_muon_comparison.ecsv")
    ok = out["status"] == "ok"
    assert out["status"][~ok].tolist() == ["no muon rings in the period"]  # telescope 13
    assert np.abs(np.asarray(out["pull"][ok])).max() < 3.5
    for group in out.meta["groups"].values():
        assert group["chi2"] / group["ndf"] < 3
    assert out["muon_n_chunks"][ok].tolist() == [3] * int(ok.sum())  # the 20:30 chunk left out


@pytest.mark.slow
def test_reads_a_real_muon_throughput_product(run_cli, tmp_path):
    muon_dir = tmp_path / "muon"
    muon_dir.mkdir()
    code = run_cli(
        "muon-throughput",
        "--input",
        DATA / "muon" / "run201.muon.h5",
        "--output-dir",
        muon_dir,
        cwd=tmp_path,
    ).code
    assert code == 0
    mu = Table.read(muon_dir / "muon_throughput.ecsv")
    ok = mu[mu["n_used"] > 1]
    ids = sorted(set(ok["tel_id"].tolist()))
    types = [str(ok["telescope_type"][ok["tel_id"] == t][0]) for t in ids]
    # an array calibration equal to the muon throughputs (pooled as the step does)
    pooled = []
    for t in ids:
        rows = ok[ok["tel_id"] == t]
        pooled.append(np.sum(rows["n_used"] * rows["mean"]) / np.sum(rows["n_used"]))
    t0, t1 = mu["time_start"].min().utc.isot, mu["time_end"].max().utc.isot
    arr = Table()
    arr["tel_id"] = np.asarray(ids, dtype=np.int16)
    arr["telescope_type"] = types
    arr["ln_coefficient"] = np.log(pooled)
    arr["ln_coefficient_err"] = np.full(len(ids), 0.01)
    arr["status"] = "ok"
    # the sample has one telescope per type: compare as a cross-calibration (LST gauge)
    arr.meta.update(
        {
            "use_case": "UC-120-2.33",
            "reference_type": LST,
            "obs_ids": [201],
            "validity_start": t0,
            "validity_end": t1,
        }
    )
    arr.write(tmp_path / "inter.ecsv", format="ascii.ecsv")
    result = _run(run_cli, tmp_path, tmp_path / "inter.ecsv", muon_dir / "muon_throughput.ecsv")
    assert result.code == 0, result.err
    out = Table.read(tmp_path / "array_muon_comparison.ecsv")
    assert out["tel_id"].tolist() == ids
    assert np.asarray(out["muon_throughput"]) == pytest.approx(pooled, rel=1e-12)
    # the one LST defines the gauge; every other telescope is compared
    assert out["status"][0] == "defines the gauge alone: ratio 1 by construction"
    ok = out["status"] == "ok"
    assert ok.sum() == len(ids) - 1 >= 1
    assert np.abs(np.asarray(out["ln_ratio"][ok])).max() < 1e-12
