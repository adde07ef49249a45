"""Peak memory of the steps whose need grows with their input (for the tools' ResourceRequirement).

The CWL tools declare ``ramMin`` as a base plus a slope times the input size where the need
grows with it (cwl/tools/*.cwl); this script measures the peak resident memory of the whole
process tree (sampled every 20 ms with psutil) of:

* ``process-muons`` on synthetic DL1 runs of 50, 200 and 400 events (``--workers 1`` and 2);
* ``ingest-meteo`` on the bundled night (two ERA5 netCDF files) and on a month of hourly ERA5
  (3 x 3 box, 37 levels) as GRIB 1 and netCDF (bench_ingest.py's files).

Usage: ``.venv/bin/python bench/bench_resources.py [--workdir DIR]``. Prints a Markdown table
(input size [MiB], peak [MiB]) for BENCHMARKS.md.
"""

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT / "tests"))  # the synthetic-data generators


def peak_mib(cmd, cwd):
    """Run ``cmd``; the peak summed RSS of its process tree [MiB] and the wall time [s]."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    root, peak = psutil.Process(proc.pid), 0
    while proc.poll() is None:
        try:
            tree = [root, *root.children(recursive=True)]
            peak = max(peak, sum(p.memory_info().rss for p in tree))
        except psutil.NoSuchProcess:
            pass
        time.sleep(0.02)
    if proc.returncode != 0:
        raise RuntimeError(f"{cmd[1]} failed: {proc.stderr.read().decode()[-2000:]}")
    return peak / 2**20, time.perf_counter() - t0


def muon_rows(work):
    from synthetic_dl1 import RunSpec, write_synthetic_run

    from calibpipe_tasks.io.dl1_files import hdf5_without_timestamps

    rows = []
    for events in (50, 200, 400):
        dl1 = work / f"images_{events}.dl1.h5"
        if not dl1.exists():
            spec = RunSpec(obs_id=3, start="2026-01-15T21:00:00", duration_s=1800, n_events=events)
            with hdf5_without_timestamps():
                write_synthetic_run(dl1, spec)
        for workers in (1, 2):
            out = work / f"muons_{events}_{workers}"
            out.mkdir(exist_ok=True)
            cmd = [str(BIN / "calibpipe-tasks"), "process-muons", "--input", str(dl1)]
            cmd += ["--pedestal", "0.56", "--workers", str(workers), "--output-dir", str(out)]
            peak, wall = peak_mib(cmd, out)
            size = dl1.stat().st_size / 2**20
            rows.append((f"process-muons {events} events --workers {workers}", size, peak, wall))
    return rows


def meteo_rows(work):
    import bench_ingest

    inputs = {
        "bundled night (2 netCDF)": [
            ROOT / "tests/data/era5_north_20240115_classic.nc",
            ROOT / "tests/data/era5_north_20240116_classic.nc",
        ],
    }
    month = bench_ingest.write_month(work, reuse=True)
    inputs["month GRIB 1"] = [month["GRIB 1"]]
    inputs["month netCDF classic"] = [month["netCDF classic"]]
    rows = []
    for name, files in inputs.items():
        out = work / f"meteo_{name.split()[1]}_{len(rows)}"
        out.mkdir(exist_ok=True)
        cmd = [str(BIN / "calibpipe-tasks"), "ingest-meteo", "--meteo-files", *map(str, files)]
        cmd += ["--site", "North", "--allow-daytime", "--grid-selection", "box"]
        cmd += ["--start", "2024-01-01T00:00", "--end", "2024-01-31T23:00"]
        cmd += ["--output-dir", str(out), "--log-level", "WARNING"]
        peak, wall = peak_mib(cmd, out)
        size = sum(f.stat().st_size for f in files) / 2**20
        rows.append((f"ingest-meteo {name}", size, peak, wall))
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default = Path(tempfile.gettempdir()) / "calibpipe-tasks-bench-resources"
    parser.add_argument("--workdir", type=Path, default=default)
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    rows = meteo_rows(args.workdir) + muon_rows(args.workdir)
    print("| step and input | input [MiB] | peak RSS of the tree [MiB] | wall [s] |")
    print("|---|---:|---:|---:|")
    for name, size, peak, wall in rows:
        print(f"| {name} | {size:.2f} | {peak:.0f} | {wall:.1f} |")


if __name__ == "__main__":
    main()
