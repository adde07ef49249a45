"""Benchmark of fit-spe's batched single-p.e. fit (the "Camera calibration" SPE figures).

    .venv/bin/python bench/bench_spe.py [--pixels 1855] [--channels 2] [--events 10000]

A whole LST-sized camera (1855 pixels x 2 channels by default) of synthetic
single-p.e. spectra (tests/camera/spe_synthetic.py: Poisson mu 0.6-1.2, Gaussian
single-p.e. response, gain 10, F^2 ~ 1.20, pedestal noise 2.5), one channel at a
time: histogramming (numpy, 200 bins) and the batched fit, CPU time of this
process (``time.process_time``, so the machine's load does not inflate it) and
wall time, peak RSS; the precision reached (median relative error of gain and
F^2, pull widths). The anchor, ctao-calibpipe 0.8.0's SPE fit, takes 73 s per
pixel-channel (DESIGN.md §10). Prints a Markdown table and a JSON line.
"""

import argparse
import json
import resource
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

ANCHOR_S_PER_PIXEL_CHANNEL = 73.0


def main(argv=None):
    from camera.spe_synthetic import make_spe_truth, simulate_spe

    from calibpipe_tasks.camera.spe import charge_histograms, fit_spe

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pixels", type=int, default=1855)
    parser.add_argument("--channels", type=int, default=2)
    parser.add_argument("--events", type=int, default=10_000)
    args = parser.parse_args(argv)
    rows = []
    for channel in range(args.channels):
        truth = make_spe_truth(args.pixels, seed=100 + channel)
        charges = simulate_spe(truth, args.events, seed=200 + channel)
        edges = np.linspace(*np.percentile(charges, [0.02, 99.98]), 201)
        cpu0, wall0 = time.process_time(), time.perf_counter()
        counts, n_events = charge_histograms(charges, edges)
        cpu1, wall1 = time.process_time(), time.perf_counter()
        result = fit_spe(counts, edges, n_events)
        cpu2, wall2 = time.process_time(), time.perf_counter()
        pulls = {
            name: float(np.std((result[name] - getattr(truth, name)) / result[f"{name}_err"]))
            for name in ("gain", "f_squared", "mu")
        }
        rows.append(
            dict(
                channel=channel,
                hist_cpu_s=cpu1 - cpu0,
                fit_cpu_s=cpu2 - cpu1,
                fit_wall_s=wall2 - wall1 + wall1 - wall0,
                converged=float(np.mean(result["converged"])),
                gain_rel_err=float(np.median(result["gain_err"] / truth.gain)),
                f2_rel_err=float(np.median(result["f_squared_err"] / truth.f_squared)),
                pull_std=pulls,
            )
        )
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    cpu = sum(r["hist_cpu_s"] + r["fit_cpu_s"] for r in rows)
    per = cpu / (args.pixels * args.channels)
    print(
        f"| quantity | value ({args.pixels} pixels x {args.channels} channels, "
        f"{args.events} events) |"
    )
    print("|---|---|")
    print(f"| histogramming, CPU | {sum(r['hist_cpu_s'] for r in rows):.1f} s |")
    print(f"| batched fit, CPU | {sum(r['fit_cpu_s'] for r in rows):.1f} s |")
    print(f"| wall (histogram + fit) | {sum(r['fit_wall_s'] for r in rows):.1f} s |")
    print(f"| CPU per pixel-channel | {per * 1e3:.1f} ms (anchor 73 s: x{73 / per:.0f}) |")
    print(f"| converged | {min(r['converged'] for r in rows):.4f} |")
    print(
        f"| median rel. error gain / F^2 | {rows[0]['gain_rel_err']:.4f} / "
        f"{rows[0]['f2_rel_err']:.4f} |"
    )
    print(f"| pull widths gain, F^2, mu | {rows[0]['pull_std']} |")
    print(f"| peak RSS | {peak_mb:.0f} MB |")
    print(
        json.dumps(
            dict(args=vars(args), rows=rows, cpu_per_pixel_channel_s=per, peak_rss_mb=peak_mb)
        )
    )


if __name__ == "__main__":
    main()
