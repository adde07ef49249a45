"""validate-camera-coefficients: the good sample passes, a broken product exits 3 naming its check.

The good sample is the camera-calibration chain's own products on
``tests/data/camera/calibration.r1.h5`` (``tests/data/generate_camera_validation.py``);
independent events of the same camera (another R1 file of the generator, through the
same chain) are the tolerances' measure. Broken products are copies of the good one
with one change each.
"""

import json
import shutil

import numpy as np
import pytest
from conftest import DATA, error_lines

from calibpipe_tasks.outputs import sha256_of

CAMERA = DATA / "camera"
COEFFICIENTS = CAMERA / "calibration.coefficients.h5"
PEDESTAL = CAMERA / "calibration_pedestal.dl1.h5"
FLATFIELD = CAMERA / "calibration_flatfield.dl1.h5"
WHERE = "/dl1/monitoring/telescope/calibration/camera/coefficients/tel_001"
WINDOW = ("--window-width", "8", "--window-shift", "4", "--peak-index", "21")
STEP = "validate-camera-coefficients"


def validate(
    run_cli, out, coefficients=COEFFICIENTS, pedestal=PEDESTAL, flatfield=FLATFIELD, *extra
):
    out.mkdir(exist_ok=True)
    return run_cli(
        STEP,
        "--coefficients",
        coefficients,
        "--pedestal-images",
        pedestal,
        "--flatfield-images",
        flatfield,
        *extra,
        cwd=out,
    )


def changed(tmp_path, change, name="broken.coefficients.h5"):
    """A copy of the good coefficients with ``change(table)`` applied to tel_001."""
    from ctapipe.io import read_table, write_table

    path = tmp_path / name
    shutil.copyfile(COEFFICIENTS, path)
    table = read_table(path, WHERE)
    change(table)
    write_table(table, path, WHERE, overwrite=True)
    return path


def checks(out):
    report = json.loads((out / "camera_validation.json").read_text())
    return {c["check"]: c for c in report["checks"]}, report


def test_good_sample_passes_and_passes_the_file_on(run_cli, tmp_path):
    result = validate(run_cli, tmp_path / "out", COEFFICIENTS, PEDESTAL, FLATFIELD, *WINDOW)
    assert result.code == 0, result.err
    out = tmp_path / "out"
    assert sha256_of(out / "camera_coefficients.h5") == sha256_of(COEFFICIENTS)
    by_name, report = checks(out)
    assert report["passed"] and all(c["passed"] for c in by_name.values())
    assert set(by_name) == {
        "extraction_window",
        "coefficients_finite",
        "factor_positive",
        "fill_values",
        "validity_start",
        "pedestal_closure",
        "pedestal_camera_mean",
        "flatfield_flatness",
        "flatfield_scale",
        "photon_statistics",
    }
    # the chain's own events: a closure (the coefficients were made from them)
    assert by_name["pedestal_closure"]["value"] < 0.1
    assert by_name["flatfield_flatness"]["value"] < 0.01
    assert by_name["validity_start"]["value"] < 1e-5
    from astropy.table import Table

    table = Table.read(out / "camera_validation.ecsv")
    assert len(table) == len(by_name) and np.all(table["passed"])
    again = tmp_path / "again"
    assert validate(run_cli, again, COEFFICIENTS, PEDESTAL, FLATFIELD, *WINDOW).code == 0
    for name in ("camera_validation.json", "camera_validation.ecsv", "camera_coefficients.h5"):
        assert sha256_of(again / name) == sha256_of(out / name), name


@pytest.fixture(scope="module")
def independent_events(tmp_path_factory):
    """Another R1 run of the sample camera at the same event times, through the same chain."""
    import sys

    sys.path.insert(0, str(DATA))
    from generate_camera_validation import run_chain

    from .dl1_calibration_events import write_calibration_r1
    from .synthetic_camera import sample_camera

    directory = tmp_path_factory.mktemp("independent")
    subarray, truth = sample_camera()
    r1 = directory / "independent.r1.h5"
    write_calibration_r1(r1, subarray, {1: truth}, 100, "2025-01-15T22:00:00", seed=99)
    ped, ff, _ = run_chain(r1, directory / "chain")
    return ped, ff


