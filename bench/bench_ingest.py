"""Benchmark of meteorological ingestion (ingest-meteo).

1. Start-up: wall time of ``calibpipe-tasks ingest-meteo --help`` (median of repeated runs;
   goal <= 0.3 s), beside a bare ``python -c pass``.
2. Throughput: a month (January 2024, 744 hourly times) of ERA5 pressure-level data on a
   3 x 3 grid at 0.25 degrees (37 levels, z/t/r), written from the model atmosphere of
   tests/data/meteo_model.py as GRIB edition 1, netCDF classic and netCDF new layout, then
   read for the North site with ``--grid-selection box`` (the 2 x 2 points around the site)
   over the whole month:
   * ``reader``: this package's reader + table building, in-process;
   * ``cli``: the whole ``calibpipe-tasks ingest-meteo`` command (start-up, checks, ECSV
     writing, provenance);
   * ``xarray``: the same selection read with xarray (engine netcdf4 or cfgrib) down to a
     long table (``to_dataframe``), in-process. xarray and cfgrib are installed into the
     running venv by this script if missing (``pip install xarray cfgrib``).
   Throughput in MB/s of input file size and in output rows/s of wall time, and rows per CPU
   second (user + sys of this process and its children: the figure that does not depend on the
   load of a shared machine); median of ``--repeat`` runs.

Usage: ``.venv/bin/python bench/bench_ingest.py [--repeat N] [--workdir DIR]``.
Prints a Markdown table for BENCHMARKS.md.
"""

import argparse
import importlib
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "data"))

import meteo_model  # noqa: E402

from calibpipe_tasks.sites import SITES  # noqa: E402

BIN = Path(sys.executable).parent
TIMES = np.arange(
    np.datetime64("2024-01-01T00:00:00"),
    np.datetime64("2024-02-01T00:00:00"),
    np.timedelta64(1, "h"),
)
LATS = np.array([29.0, 28.75, 28.5])
LONS = np.array([-18.0, -17.75, -17.5])
WINDOW = ("2024-01-01T00:00", "2024-01-31T23:00")


