"""Regenerate the validate-camera-coefficients sample in tests/data/camera/ (CWL job input).

    .venv/bin/python tests/data/generate_camera_validation.py

Runs on ``calibration.r1.h5`` what the camera-calibration workflow runs (the same
commands and options as its CWL tools and job: ``ctapipe-process`` with a
FixedWindowSum of 8 samples at peak_index 21, window_shift 4, for the sky-pedestal
and the flat-field events; ``ctapipe-calculate-pixel-statistics`` with chunks of 50
events, three times; ``ctapipe-merge``; ``compute-camera-coefficients`` with
``--peak-index 21 --window-shift 4 --jitter 0.02 --min-events 40``) and keeps

* ``calibration_pedestal.dl1.h5``, ``calibration_flatfield.dl1.h5``: the DL1 images;
* ``calibration.coefficients.h5``: the coefficients made from them.

:func:`run_chain` is also what the tests use on other R1 files (independent events).
"""

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent
WINDOW = {"peak_index": 21, "window_width": 8, "window_shift": 4}


def _run(*command, cwd):
    result = subprocess.run([str(c) for c in command], cwd=cwd, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"{command[0]} failed:\n{result.stderr[-3000:]}")


def extract(r1, event_type, out, cwd, window=WINDOW):
    """``ctapipe-process`` as cwl/tools/ctapipe-process-calibration.cwl runs it."""
    _run(
        BIN / "ctapipe-process",
        f"--input={r1}",
        f"--output={out}",
        "--write-images",
        "--no-write-parameters",
        f"--provenance-log={Path(out).with_suffix('.provenance.json')}",
        "--CameraCalibrator.image_extractor_type=FixedWindowSum",
        "--FixedWindowSum.apply_integration_correction=False",
        f"--EventTypeFilter.allowed_types={event_type}",
        f"--FixedWindowSum.peak_index={window['peak_index']}",
        f"--FixedWindowSum.window_width={window['window_width']}",
        f"--FixedWindowSum.window_shift={window['window_shift']}",
        cwd=cwd,
    )


def run_chain(r1, outdir, chunk_size=50, window=WINDOW):
    """The workflow's chain on ``r1``; returns ``(pedestal.dl1, flatfield.dl1, coefficients)``."""
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    ped, ff = outdir / "pedestal.dl1.h5", outdir / "flatfield.dl1.h5"
    extract(r1, "SKY_PEDESTAL", ped, outdir, window)
    extract(r1, "FLATFIELD", ff, outdir, window)
    stats = []
    for dl1, column in ((ped, "image"), (ff, "image"), (ff, "peak_time")):
        out = outdir / f"{dl1.stem.split('.')[0]}_{column}.stats.h5"
        _run(
            BIN / "ctapipe-calculate-pixel-statistics",
            f"--input_url={dl1}",
            f"--output_path={out}",
            f"--PixelStatisticsCalculatorTool.input_column_name={column}",
            f"--SizeChunking.chunk_size={chunk_size}",
            f"--provenance-log={out.with_suffix('.provenance.json')}",
            cwd=outdir,
        )
        stats.append(out)
    merged = outdir / "merged_pixel_statistics.h5"
    _run(
        BIN / "ctapipe-merge",
        "--attach-monitoring",
        "--monitoring",
        f"--output={merged}",
        f"--provenance-log={outdir / 'merge.provenance.json'}",
        *stats,
        cwd=outdir,
    )
    coefficients_dir = outdir / "coefficients"
    coefficients_dir.mkdir(exist_ok=True)
    _run(
        BIN / "calibpipe-tasks",
        "compute-camera-coefficients",
        "--input",
        merged,
        "--window-width",
        window["window_width"],
        "--peak-index",
        window["peak_index"],
        "--window-shift",
        window["window_shift"],
        "--jitter",
        "0.02",
        "--min-events",
        "40",
        cwd=coefficients_dir,
    )
    return ped, ff, coefficients_dir / "camera_coefficients.h5"


def main():
    camera = HERE / "camera"
    with tempfile.TemporaryDirectory() as scratch:
        ped, ff, coefficients = run_chain(camera / "calibration.r1.h5", scratch)
        shutil.copyfile(ped, camera / "calibration_pedestal.dl1.h5")
        shutil.copyfile(ff, camera / "calibration_flatfield.dl1.h5")
        shutil.copyfile(coefficients, camera / "calibration.coefficients.h5")
    for name in ("calibration_pedestal.dl1.h5", "calibration_flatfield.dl1.h5"):
        print(f"wrote {camera / name} ({(camera / name).stat().st_size} bytes)")
    print(f"wrote {camera / 'calibration.coefficients.h5'}")


if __name__ == "__main__":
    main()
