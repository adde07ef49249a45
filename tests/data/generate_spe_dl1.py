"""Regenerate the small single-p.e. DL1 sample in tests/data/camera/ (fit-spe job input).

    .venv/bin/python tests/data/generate_spe_dl1.py

One LST-like telescope with a 37-pixel hexagonal camera, 3000 faint flat-field
events (mu 0.6-1.2 p.e.), Gaussian single-p.e. response of gain 10 and relative
width 0.45 (F^2 = 1.20), pedestal 400 with 2.5 noise, per-pixel 5 % spreads
(tests/camera/spe_synthetic.py). Images at /dl1/event/telescope/images/tel_001
(ctapipe write_table, next to the subarray); the truth in spe_truth.ecsv.
"""

import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from camera.spe_synthetic import make_spe_truth, simulate_spe  # noqa: E402
from camera.synthetic_camera import make_subarray  # noqa: E402

N_EVENTS = 3000


def main():
    import tables
    from astropy.table import Table
    from ctapipe.io import write_table

    from calibpipe_tasks.io.dl1_files import hdf5_without_timestamps

    subarray = make_subarray(n_rings=3, tel_ids=(1,))
    n_pixels = subarray.tel[1].camera.geometry.n_pixels
    truth = make_spe_truth(n_pixels, seed=31)
    charges = simulate_spe(truth, N_EVENTS, seed=32)
    path = HERE / "camera" / "spe.dl1.h5"
    images = Table()
    images["obs_id"] = np.ones(N_EVENTS, dtype=np.int32)
    images["event_id"] = np.arange(1, N_EVENTS + 1, dtype=np.int64)
    images["tel_id"] = np.ones(N_EVENTS, dtype=np.int16)
    images["image"] = charges
    with hdf5_without_timestamps():
        with tables.open_file(str(path), mode="w") as h5:
            subarray.to_hdf(h5)
        write_table(images, path, "/dl1/event/telescope/images/tel_001", append=False)
    out = Table()
    out["pixel_id"] = np.arange(n_pixels)
    for name in ("pedestal", "pedestal_std", "gain", "spe_width", "mu", "f_squared"):
        out[name] = getattr(truth, name)
    out.write(HERE / "camera" / "spe_truth.ecsv", format="ascii.ecsv", overwrite=True)
    print(f"wrote {path} ({path.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
