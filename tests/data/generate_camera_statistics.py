"""Regenerate the small merged pixel-statistics sample in tests/data/camera/ (CWL job input).

    .venv/bin/python tests/data/generate_camera_statistics.py

One LST-like telescope with a 61-pixel hexagonal camera, two gain channels, two
chunks of 500 sky-pedestal and 500 flat-field events (80 p.e., 2 p.e. NSB,
F^2 = 1.222, laser jitter B = 2 % recorded as LIGHT_SOURCE_JITTER, one dead and
one hot pixel), aggregated by ctapipe's PixelStatisticsCalculator exactly as
ctapipe-calculate-pixel-statistics does (see tests/camera/synthetic_camera.py).

Also the DL1 image files of 300 sky-pedestal and 300 flat-field events of the same
camera (``pedestal.dl1.h5``, ``flatfield.dl1.h5``, ctapipe's DataWriter), the
inputs of the ctapipe-calculate-pixel-statistics and ctapipe-merge jobs, and R1
waveforms of 100 interleaved events of each type (``calibration.r1.h5``, the input of
the ctapipe-process-calibration job).
"""

import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from camera.dl1_calibration_events import (  # noqa: E402
    write_calibration_dl1,
    write_calibration_r1,
)
from camera.synthetic_camera import (  # noqa: E402
    StatisticsSpec,
    sample_camera,
    statistics_tables,
    write_statistics_file,
)

from calibpipe_tasks.io.dl1_files import hdf5_without_timestamps  # noqa: E402

#: per-type statistics files made by ctapipe-calculate-pixel-statistics (inputs of the merge job)
STATISTICS_FILES = (
    ("sky_pedestal_image.stats.h5", "pedestal.dl1.h5", "image"),
    ("flatfield_image.stats.h5", "flatfield.dl1.h5", "image"),
    ("flatfield_peak_time.stats.h5", "flatfield.dl1.h5", "peak_time"),
)


def main():
    subarray, truth = sample_camera()
    spec = StatisticsSpec(n_chunks=2, chunk_size=500, seed=5)
    tables = statistics_tables(subarray, {1: truth}, spec)
    tables[1]["flatfield_image"].meta["LIGHT_SOURCE_JITTER"] = truth.jitter
    out = HERE / "camera" / "pixel_statistics.h5"
    with hdf5_without_timestamps():
        write_statistics_file(out, subarray, {1: truth}, spec, tables=tables)
    for kind, name, seed in (("pedestal", "pedestal", 11), ("flatfield", "flatfield", 12)):
        dl1 = HERE / "camera" / f"{name}.dl1.h5"
        with hdf5_without_timestamps():
            write_calibration_dl1(dl1, subarray, {1: truth}, kind, 300, spec.start, seed=seed)
    # R1 waveforms of 100 interleaved events of each type (input of the ctapipe-process job)
    with hdf5_without_timestamps():
        write_calibration_r1(
            HERE / "camera" / "calibration.r1.h5", subarray, {1: truth}, 100, spec.start, seed=13
        )
    # the real chain from there: ctapipe's own tools (what the CWL tools run)
    from ctapipe.core import run_tool
    from ctapipe.tools.calculate_pixel_stats import PixelStatisticsCalculatorTool

    for name, dl1, column in STATISTICS_FILES:
        argv = [
            f"--input_url={HERE / 'camera' / dl1}",
            f"--output_path={HERE / 'camera' / name}",
            f"--PixelStatisticsCalculatorTool.input_column_name={column}",
            "--SizeChunking.chunk_size=150",
            "--overwrite",
        ]
        with tempfile.TemporaryDirectory() as scratch:  # ctapipe's provenance log goes there
            assert run_tool(PixelStatisticsCalculatorTool(), argv, cwd=scratch) == 0
    print(f"wrote {out} (dead pixel {truth.dead.tolist()}, hot pixel {truth.hot.tolist()})")


if __name__ == "__main__":
    main()
