"""The camera-calibration workflow with its single-p.e. branch, against the known truth.

cwl/jobs/camera-calibration-spe.yml as the suite's cwltool reference run ran it: the
calibration events of tests/data/camera/calibration.r1.h5 and the single-p.e. run
tests/data/camera/spe.r1.h5 of the same 61-pixel camera (``sample_camera()``: one dead and one
hot pixel, F^2 = 1.222; the single-p.e. run at 4 times the gains, tests/data/generate_spe_r1.py).
That job leaves ``f_squared`` at its default, the true value; to show that fit-spe's F^2 per
pixel replaces it, its coefficients step is run again on the workflow's own merged statistics
and single-p.e. fit with a camera-wide ``f_squared`` wrong on purpose (1.6 instead of 1.222,
which would put every factor 31 % high): the factors must come out right, the same as the
workflow's.
"""

import hashlib
import json
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml
from astropy.table import Table

from .synthetic_camera import sample_camera

ROOT = Path(__file__).resolve().parents[2]
TOOL = ROOT / "cwl" / "tools" / "compute-camera-coefficients.cwl"
JOB = ROOT / "cwl" / "jobs" / "camera-calibration-spe.yml"
COEFFICIENTS = "/dl1/monitoring/telescope/calibration/camera/coefficients/tel_001"
GAIN_FACTOR = 4.0  # the single-p.e. run's gains / those of the calibration run
WRONG_F_SQUARED = 1.6

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def spe_run(reference, tmp_path_factory):
    """The workflow's outputs, and ``coefficients_wrong_f_squared`` of the re-run step."""
    sys.path.insert(0, str(ROOT / "tests"))
    from cwl_engines import run_engine

    outputs = dict(reference.runs["camera-calibration-spe"])
    job = yaml.safe_load(JOB.read_text())
    tmp = tmp_path_factory.mktemp("camera-spe")
    step_job = {
        "statistics": {"class": "File", "path": outputs["merged_statistics"]["path"]},
        "f_squared_table": {"class": "File", "path": outputs["spe_fit"]["path"]},
        "f_squared": WRONG_F_SQUARED,
        **{key: job[key] for key in ("window_width", "jitter", "min_events")},
    }
    job_file = tmp / "job.yml"
    job_file.write_text(yaml.safe_dump(step_job))
    step = run_engine("cwltool", TOOL, job_file, tmp / "out", tmp)
    outputs["coefficients_wrong_f_squared"] = step["coefficients"]
    return outputs


def test_spe_fit_finds_the_true_gain_and_f_squared(spe_run):
    _, truth = sample_camera()
    table = Table.read(spe_run["spe_fit"]["path"])
    assert len(table) == truth.n_pixels
    alive = np.ones(truth.n_pixels, bool)
    alive[truth.dead] = False
    # the dead pixel (baseline only) is not valid, carries the camera median; the others fit
    assert np.array_equal(np.asarray(table["is_valid"]), alive)
    assert np.all(np.isfinite(table["f_squared"])) and np.all(table["f_squared"] > 1)
    gain_pull = (table["gain"] - GAIN_FACTOR * truth.gain[0]) / table["gain_err"]
    f2_pull = (table["f_squared"] - truth.f_squared) / table["f_squared_err"]
    assert np.all(np.abs(gain_pull[alive]) < 5)
    assert np.all(np.abs(f2_pull[alive]) < 5)
    # the camera median: 60 pixels of about 4 % each
    assert abs(np.median(table["f_squared"][alive]) - truth.f_squared) < 0.02


def test_coefficients_use_the_spe_f_squared(spe_run):
    from ctapipe.io import read_table

    _, truth = sample_camera()
    good = np.ones(truth.n_pixels, bool)
    good[truth.dead] = good[truth.hot] = False
    table = read_table(spe_run["coefficients_wrong_f_squared"]["path"], COEFFICIENTS)
    assert table.meta["f_squared"] == "per pixel"
    workflow = read_table(spe_run["coefficients"]["path"], COEFFICIENTS)
    assert workflow.meta["f_squared"] == "per pixel"
    for column in ("factor", "factor_err", "gain", "gain_err"):
        same = np.array_equal(
            np.asarray(table[column]), np.asarray(workflow[column]), equal_nan=True
        )
        assert same, column
    factor, factor_err = np.asarray(table["factor"]), np.asarray(table["factor_err"])
    true_factor = truth.true_factor(good)
    pull = (factor - true_factor[None]) / factor_err
    assert np.all(np.abs(pull[:, :, good]) < 5)
    # without the SPE branch, F^2 = 1.6 would put every factor 31 % high, i.e. > 5 sigma
    ratio = np.median(factor[:, 0, good] / true_factor[0, good])
    assert abs(ratio - 1) < 0.05
    # F-factor gain of the calibration run = single-p.e. gain / GAIN_FACTOR, pixel by pixel
    gain, gain_err = np.asarray(table["gain"]), np.asarray(table["gain_err"])
    assert np.all(np.abs((gain - truth.gain[None]) / gain_err)[:, :, good] < 5)
    spe = Table.read(spe_run["spe_fit"]["path"])
    both = (np.asarray(spe["gain"]) / GAIN_FACTOR) / gain[:, 0]
    assert abs(np.median(both[:, good]) - 1) < 0.03
    # the F^2 errors of the fit are in the gain errors (relative F^2 error ~ 3-4 %)
    rel_f2 = np.asarray(spe["f_squared_err"] / spe["f_squared"])
    assert np.all((gain_err[:, 0] / gain[:, 0])[:, good] >= rel_f2[good] - 1e-12)
    # the workflow's coefficients step read the very table the workflow delivers
    record = json.loads(Path(spe_run["coefficients_provenance"]["path"]).read_text())
    digest = hashlib.sha256(Path(spe_run["spe_fit"]["path"]).read_bytes()).hexdigest()
    (used,) = [i for i in record["inputs"] if i["role"] == "f_squared"]
    assert used["name"] == "spe_fit.ecsv" and used["sha256"] == digest
