"""Regenerate the single-p.e. R1 sample of the calibration camera (camera-calibration SPE branch).

    .venv/bin/python tests/data/generate_spe_r1.py

R1 waveforms of 1000 faint flat-field events (``FLATFIELD``, mean 1 p.e. before QE)
of the same 61-pixel camera as ``calibration.r1.h5`` (tests/camera/synthetic_camera.py,
``sample_camera``), taken with the camera closed (no NSB) at a raised high voltage
(4 times the gains; F^2 = 1.222 and the electronic noise unchanged), gain selected to
the high gain, with a Gaussian single-p.e. response of relative width
sqrt(F^2 - 1); waveforms rounded to 0.25 ADC so that the file stays small
(``write_spe_r1`` in tests/camera/dl1_calibration_events.py). The truth is that of
``sample_camera()`` (gain x 4 for this run).
"""

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from camera.dl1_calibration_events import write_spe_r1  # noqa: E402
from camera.synthetic_camera import sample_camera  # noqa: E402

from calibpipe_tasks.io.dl1_files import hdf5_without_timestamps  # noqa: E402

N_EVENTS = 1000
GAIN_FACTOR = 4.0
START = "2025-01-15T21:30:00"


def main():
    subarray, truth = sample_camera()
    path = HERE / "camera" / "spe.r1.h5"
    with hdf5_without_timestamps():
        write_spe_r1(path, subarray, {1: truth}, N_EVENTS, START, seed=14, gain_factor=GAIN_FACTOR)
    print(f"wrote {path} ({path.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
