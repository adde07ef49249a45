"""Regenerate the small synthetic DL1 muon-ring runs in tests/data/muon/ (used by the CWL jobs).

    .venv/bin/python tests/data/generate_muon_dl1.py

Two runs of an LST-like (tel 1) and an MST-like (tel 2) telescope, 30 events
each; the true optical efficiency is 0.20 before 21:30 UTC and 0.16 after; the
night-sky background needs ``process-muons --pedestal 0.56``. The files are
written by ctapipe's DataWriter (see tests/synthetic_dl1.py); the
truth is written next to them as ECSV, and the muon files made from them by
``process-muons`` (inputs of the muon-throughput and muon-psf jobs) too.
"""

import sys
from pathlib import Path

from astropy.table import vstack

from calibpipe_tasks.cli import main as calibpipe_tasks
from calibpipe_tasks.io.dl1_files import hdf5_without_timestamps

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/: the generators
from synthetic_dl1 import RunSpec, write_synthetic_run  # noqa: E402

HERE = Path(__file__).resolve().parent / "muon"
RUNS = [
    RunSpec(
        obs_id=201,
        start="2026-01-15T21:00:00",
        duration_s=1800,
        n_events=30,
        seed=201,
        step_time="2026-01-15T21:30:00",
    ),
    RunSpec(
        obs_id=202,
        start="2026-01-15T21:30:00",
        duration_s=1800,
        n_events=30,
        seed=202,
        step_time="2026-01-15T21:30:00",
    ),
]


def main():
    HERE.mkdir(exist_ok=True)
    truths = []
    for spec in RUNS:
        path = HERE / f"run{spec.obs_id}.dl1.h5"
        with hdf5_without_timestamps():
            truths.append(write_synthetic_run(path, spec))
        print(f"wrote {path} ({path.stat().st_size} bytes)")
        argv = ["process-muons", "--input", str(path), "--output-dir", str(HERE)]
        argv += ["--output-name", f"run{spec.obs_id}.muon.h5", "--pedestal", "0.56"]
        argv += ["--provenance-log", "process-muons.provenance.json"]
        assert calibpipe_tasks(argv) == 0
        (HERE / "process-muons.provenance.json").unlink()
    vstack(truths).write(HERE / "truth.ecsv", overwrite=True)


if __name__ == "__main__":
    main()
