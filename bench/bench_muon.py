"""Benchmark of the muon calibration steps (writes the "Muon calibration" section data).

    .venv/bin/python bench/bench_muon.py [--rows 1000000] [--events 150] [--skip-calibpipe]
                                         [--only-process]

(a) ``muon-throughput`` on a generated muon table of >= 1,000,000 rows: the
    aggregation alone (join done, cuts applied: rows/s of
    ``throughput_per_chunk``), and the whole step (read, join, cuts, aggregate,
    write), beside ctao-calibpipe 0.8.0's ``calibpipe-calculate-throughput-muon``
    on a copy of the same file (that tool writes into its input). calibpipe is
    installed into its own Python 3.12 venv (``/tmp/calibpipe080-venv``); both
    chunk by 50,000 rings (``--chunk-rings 50000``; ``SizeChunking.chunk_size``).
    With 1000-ring chunks calibpipe 0.8.0 was killed for lack of memory here
    (23 GB resident): every output row stores the whole ``obs_id`` column.
(b) ``process-muons`` (1 and 2 workers) against plain ``ctapipe-process
    --write-muon-parameters`` on the same synthetic DL1 image file: rings whose
    intensity fit ran, per second of wall time.

Prints a Markdown table and a JSON line; the numbers depend on the machine's
load (printed with them).
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

CALIBPIPE_VENV = Path(tempfile.gettempdir()) / "calibpipe080-venv"
WORK = Path(tempfile.gettempdir()) / "calibpipe-tasks-bench-muon"
BIN = Path(sys.executable).parent
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))  # the synthetic-data generators


def _python312():
    for candidate in ("python3.12",):
        path = shutil.which(candidate)
        if path and subprocess.run([path, "-V"], capture_output=True).returncode == 0:
            return path
    root = subprocess.run(["pyenv", "root"], capture_output=True, text=True).stdout.strip()
    path = Path(root) / "versions" / "3.12.1" / "bin" / "python3.12"
    if path.exists():
        return str(path)
    raise SystemExit("no Python 3.12 found for the ctao-calibpipe venv")


def ensure_calibpipe():
    """ctao-calibpipe 0.8.0 in its own venv; returns its tool path."""
    tool = CALIBPIPE_VENV / "bin" / "calibpipe-calculate-throughput-muon"
    if not tool.exists():
        subprocess.run([_python312(), "-m", "venv", str(CALIBPIPE_VENV)], check=True)
        pip = [str(CALIBPIPE_VENV / "bin" / "python"), "-m", "pip", "install", "--quiet"]
        subprocess.run([*pip, "ctao-calibpipe==0.8.0"], check=True)
    return tool


def timed(cmd, **kwargs):
    # in WORK: ctapipe tools (ctapipe-process, ctao-calibpipe's) write <Tool>.provenance.log there
    kwargs.setdefault("cwd", WORK)
    start = time.perf_counter()
    result = subprocess.run(cmd, capture_output=True, text=True, **kwargs)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        raise RuntimeError(f"{cmd[0]} failed:\n{result.stderr[-3000:]}")
    return elapsed, result


def make_muon_table(rows):
    from synthetic_dl1 import RunSpec, write_synthetic_muon_file

    from calibpipe_tasks.io.dl1_files import hdf5_without_timestamps

    path = WORK / f"muon_{rows}.h5"
    if not path.exists():
        spec = RunSpec(
            obs_id=1,
            start="2026-01-15T21:00:00",
            duration_s=8 * 3600,
            n_events=0,
            seed=1,
            step_time="2026-01-16T01:00:00",
        )
        tmp = path.with_suffix(".part")
        with hdf5_without_timestamps():
            write_synthetic_muon_file(tmp, rows // 2, spec)
        tmp.rename(path)
    return path


def bench_aggregation(path, chunk_rings=1000):
    from calibpipe_tasks.io.muon_tables import read_muon_rings
    from calibpipe_tasks.muon.selection import (
        DEFAULT_CUTS,
        DEFAULT_TYPE_CUTS,
        parse_type_cuts,
        selection_mask,
    )
    from calibpipe_tasks.muon.throughput import throughput_per_chunk

    rings = read_muon_rings([path])
    mask, _ = selection_mask(rings, DEFAULT_CUTS, parse_type_cuts(DEFAULT_TYPE_CUTS))
    c = rings.columns
    args = (
        c["tel_id"][mask],
        c["time_mjd"][mask],
        c["muonefficiency_optical_efficiency"][mask],
        c["obs_id"][mask],
    )
    best = {}
    for name, kwargs in (
        ("rings", dict(chunk_rings=chunk_rings)),
        ("time", dict(chunk_duration_s=600.0)),
    ):
        times = []
        for _ in range(3):
            start = time.perf_counter()
            throughput_per_chunk(*args, all_tel_ids=rings.subarray.tel_ids, **kwargs)
            times.append(time.perf_counter() - start)
        best[name] = min(times)
    return len(rings), int(mask.sum()), best


def bench_throughput_steps(path, skip_calibpipe, chunk_rings=50_000):
    out = WORK / "ours"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir()
    cmd = [str(BIN / "calibpipe-tasks"), "muon-throughput", "--input", str(path)]
    cmd += ["--chunk-rings", str(chunk_rings), "--output-dir", str(out)]
    ours, _ = timed(cmd)
    theirs = None
    theirs_rows = None
    if not skip_calibpipe:
        tool = ensure_calibpipe()
        copy = WORK / "calibpipe_input.h5"
        shutil.copy(path, copy)
        config = WORK / "calibpipe.json"
        config.write_text(
            json.dumps(
                {"SizeChunking": {"chunk_size": chunk_rings, "last_chunk_policy": "truncate"}}
            )
        )
        theirs, _ = timed([str(tool), "--input", str(copy), "--config", str(config)], timeout=1800)
        import tables

        with tables.open_file(copy) as h5:
            group = "/dl1/monitoring/telescope/calibration/optical_throughput/muon"
            theirs_rows = {
                node._v_name: int(np.sum(node.col("n_events")))
                for node in h5.get_node(group)._f_iter_nodes("Table")
            }
        copy.unlink()
    return ours, theirs, theirs_rows


def bench_process(events, workers_list=(1, 2)):
    from synthetic_dl1 import RunSpec, write_synthetic_run

    from calibpipe_tasks.io.dl1_files import hdf5_without_timestamps

    dl1 = WORK / f"images_{events}.dl1.h5"
    if not dl1.exists():
        spec = RunSpec(obs_id=3, start="2026-01-15T21:00:00", duration_s=1800, n_events=events)
        with hdf5_without_timestamps():
            write_synthetic_run(dl1, spec)
    results = {}
    for workers in workers_list:
        out = WORK / f"process_w{workers}"
        shutil.rmtree(out, ignore_errors=True)
        out.mkdir()
        cmd = [str(BIN / "calibpipe-tasks"), "process-muons", "--input", str(dl1)]
        cmd += ["--pedestal", "0.56", "--workers", str(workers), "--output-dir", str(out)]
        elapsed, _ = timed(cmd)
        results[f"process-muons --workers {workers}"] = (elapsed, out / "muons.dl1.h5")
    out = WORK / "ctapipe_process.h5"
    cmd = [str(BIN / "ctapipe-process"), "--input", str(dl1), "--output", str(out)]
    cmd += ["--write-muon-parameters", "--overwrite", "--MuonProcessor.pedestal=0.56"]
    elapsed, _ = timed(cmd)
    results["ctapipe-process --write-muon-parameters"] = (elapsed, out)
    rows = {}
    for name, (elapsed, path) in results.items():
        rows[name] = (elapsed, _fitted_rings(path))
    return rows


def _fitted_rings(path):
    import tables

    n = 0
    with tables.open_file(path) as h5:
        for node in h5.get_node("/dl1/event/telescope/muon")._f_iter_nodes("Table"):
            n += int(np.isfinite(node.col("muonefficiency_optical_efficiency")).sum())
    return n


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--events", type=int, default=150)
    parser.add_argument("--skip-calibpipe", action="store_true")
    parser.add_argument("--skip-process", action="store_true")
    parser.add_argument("--only-process", action="store_true", help="only part (b)")
    args = parser.parse_args()
    WORK.mkdir(exist_ok=True)
    load = os.getloadavg()[0]
    report = {"load_average_1min": load, "cpus": os.cpu_count()}

    agg, theirs = {}, None
    if not args.only_process:
        path = make_muon_table(args.rows)
        n_rows, n_selected, agg = bench_aggregation(path)
        report["rows"] = n_rows
        report["rows_selected"] = n_selected
        report["aggregation_s"] = agg
        ours, theirs, theirs_rows = bench_throughput_steps(path, args.skip_calibpipe)
        report["muon_throughput_step_s"] = ours
        report["calibpipe_0.8.0_s"] = theirs
        report["calibpipe_0.8.0_rows_aggregated"] = theirs_rows
    if not args.skip_process:
        report["process"] = {
            k: {"wall_s": v[0], "rings_fitted": v[1]} for k, v in bench_process(args.events).items()
        }

    print(f"machine: {os.cpu_count()} cpus, load average {load:.1f} at start\n")
    print("| measurement | value |")
    print("|---|---|")
    for name, seconds in agg.items():
        print(
            f"| aggregation only, chunks by {name}, {n_selected:,} selected rows | "
            f"{seconds:.3f} s = {n_selected / seconds:,.0f} rows/s |"
        )
    if not args.only_process:
        print(
            f"| `muon-throughput` whole step, {n_rows:,} rows | {ours:.1f} s "
            f"= {n_rows / ours:,.0f} rows/s |"
        )
    if theirs is not None:
        print(
            f"| `calibpipe-calculate-throughput-muon` 0.8.0, same file | {theirs:.1f} s "
            f"= {n_rows / theirs:,.0f} rows/s (rows aggregated: {theirs_rows}) |"
        )
        print(f"| ratio whole step (calibpipe / ours) | {theirs / ours:.1f} |")
    for name, values in report.get("process", {}).items():
        rate = values["rings_fitted"] / values["wall_s"]
        print(
            f"| {name}: {values['rings_fitted']} rings fitted | {values['wall_s']:.1f} s "
            f"= {rate:.1f} rings/s |"
        )
    print()
    print(json.dumps(report))


if __name__ == "__main__":
    main()
