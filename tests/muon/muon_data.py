"""Synthetic DL1 runs of known efficiency for the muon tests, fitted once and cached.

Two runs (obs_id 101 from 21:00 and 102 from 21:45 UTC, 45 minutes each) with
an LST-like and an MST-like telescope; the true optical efficiency is 0.20
until 21:30 UTC and 0.16 after; the ring width is a known straight line in the radius. Both runs
go through ``process-muons`` once: the result is cached in the temporary
directory under a key made of the generating code, shared by the pytest-xdist
workers through a file lock (the first ctapipe muon import also compiles numba
code once).
"""

import fcntl
import functools
import hashlib
import tempfile
from dataclasses import dataclass
from pathlib import Path

import calibpipe_tasks

START = "2026-01-15T21:00:00"
STEP = "2026-01-15T21:30:00"
EFFICIENCY = {1: (0.20, 0.16), 2: (0.20, 0.16)}
EVENTS_PER_RUN = 240
#: noise rms of the synthetic night-sky background (RunSpec.nsb_pe = 0.25, spe width 0.5)
PEDESTAL = 0.56


@dataclass
class ClosureData:
    dl1: list
    muon: list
    truth: object
    directory: Path


def _specs():
    from synthetic_dl1 import RunSpec

    return [
        RunSpec(
            obs_id=101,
            start=START,
            duration_s=2700.0,
            n_events=EVENTS_PER_RUN,
            seed=11,
            efficiency=EFFICIENCY,
            step_time=STEP,
            tel_fraction=0.8,
        ),
        RunSpec(
            obs_id=102,
            start="2026-01-15T21:45:00",
            duration_s=2700.0,
            n_events=EVENTS_PER_RUN,
            seed=12,
            efficiency=EFFICIENCY,
            step_time=STEP,
            tel_fraction=0.8,
        ),
    ]


def _cache_dir():
    src = Path(calibpipe_tasks.__file__).parent
    digest = hashlib.sha256()
    digest.update((Path(__file__).resolve().parents[1] / "synthetic_dl1.py").read_bytes())
    for rel in (
        "muon/processing.py",
        "muon/intensity_fit.py",
        "steps/process_muons.py",
    ):
        digest.update((src / rel).read_bytes())
    digest.update(repr(_specs()).encode())
    return Path(tempfile.gettempdir()) / f"calibpipe-tasks-muon-{digest.hexdigest()[:16]}"


@functools.cache
def closure_data():
    """DL1 image runs, their muon files (process-muons) and the truth table."""
    from astropy.table import Table, vstack
    from synthetic_dl1 import write_synthetic_run

    from calibpipe_tasks.cli import main

    directory = _cache_dir()
    directory.mkdir(exist_ok=True)
    specs = _specs()
    dl1 = [directory / f"run{spec.obs_id}.dl1.h5" for spec in specs]
    muon = [directory / f"run{spec.obs_id}.muon.h5" for spec in specs]
    truth_path = directory / "truth.ecsv"
    with open(directory / "lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (directory / "complete").exists():
            truths = []
            for spec, path, out in zip(specs, dl1, muon, strict=True):
                truths.append(write_synthetic_run(path, spec))
                argv = ["process-muons", "--input", str(path), "--output-dir", str(directory)]
                argv += ["--output-name", out.name, "--pedestal", str(PEDESTAL)]
                argv += ["--provenance-log", f"run{spec.obs_id}.provenance.json"]
                assert main(argv) == 0
            vstack(truths).write(truth_path, overwrite=True)
            (directory / "complete").touch()
    return ClosureData(dl1=dl1, muon=muon, truth=Table.read(truth_path), directory=directory)