@pytest.mark.slow
def test_independent_events_pass_within_the_tolerances(run_cli, tmp_path, independent_events):
    ped, ff = independent_events
    provenance = [p.with_suffix(".provenance.json") for p in (ped, ff)]
    result = validate(
        run_cli, tmp_path / "out", COEFFICIENTS, ped, ff, "--extraction-provenance", *provenance
    )
    assert result.code == 0, result.err
    by_name, report = checks(tmp_path / "out")
    assert report["extraction_window"] == {"window_width": 8, "window_shift": 4, "peak_index": 21}
    # chi2/ndf of 58-59 pixels: 1 +- 0.19 expected
    for name in ("pedestal_closure", "flatfield_flatness"):
        values = np.array(by_name[name]["per_row"], dtype=float)
        assert np.all((values > 0.5) & (values < 1.6)), (name, values)


@pytest.mark.slow
def test_scaled_factors_fail_on_independent_events_too(run_cli, tmp_path, independent_events):
    ped, ff = independent_events
    path = changed(tmp_path, lambda t: t.__setitem__("factor", t["factor"] * 1.2))
    result = validate(run_cli, tmp_path / "out", path, ped, ff, *WINDOW)
    assert result.code == 3
    (line,) = error_lines(result.err)
    assert "photon_statistics failed" in line


def _times_at_chunk_end(table):
    table["time"] = table["time_end"]


def _nan_factor(table):
    factor = np.array(table["factor"])
    factor[0, 0, 7] = np.nan
    table["factor"] = factor * table["factor"].unit


def _wrong_pedestal_window(table):
    # the pedestal charge divided by a 10-sample window instead of the 8 of the images
    table["pedestal_offset"] = table["pedestal_offset"] * 8 / 10


def _window_shift(table):
    table.meta["window_shift"] = "3"


def _flagged_not_filled(table):
    mask = np.asarray(table["outlier_mask"])
    shift = np.array(table["time_shift"])
    shift[mask] = 99.0
    table["time_shift"] = shift * table["time_shift"].unit


def _negative_factor(table):
    factor = np.array(table["factor"])
    factor[1, 1, 3] = -factor[1, 1, 3]
    table["factor"] = factor * table["factor"].unit