def cpu_seconds():
    """CPU time (user + sys) of this process and of its finished children [s]."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def median_time(func, repeat):
    """Median wall time, median CPU time (this process + children) and the last result."""
    times, cpu = [], []
    result = None
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), cpu_seconds()
        result = func()
        times.append(time.perf_counter() - t0)
        cpu.append(cpu_seconds() - c0)
    return statistics.median(times), statistics.median(cpu), result


def bench_startup(repeat):
    def run(cmd):
        return lambda: subprocess.run(cmd, check=True, capture_output=True)

    python, _, _ = median_time(run([sys.executable, "-c", "pass"]), repeat)
    package, _, _ = median_time(run([sys.executable, "-c", "import calibpipe_tasks"]), repeat)
    help_, _, _ = median_time(run([str(BIN / "calibpipe-tasks"), "ingest-meteo", "--help"]), repeat)
    return python, package, help_


def write_month(workdir, reuse=False):
    levels = meteo_model.ERA5_LEVELS[::-1]
    files = {
        "netCDF new": workdir / "era5_month_new.nc",
        "netCDF classic": workdir / "era5_month_classic.nc",
        "GRIB 1": workdir / "era5_month.grib",
    }
    if reuse and all(p.exists() for p in files.values()):
        return files
    t0 = time.perf_counter()
    fields = meteo_model.truth(TIMES, LATS, LONS, levels)
    meteo_model.write_grib(files["GRIB 1"], fields, TIMES, LATS, LONS, levels, "era5", edition=1)
    meteo_model.write_era5_netcdf_classic(
        files["netCDF classic"], fields, TIMES, LATS, LONS, levels
    )
    meteo_model.write_era5_netcdf_new(files["netCDF new"], fields, TIMES, LATS, LONS, levels)
    print(f"# generated a month of ERA5 in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    return files


def read_ours(path):
    from calibpipe_tasks.io.era5_netcdf import read_era5_netcdf
    from calibpipe_tasks.io.grib_meteo import read_grib_meteo
    from calibpipe_tasks.io.meteo_fields import detect_format
    from calibpipe_tasks.io.meteo_table import build_meteo_table

    site = SITES["North"]
    reader = read_grib_meteo if detect_format(path) == "grib" else read_era5_netcdf
    start, end = (np.datetime64(w, "s") for w in WINDOW)
    fields = reader(path, site.latitude_deg, site.longitude_deg, "box", start, end)
    return len(build_meteo_table(fields, {"site": "North"}))


def run_cli(path, outdir):
    cmd = [
        str(BIN / "calibpipe-tasks"),
        "ingest-meteo",
        "--meteo-files",
        str(path),
        "--site",
        "North",
        "--start",
        WINDOW[0],
        "--end",
        WINDOW[1],
        "--allow-daytime",
        "--grid-selection",
        "box",
        "--output-dir",
        str(outdir),
        "--log-level",
        "WARNING",
    ]
    subprocess.run(cmd, check=True)
    return sum(1 for line in open(outdir / "meteo.ecsv") if not line.startswith("#")) - 1


def ensure_xarray():
    try:
        importlib.import_module("xarray")
        importlib.import_module("cfgrib")
    except ImportError:
        print("# installing xarray and cfgrib into the venv", file=sys.stderr)
        subprocess.run(
            [sys.executable, "-m", "pip", "install", "-q", "xarray", "cfgrib"], check=True
        )
        importlib.invalidate_caches()
    import cfgrib
    import xarray

    return f"xarray {xarray.__version__}, cfgrib {cfgrib.__version__}"


def read_xarray(path):
    import xarray as xr

    if path.suffix == ".grib":
        ds = xr.open_dataset(path, engine="cfgrib", indexpath="")
        time_name, level_name = "time", "isobaricInhPa"
    else:
        ds = xr.open_dataset(path, engine="netcdf4")
        time_name = "valid_time" if "valid_time" in ds.coords else "time"
        level_name = "pressure_level" if "pressure_level" in ds.coords else "level"
    box = (
        ds[["z", "t", "r"]]
        .sel(
            latitude=[29.0, 28.75],
            longitude=[-18.0, -17.75],
            **{time_name: slice(np.datetime64(WINDOW[0]), np.datetime64(WINDOW[1]))},
        )
        .sortby(level_name, ascending=False)
    )
    table = box.load().to_dataframe()
    ds.close()
    return len(table)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="runs per netCDF measurement")
    parser.add_argument("--grib-repeat", type=int, default=1, help="runs per GRIB measurement")
    parser.add_argument("--startup-repeat", type=int, default=21)
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--reuse", action="store_true", help="reuse the month files in --workdir")
    parser.add_argument("--startup-only", action="store_true", help="only the start-up figures")
    args = parser.parse_args()

    python, package, help_ = bench_startup(args.startup_repeat)
    print(
        f"# start-up: python {python:.3f} s, package {package:.3f} s, --help {help_:.3f} s",
        file=sys.stderr,
    )
    if args.startup_only:
        return
    versions = ensure_xarray()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="bench_ingest_"))
    workdir.mkdir(parents=True, exist_ok=True)
    files = write_month(workdir, reuse=args.reuse)
    rows = []
    load_before = os.getloadavg()[0]
    for fmt, path in files.items():
        size_mb = os.path.getsize(path) / 1e6
        outdir = workdir / f"out_{path.stem}"
        outdir.mkdir(exist_ok=True)
        for method, func in (
            ("calibpipe-tasks reader", lambda p=path: read_ours(p)),
            ("calibpipe-tasks ingest-meteo CLI", lambda p=path, o=outdir: run_cli(p, o)),
            (
                "xarray" + (" + cfgrib" if fmt.startswith("GRIB") else " (netcdf4)"),
                lambda p=path: read_xarray(p),
            ),
        ):
            grib = fmt.startswith("GRIB")
            if not grib:
                func()  # warm-up (imports, page cache); GRIB: warm from the netCDF runs
            seconds, cpu, n = median_time(func, args.grib_repeat if grib else args.repeat)
            rows.append(
                (
                    fmt,
                    f"{size_mb:.2f}",
                    method,
                    f"{seconds:.3f}",
                    f"{cpu:.3f}",
                    f"{size_mb / seconds:.2f}",
                    f"{n / seconds:,.0f}",
                    f"{n / cpu:,.0f}",
                    n,
                )
            )
            print(f"# {fmt} {method}: {seconds:.3f} s wall, {cpu:.3f} s CPU", file=sys.stderr)

    print(
        f"Start-up (median of {args.startup_repeat} runs): `python -c pass` {python:.3f} s, "
        f"`python -c 'import calibpipe_tasks'` {package:.3f} s, "
        f"`calibpipe-tasks ingest-meteo --help` {help_:.3f} s (goal <= 0.3 s).\n"
    )
    print(
        f"Throughput (median of {args.repeat} runs after one warm-up for netCDF, "
        f"{args.grib_repeat} run(s) for GRIB; reference {versions}; load average "
        f"{load_before:.1f} before, {os.getloadavg()[0]:.1f} after, on {os.cpu_count()} cores):\n"
    )
    print(
        "| input | size [MB] | reader | wall [s] | CPU [s] | MB/s (wall) | rows/s (wall) "
        "| rows per CPU s | rows |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for row in rows:
        print("| " + " | ".join(str(c) for c in row) + " |")


if __name__ == "__main__":
    main()
