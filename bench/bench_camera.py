"""Benchmark of the camera calibration coefficients (the "Camera calibration" figures).

    .venv/bin/python bench/bench_camera.py [--rings 24] [--events 2500] [--chunks 2]

On an LST-like hand-built camera (``1 + 3 n (n + 1)`` pixels, 1801 for 24 rings,
two gain channels), with the synthetic truth of tests/camera/synthetic_camera.py:

(a) ctapipe's sigma-clipping aggregation (``PixelStatisticsCalculator``, the reference
    point: what ``ctapipe-calculate-pixel-statistics`` spends its time on), events/s;
(b) ``compute_coefficients`` (the pure F-factor part) and the whole
    ``compute-camera-coefficients`` step (read, check, compute, write) on the merged file,
    wall time and peak resident memory of the step;
(c) precision vs N: median relative per-pixel factor uncertainty, and the rms of
    (factor - truth) / truth over good pixels, against the expected
    ``sqrt(F^2/mu + B^2) / sqrt(N)`` (DESIGN.md §10; plus the camera-median term).

Not yet: the side-by-side run of ctao-calibpipe 0.8.0's calibrator on the same file.
Prints a Markdown table and a JSON line; numbers depend on the machine's load.
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

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
BIN = Path(sys.executable).parent


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rings", type=int, default=24)
    parser.add_argument("--events", type=int, default=2500, help="events per chunk")
    parser.add_argument("--chunks", type=int, default=2)
    args = parser.parse_args(argv)

    from camera.synthetic_camera import (
        StatisticsSpec,
        make_subarray,
        make_truth,
        statistics_tables,
        write_statistics_file,
    )

    from calibpipe_tasks.camera.coefficients import compute_coefficients

    subarray = make_subarray(args.rings)
    n_pixels = subarray.tel[1].camera.geometry.n_pixels
    truth = make_truth(n_pixels, seed=1)
    spec = StatisticsSpec(n_chunks=args.chunks, chunk_size=args.events)
    n_events = 3 * args.chunks * args.events  # pedestal image, flat-field image and peak time
    t0 = time.perf_counter()
    tables = statistics_tables(subarray, {1: truth}, spec)
    t_stats = time.perf_counter() - t0  # includes the simulation of the events

    work = Path(tempfile.mkdtemp(prefix="calibpipe-bench-camera-"))
    path = work / "pixel_statistics.h5"
    write_statistics_file(path, subarray, {1: truth}, spec, tables=tables)

    def arrays(table):
        return {k: np.array(table[k]) for k in ("mean", "std", "n_events", "outlier_mask")}

    ped, ff, pt = (
        arrays(tables[1][n])
        for n in ("sky_pedestal_image", "flatfield_image", "flatfield_peak_time")
    )
    t0 = time.perf_counter()
    repeat = 20
    for _ in range(repeat):
        result = compute_coefficients(ped, ff, pt, 8, truth.f_squared, truth.jitter)
    t_pure = (time.perf_counter() - t0) / repeat

    out = work / "out"
    out.mkdir()
    t0 = time.perf_counter()
    # GNU time reports the step's own peak RSS (getrusage of children would count the pages
    # of this large parent process at fork)
    cmd = ["/usr/bin/time", "-f", "MAXRSS_KB %M"]
    cmd += [str(BIN / "calibpipe-tasks"), "compute-camera-coefficients", "--input", str(path)]
    cmd += ["--jitter", str(truth.jitter), "--log-level", "WARNING"]
    proc = subprocess.run(cmd, cwd=out, capture_output=True, text=True)
    t_step = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(proc.stderr)
    rss = [line for line in proc.stderr.splitlines() if line.startswith("MAXRSS_KB")]
    peak_mb = int(rss[-1].split()[1]) / 1024

    # (c) precision vs N (pure code on ctapipe-aggregated statistics, one chunk each)
    precision = []
    good = np.ones(n_pixels, bool)
    good[truth.dead] = good[truth.hot] = False
    for n in (250, 1000, 2500):
        spec_n = StatisticsSpec(n_chunks=1, chunk_size=n, seed=3)
        t = statistics_tables(subarray, {1: truth}, spec_n)[1]
        r = compute_coefficients(
            arrays(t["sky_pedestal_image"]),
            arrays(t["flatfield_image"]),
            arrays(t["flatfield_peak_time"]),
            8,
            truth.f_squared,
            truth.jitter,
        )
        true = truth.true_factor(good)[0]
        rel = (r["factor"][0, 0, good] / true[good]) - 1
        precision.append(
            {
                "n_events": n,
                "median_rel_err": float(
                    np.median(r["factor_err"][0, 0, good] / r["factor"][0, 0, good])
                ),
                "rms_rel_dev": float(np.std(rel)),
                "expected_per_pixel": float(
                    np.sqrt(truth.f_squared / truth.mu + truth.jitter**2) / np.sqrt(n)
                ),
            }
        )

    figures = {
        "pixels": n_pixels,
        "channels": 2,
        "events_per_chunk": args.events,
        "chunks": args.chunks,
        "ctapipe_simulation_plus_aggregation_events_per_s": n_events / t_stats,
        "compute_coefficients_s_per_chunk": t_pure / args.chunks,
        "step_wall_s": t_step,
        "step_peak_rss_mb": peak_mb,
        "input_mb": path.stat().st_size / 1e6,
        "output_mb": (out / "camera_coefficients.h5").stat().st_size / 1e6,
        "precision": precision,
        "load_average": os.getloadavg(),
        "flagged": int(np.count_nonzero(result["outlier_mask"][0, 0])),
    }
    print("| quantity | value |\n|---|---|")
    for key, value in figures.items():
        if key != "precision":
            print(f"| {key} | {value if not isinstance(value, float) else f'{value:.4g}'} |")
    print("\n| N | median rel. err of factor | rms (factor/truth - 1) | sqrt(F2/mu+B2)/sqrt(N) |")
    print("|---|---|---|---|")
    for p in precision:
        print(
            f"| {p['n_events']} | {p['median_rel_err']:.4f} | {p['rms_rel_dev']:.4f} | "
            f"{p['expected_per_pixel']:.4f} |"
        )
    print(json.dumps(figures))
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