BROKEN = {
    "factors-times-1.2": (
        lambda t: t.__setitem__("factor", t["factor"] * 1.2),
        "photon_statistics",
    ),
    "wrong-pedestal-window": (_wrong_pedestal_window, "pedestal_closure"),
    "chunk-end-time-stamps": (_times_at_chunk_end, "validity_start"),
    "nan-factor": (_nan_factor, "coefficients_finite"),
    "window-mismatch": (_window_shift, "extraction_window"),
    "flagged-pixels-not-filled": (_flagged_not_filled, "fill_values"),
    "negative-factor": (_negative_factor, "factor_positive"),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_broken_product_exits_3_with_one_line_naming_file_and_check(run_cli, tmp_path, case):
    change, check = BROKEN[case]
    path = changed(tmp_path, change)
    out = tmp_path / "out"
    result = validate(run_cli, out, path, PEDESTAL, FLATFIELD, *WINDOW)
    assert result.code == 3, result.err
    assert "Traceback" not in result.err
    (line,) = error_lines(result.err)
    assert line.startswith(f"calibpipe-tasks {STEP}: error: {path}: validation failed: "), line
    assert f"tel_001 {check} failed" in line, line
    assert sorted(p.name for p in out.iterdir()) == [], "nothing may be written"


def test_window_from_provenance_logs_disagreeing_with_each_other(run_cli, tmp_path):
    logs = []
    for name, width in (("ped.json", 8), ("ff.json", 10)):
        record = [
            {
                "activity_name": "ctapipe-process",
                "config": {
                    "CameraCalibrator": {"image_extractor_type": [["type", "*", "FixedWindowSum"]]}
                },
                "system": {
                    "arguments": [
                        "ctapipe-process",
                        "--FixedWindowSum.peak_index=21",
                        f"--FixedWindowSum.window_width={width}",
                        "--FixedWindowSum.window_shift=4",
                    ]
                },
            }
        ]
        logs.append(tmp_path / name)
        logs[-1].write_text(json.dumps(record))
    out = tmp_path / "out"
    result = validate(
        run_cli, out, COEFFICIENTS, PEDESTAL, FLATFIELD, "--extraction-provenance", *logs
    )
    assert result.code == 3
    (line,) = error_lines(result.err)
    assert "ff.json" in line and "another window" in line
    assert sorted(p.name for p in out.iterdir()) == []


def test_no_window_is_a_usage_error(run_cli, tmp_path):
    result = validate(run_cli, tmp_path / "out", COEFFICIENTS, PEDESTAL, FLATFIELD)
    assert result.code == 2
    (line,) = error_lines(result.err)
    assert "--window-width" in line


def test_the_validated_copy_never_replaces_its_input(run_cli, tmp_path):
    here = tmp_path / "here"
    here.mkdir()
    shutil.copyfile(COEFFICIENTS, here / "camera_coefficients.h5")
    before = sha256_of(here / "camera_coefficients.h5")
    result = validate(run_cli, here, here / "camera_coefficients.h5", PEDESTAL, FLATFIELD, *WINDOW)
    assert result.code == 2
    assert sha256_of(here / "camera_coefficients.h5") == before


def test_coefficients_applied_as_ctapipe_camera_calibrator_applies_them():
    """apply_coefficients on the uncalibrated images == CameraCalibrator on the R1 waveforms.

    ctapipe-process' defaults (FixedWindowSum without integration correction, no waveform
    time shift), the coefficients served by ctapipe's HDF5MonitoringSource at each event's
    trigger time, against validation's row lookup and formula on the sample's DL1 images.
    """
    from ctapipe.calib import CameraCalibrator
    from ctapipe.io import EventSource, HDF5MonitoringSource
    from traitlets.config import Config

    from calibpipe_tasks.camera.validation import apply_coefficients, row_index
    from calibpipe_tasks.io.camera_validation import read_calibration_images, read_coefficients

    coeff = read_coefficients(COEFFICIENTS, 1, 61)
    images = {}
    for path in (PEDESTAL, FLATFIELD):
        times, charge = read_calibration_images(path, 1)
        for t, q in zip(times, charge, strict=True):
            images[round(t * 86400e3)] = q  # by trigger time [ms]
    config = Config(
        {
            "CameraCalibrator": {"image_extractor_type": [("type", "*", "FixedWindowSum")]},
            "FixedWindowSum": {
                "peak_index": [("type", "*", 21)],
                "window_width": [("type", "*", 8)],
                "window_shift": [("type", "*", 4)],
                "apply_integration_correction": [("type", "*", False)],
            },
        }
    )
    with EventSource(CAMERA / "calibration.r1.h5") as source:
        monitoring = HDF5MonitoringSource(subarray=source.subarray, input_files=[COEFFICIENTS])
        calibrator = CameraCalibrator(subarray=source.subarray, config=config)
        n = 0
        for event in source:
            monitoring.fill_monitoring_container(event)
            calibrator(event)
            t = event.trigger.time.tai.mjd
            row = row_index([t], coeff["start"])[0]
            expected = apply_coefficients(
                images[round(t * 86400e3)],
                coeff["pedestal_offset"][row],
                coeff["factor"][row],
                8,
            )
            # flagged pixels: ctapipe's invalid-pixel handler (NeighborAverage) replaces them;
            # the validation leaves them out
            good = ~coeff["outlier_mask"][row]
            np.testing.assert_allclose(
                event.dl1.tel[1].image[good], expected[good], rtol=1e-4, atol=1e-3
            )
            n += 1
    assert n == 200
