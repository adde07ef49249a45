"""ctao-calibpipe 0.8.0's ``calibpipe-star-tracking`` beside ours on the same synthetic files.

    .venv/bin/python bench/bench_pointing_anchor.py [--events 60] [--seeds 2]
        [--anchor-venv /tmp/calibpipe-0.8.0-venv]

Installs ctao-calibpipe 0.8.0 into its own venv (``--anchor-venv``, created with this
Python if missing; from the package index, ≈ 3 min), writes per case and seed a DL1 file of
sky-pedestal variance images with a known mis-pointing (tests/pointing/star_field.py, LST-like
camera, Gaussian PSF σ = 0.04°), and runs on it (a) ``calibpipe-star-tracking`` (one chunk of
all events; its ComaPSFModel set to a symmetric Laplacian core of scale 0.028°, i.e. the same
0.04° standard deviation, as the tool has no Gaussian model and no defaults for its
parameters) and (b) ``calibpipe-tasks track-stars`` + ``fit-pointing``. Prints for both the
fitted minus true correction [arcsec] and the CPU seconds (children's user+sys) per
star-event (events × catalogue stars tracked).

The anchor reports (dlat, dlon): a 2-D translation in the TelescopeFrame, compared here with
(δalt, δaz·cos alt) of the truth (sign as it reports; DESIGN.md §11).
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import venv
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "pointing"))
sys.path.insert(0, str(ROOT / "tests"))  # synthetic_dl1: the hand-built telescopes
PSF_CONFIG = """\
ComaPSFModel:
  asymmetry_max: 0.0
  asymmetry_decay_rate: 1.0
  asymmetry_linear_term: 0.0
  radial_scale_offset: 0.028
  radial_scale_linear: 0.0
  radial_scale_quadratic: 0.0
  radial_scale_cubic: 0.0
  polar_scale_amplitude: 0.0
  polar_scale_decay: 1.0
  polar_scale_offset: 0.028
"""
CASES = [((0.0, 0.0), 75.0), ((180.0, -108.0), 75.0)]


def child_cpu():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def ensure_anchor(path):
    exe = path / "bin" / "calibpipe-star-tracking"
    if not exe.exists():
        venv.create(path, with_pip=True)
        subprocess.run(
            [str(path / "bin" / "pip"), "install", "--quiet", "ctao-calibpipe==0.8.0"],
            check=True,
            timeout=1200,
        )
    return exe


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=60)
    parser.add_argument("--seeds", type=int, default=2)
    parser.add_argument("--anchor-venv", type=Path, default=Path("/tmp/calibpipe-0.8.0-venv"))
    args = parser.parse_args(argv)

    from astropy.table import Table
    from astropy.utils import iers

    iers.conf.auto_download = False
    iers.conf.auto_max_age = None
    warnings.simplefilter("ignore")
    from star_field import FieldSpec, write_star_field

    anchor = ensure_anchor(args.anchor_venv)
    ours = Path(sys.executable).parent / "calibpipe-tasks"
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}:{os.environ['PATH']}")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        (tmp / "psf.yaml").write_text(PSF_CONFIG)
        for offset, altitude in CASES:
            for seed in range(args.seeds):
                spec = FieldSpec(
                    n_events=args.events,
                    offsets={1: offset},
                    altitude=altitude,
                    azimuth=20.0 + 0.3 * seed,
                    seed=seed,
                )
                run = tmp / f"run_{offset[0]:.0f}_{seed}"
                run.mkdir()
                dl1 = run / "field.dl1.h5"
                write_star_field(dl1, spec)
                cos_alt = np.cos(np.deg2rad(altitude))
                truth = (offset[0], offset[1] * cos_alt)
                row = {"truth_alt": truth[0], "truth_az_sky": truth[1], "seed": seed}

                t0 = child_cpu()
                a = subprocess.run(
                    [str(anchor), "-c", str(tmp / "psf.yaml"), "-i", str(dl1)]
                    + [f"--HDF5MonitoringSource.input_files={dl1}"]
                    + ["-o", str(run / "anchor.h5"), "--overwrite"],
                    cwd=run,
                    capture_output=True,
                    text=True,
                )
                row["anchor_cpu_s"] = round(child_cpu() - t0, 2)
                if a.returncode == 0:
                    from ctapipe.io import read_table

                    t = read_table(
                        run / "anchor.h5",
                        "/dl1/monitoring/telescope/pointing/star_tracking/tel_001",
                    )
                    row["anchor_dlat"] = float(t["dlat"].quantity.to_value("arcsec")[0])
                    row["anchor_dlon"] = float(t["dlon"].quantity.to_value("arcsec")[0])
                    row["anchor_stars"] = int(t["stars_in_fit"][0])
                else:
                    row["anchor_error"] = (a.stderr.strip().splitlines() or ["?"])[-1]

                t0 = child_cpu()
                for argv_ in (
                    ["track-stars", "--input", str(dl1), "--output-dir", str(run)],
                    ["fit-pointing", "--input", str(run / "star_positions.h5")]
                    + ["--output-dir", str(run)],
                ):
                    subprocess.run([str(ours), *argv_], check=True, env=env, capture_output=True)
                row["ours_cpu_s"] = round(child_cpu() - t0, 2)
                fit = Table.read(run / "pointing_corrections.ecsv")
                stars = Table.read(run / "star_chunks.ecsv")
                row["ours_delta_alt_minus_truth"] = round(float(fit["delta_alt"][0]) - truth[0], 1)
                row["ours_delta_az_sky_minus_truth"] = round(
                    float(fit["delta_az_sky"][0]) - truth[1], 1
                )
                row["ours_errors"] = [
                    round(float(fit["delta_alt_error"][0]), 1),
                    round(float(fit["delta_az_sky_error"][0]), 1),
                ]
                row["star_events"] = int(stars["n_expected_stars"][0]) * args.events
                print(json.dumps(row), flush=True)
                rows.append(row)
    print(json.dumps(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
