"""Regenerate the small merged pixel-statistics sample in tests/data/camera/ (CWL job input).

    .venv/bin/python tests/data/generate_camera_statistics.py

One LST-like telescope with a 61-pixel hexagonal camera, two gain channels, two
chunks of 500 sky-pedestal and 500 flat-field events (80 p.e., 2 p.e. NSB,
F^2 = 1.222, laser jitter B = 2 % recorded as LIGHT_SOURCE_JITTER, one dead and
one hot pixel), aggregated by ctapipe's PixelStatisticsCalculator exactly as
ctapipe-calculate-pixel-statistics does (see tests/camera/synthetic_camera.py).
"""

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from camera.synthetic_camera import (  # noqa: E402
    StatisticsSpec,
    make_subarray,
    make_truth,
    statistics_tables,
    write_statistics_file,
)

from calibpipe_tasks.io.dl1_files import hdf5_without_timestamps  # noqa: E402


def main():
    subarray = make_subarray(n_rings=4)
    truth = make_truth(subarray.tel[1].camera.geometry.n_pixels, seed=5, n_dead=1, n_hot=1)
    spec = StatisticsSpec(n_chunks=2, chunk_size=500, seed=5)
    tables = statistics_tables(subarray, {1: truth}, spec)
    tables[1]["flatfield_image"].meta["LIGHT_SOURCE_JITTER"] = truth.jitter
    out = HERE / "camera" / "pixel_statistics.h5"
    with hdf5_without_timestamps():
        write_statistics_file(out, subarray, {1: truth}, spec, tables=tables)
    print(f"wrote {out} (dead pixel {truth.dead.tolist()}, hot pixel {truth.hot.tolist()})")


if __name__ == "__main__":
    main()
