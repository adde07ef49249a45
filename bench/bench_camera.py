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

With ``--anchor`` (default on; ``--no-anchor``):

(d) ``compute-camera-coefficients`` side by side with ctao-calibpipe 0.8.0's
    ``calibpipe-calculate-camcalib-coefficients`` on the **same** merged statistics file
    (the anchor writes into its input: it gets a byte copy), in one run: CPU time
    (user + sys), wall time, peak RSS (GNU time), and the accuracy of both against the
    known truth (factor, pedestal offset, time shift; good pixels, every chunk and
    channel; the dead pixel's factor). The anchor runs twice: as configured by default
    (no B term) and with the light source's B = 2 % (its ``systematic_correction_path``
    file), both with ``window_width`` 8 and F^2 = 1.222. Its venv is made under /tmp
    (``--anchor-venv``; python3.12 from pyenv or PATH, ``pip install ctao-calibpipe==0.8.0``).

``--memory N [N ...]`` (events per event type, e.g. 10000 40000 120000):

(e) peak RSS and CPU time of the statistics stage (``ctapipe-calculate-pixel-statistics``
    on a DL1 file of N sky-pedestal images, 2500 events per chunk) and of the coefficients
    stage (``compute-camera-coefficients``, and the anchor, on a merged file of N / 2500
    chunks) against N. The statistics stage holds the whole image table in memory (~125 kB
    per event of 1801 pixels): above ``--statistics-max`` (default 40000) only the coefficient
    stages run.

``--extraction N`` (events, default 0: skipped):

(f) ctapipe's FixedWindowSum on R1 waveforms of the generator
    (tests/camera/dl1_calibration_events.py): the extractor alone in-process (events/s)
    and the whole ``ctapipe-process`` run with the event-type filter, as the CWL tool runs
    it (read R1, extract, write DL1), CPU time and events/s.

Prints Markdown tables and a JSON line; wall times depend on the machine's load, CPU
times much less.
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
ANCHOR_VENV = Path("/tmp/calibpipe-tasks-bench-anchor-0.8.0")
ANCHOR_TOOL = "calibpipe-calculate-camcalib-coefficients"
COEFFICIENTS = "/dl1/monitoring/telescope/calibration/camera/coefficients/tel_001"
STATS = "/dl1/monitoring/telescope/calibration/camera/pixel_statistics"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rings", type=int, default=24)
    parser.add_argument("--events", type=int, default=2500, help="events per chunk")
    parser.add_argument("--chunks", type=int, default=2)
    parser.add_argument(
        "--anchor", action=argparse.BooleanOptionalAction, default=True, help="run (d)"
    )
    parser.add_argument("--anchor-venv", type=Path, default=ANCHOR_VENV)
    parser.add_argument("--memory", type=int, nargs="*", default=[], metavar="N")
    parser.add_argument("--extraction", type=int, default=0, metavar="N")
    parser.add_argument(
        "--statistics-max",
        type=int,
        default=40000,
        metavar="N",
        help="(e): run the statistics stage up to N events only (its peak RSS grows by ~125 kB "
        "per event of 1801 pixels: 120k events would need ~15 GB); larger N: coefficients only",
    )
    parser.add_argument(
        "--skip-stages", action="store_true", help="leave out (a)-(c) (run only d-f)"
    )
    parser.add_argument("--skip-side-by-side", action="store_true", help="leave out (d)")
    args = parser.parse_args(argv)
    print(f"date {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, load {os.getloadavg()}")
    figures = {}
    if not args.skip_stages:
        figures["stages"] = stages(args)
    if args.anchor and not args.skip_side_by_side:
        figures["anchor"] = side_by_side(args)
    if args.memory:
        figures["memory"] = memory_scaling(args)
    if args.extraction:
        figures["extraction"] = extraction(args)
    figures["load_average_end"] = os.getloadavg()
    print(json.dumps(figures))
    return 0


def stages(args):
    """(a)-(c): aggregation, the step, precision vs N."""

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
    shutil.rmtree(work, ignore_errors=True)
    return figures


def timed(cmd, cwd, env=None):
    """Run ``cmd`` under GNU time: wall [s], CPU (user + sys) [s], peak RSS [MB], rc, stderr."""
    full = ["/usr/bin/time", "-f", "TIMED %e %U %S %M", *map(str, cmd)]
    proc = subprocess.run(full, cwd=cwd, capture_output=True, text=True, env=env)
    line = [x for x in proc.stderr.splitlines() if x.startswith("TIMED ")][-1].split()
    wall, user, system, rss_kb = float(line[1]), float(line[2]), float(line[3]), int(line[4])
    return {
        "wall_s": wall,
        "cpu_s": user + system,
        "peak_rss_mb": rss_kb / 1024,
        "returncode": proc.returncode,
        "stderr": proc.stderr,
    }


def ensure_anchor(venv):
    """ctao-calibpipe 0.8.0 in its own venv (made once, ~3 min): the anchor's command."""
    tool = venv / "bin" / ANCHOR_TOOL
    if tool.exists():
        return tool
    candidates = sorted(Path(os.path.expanduser("~/.pyenv/versions")).glob("3.12*/bin/python"))
    python = str(candidates[-1]) if candidates else shutil.which("python3.12")
    if python is None:
        raise SystemExit("no python3.12 for the anchor's venv (pyenv or PATH)")
    subprocess.run([python, "-m", "venv", str(venv)], check=True)
    pip = [str(venv / "bin" / "pip"), "install", "-q", "ctao-calibpipe==0.8.0"]
    subprocess.run(pip, check=True)
    return tool


def bench_camera(rings, seed=1):
    from camera.synthetic_camera import make_subarray, make_truth

    subarray = make_subarray(rings)
    truth = make_truth(subarray.tel[1].camera.geometry.n_pixels, seed=seed)
    good = np.ones(truth.n_pixels, bool)
    good[truth.dead] = good[truth.hot] = False
    return subarray, truth, good


def accuracy(table, truth, good):
    """Deviations of a coefficients table (ours or the anchor's) from the truth, good pixels."""
    factor = np.asarray(table["factor"], float)
    ped = np.asarray(table["pedestal_offset"], float)
    shift = np.asarray(table["time_shift"], float)
    true_factor = truth.true_factor(good)[None]
    rel = (factor / true_factor - 1)[:, :, good]
    d_ped = (ped - truth.true_pedestal_offset()[None])[:, :, good]
    d_t = (shift - truth.true_time_shift(good)[None])[:, :, good]
    dead = factor[:, 0, truth.dead[0]]
    nan = {
        n: int(np.count_nonzero(~np.isfinite(np.asarray(table[n], float))))
        for n in ("factor", "pedestal_offset", "time_shift")
    }
    return {
        "rows": len(table),
        "factor_bias_pct": 100 * float(np.median(rel)),
        "factor_rms_pct": 100 * float(np.std(rel)),
        # high gain: ADC per sample; times the window and the factor: p.e. per image
        "pedestal_bias_adc_per_sample_hg": float(np.mean(d_ped[:, 0])),
        "pedestal_bias_pe_per_image_hg": float(
            np.mean(d_ped[:, 0] * truth.window_width * factor[:, 0][:, good])
        ),
        "pedestal_rms_adc_per_sample_hg": float(np.std(d_ped[:, 0])),
        "time_shift_bias_ns": float(np.mean(d_t)),
        "time_shift_rms_ns": float(np.std(d_t)),
        "dead_pixel_factor_hg": float(dead[0]),
        "dead_pixel_flagged": bool(np.asarray(table["outlier_mask"])[0, 0, truth.dead[0]]),
        "non_finite": nan,
    }


def merged_statistics(path, subarray, truth, n_chunks, chunk_size, seed=7):
    """The merged statistics file of ``n_chunks`` chunks (ctapipe's aggregator)."""
    from camera.synthetic_camera import StatisticsSpec, statistics_tables, write_statistics_file

    spec = StatisticsSpec(n_chunks=n_chunks, chunk_size=chunk_size, seed=seed)
    tables = statistics_tables(subarray, {1: truth}, spec)
    write_statistics_file(path, subarray, {1: truth}, spec, tables=tables)
    return spec, tables


def tiled_statistics(path, subarray, truth, spec, tables, n_chunks):
    """A merged file of ``n_chunks`` chunks: the rows of ``tables`` repeated, later in time.

    The coefficient stages' time and memory depend on the number of chunks and pixels, not
    on the values: this stands for the statistics of a long run without simulating it.
    """
    import astropy.units as u
    from astropy.table import vstack
    from camera.synthetic_camera import write_statistics_file

    tiled = {}
    for name, table in tables[1].items():
        n = len(table)
        span = (table["time_end"][-1] - table["time_start"][0]).to(u.s) + 1 * u.s
        parts = []
        for k in range(int(np.ceil(n_chunks / n))):
            part = table.copy()
            part["time_start"] = part["time_start"] + k * span
            part["time_end"] = part["time_end"] + k * span
            parts.append(part)
        out = vstack(parts)[:n_chunks]
        out.meta.update(table.meta)
        tiled[name] = out
    write_statistics_file(path, subarray, {1: truth}, spec, tables={1: tiled})


def run_anchor(tool, statistics, work, name, jitter=None):
    """The anchor on a byte copy of ``statistics`` (it writes into its input)."""
    import tables

    run_dir = work / name
    run_dir.mkdir()
    copy = run_dir / "statistics.h5"
    shutil.copyfile(statistics, copy)
    cmd = [tool, "--input_url", copy, "--CameraCalibratorTool.window_width=8"]
    cmd += ["--CameraCalibratorTool.squared_excess_noise_factor=1.222", "--log-level", "WARN"]
    if jitter is not None:
        b_term = run_dir / "b_term.h5"
        with tables.open_file(str(b_term), mode="w") as h5:  # a plain dataset, as h5py reads
            h5.create_array("/", "B_term", np.float64(jitter))
        cmd.append(f"--CameraCalibratorTool.systematic_correction_path={b_term}")
    # the anchor's venv: its own PATH, no PYTHONPATH of ours
    env = {"PATH": f"{tool.parent}:/usr/bin:/bin", "HOME": os.environ.get("HOME", "/tmp")}
    result = timed(cmd, run_dir, env=env)
    result["file"] = copy
    return result


def run_ours(statistics, work, name, jitter):
    run_dir = work / name
    run_dir.mkdir()
    cmd = [BIN / "calibpipe-tasks", "compute-camera-coefficients", "--input", statistics]
    cmd += ["--f-squared", "1.222", "--window-width", "8", "--log-level", "WARNING"]
    if jitter is not None:
        cmd += ["--jitter", str(jitter)]
    result = timed(cmd, run_dir)
    result["file"] = run_dir / "camera_coefficients.h5"
    return result


def side_by_side(args):
    """(d): ours and the anchor on the same merged file, accuracy against the truth."""
    from ctapipe.io import read_table

    tool = ensure_anchor(args.anchor_venv)
    subarray, truth, good = bench_camera(args.rings)
    work = Path(tempfile.mkdtemp(prefix="calibpipe-bench-camera-anchor-"))
    statistics = work / "pixel_statistics.h5"
    merged_statistics(statistics, subarray, truth, args.chunks, args.events)
    runs = {
        "ours (B = 2 %)": run_ours(statistics, work, "ours", truth.jitter),
        "anchor default (no B)": run_anchor(tool, statistics, work, "anchor"),
        "anchor, B = 2 % given": run_anchor(tool, statistics, work, "anchor_b", truth.jitter),
    }
    out = {"pixels": truth.n_pixels, "chunks": args.chunks, "events_per_chunk": args.events}
    print(f"\n(d) side by side on {statistics.name}: {truth.n_pixels} pixels x 2 channels, ")
    print(f"{args.chunks} chunks of {args.events} events, load {os.getloadavg()}\n")
    print(
        "| run | CPU s | wall s | peak RSS MB | factor bias % | factor rms % | "
        "ped. bias ADC/sample (p.e./image) | time shift bias / rms ns | dead pixel factor | "
        "rows | non-finite |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for name, run in runs.items():
        if run["returncode"] != 0:
            tail = run["stderr"].strip().splitlines()[-3:]
            out[name] = {"returncode": run["returncode"], "error": tail}
            print(f"| {name} | failed (exit {run['returncode']}): {' / '.join(tail)} |")
            continue
        table = read_table(run["file"], COEFFICIENTS)
        acc = accuracy(table, truth, good)
        flag = "" if acc["dead_pixel_flagged"] else " (unflagged)"
        chunks = read_table(statistics, f"{STATS}/flatfield_image/tel_001")
        t0 = chunks["time_start"][0]
        acc["row_times_s"] = [round(float(x), 4) for x in (table["time"] - t0).to_value("s")]
        out["flatfield_chunks_s"] = [
            [round(float(a), 4), round(float(b), 4)]
            for a, b in zip(
                (chunks["time_start"] - t0).to_value("s"),
                (chunks["time_end"] - t0).to_value("s"),
                strict=True,
            )
        ]
        out[name] = {k: v for k, v in run.items() if k not in ("stderr", "file")} | acc
        print(
            f"| {name} | {run['cpu_s']:.2f} | {run['wall_s']:.2f} | {run['peak_rss_mb']:.0f} | "
            f"{acc['factor_bias_pct']:+.2f} | {acc['factor_rms_pct']:.2f} | "
            f"{acc['pedestal_bias_adc_per_sample_hg']:+.3f} "
            f"({acc['pedestal_bias_pe_per_image_hg']:+.3f}) | "
            f"{acc['time_shift_bias_ns']:+.4f} / {acc['time_shift_rms_ns']:.4f} | "
            f"{acc['dead_pixel_factor_hg']:.3g}{flag}"
            f" | {acc['rows']} | {acc['non_finite']} |"
        )
    print(f"\nflat-field chunks [start, end] s: {out.get('flatfield_chunks_s')}")
    for name in runs:
        print(f"row times s, {name}: {out[name].get('row_times_s')}")
    ours, anchor = out.get("ours (B = 2 %)", {}), out.get("anchor, B = 2 % given", {})
    if "cpu_s" in ours and "cpu_s" in anchor:
        out["cpu_ratio_anchor_over_ours"] = anchor["cpu_s"] / ours["cpu_s"]
        out["rss_ratio_anchor_over_ours"] = anchor["peak_rss_mb"] / ours["peak_rss_mb"]
        print(
            f"\nCPU anchor/ours {out['cpu_ratio_anchor_over_ours']:.2f}, "
            f"peak RSS anchor/ours {out['rss_ratio_anchor_over_ours']:.2f}"
        )
    shutil.rmtree(work, ignore_errors=True)
    return out


def write_dl1_images(path, subarray, truth, n_events, kind="pedestal", block=2000, seed=3):
    """A ctapipe DL1 file of ``n_events`` images of one event type, written fast.

    The layout (trigger tables, image table, subarray, metadata) is that of a file written
    by ctapipe's DataWriter (a 2-event template from tests/camera/dl1_calibration_events.py);
    the rows are appended in blocks with PyTables (DataWriter takes ~1 ms per event).
    """
    import tables
    from camera.dl1_calibration_events import write_calibration_dl1
    from camera.synthetic_camera import simulate_events

    write_calibration_dl1(path, subarray, {1: truth}, kind, 2, "2025-01-15T22:00:00", seed=seed)
    rng = np.random.default_rng(seed)
    names = (
        "/dl1/event/subarray/trigger",
        "/dl1/event/telescope/trigger",
        "/dl1/event/telescope/images/tel_001",
    )
    with tables.open_file(str(path), mode="a") as h5:
        nodes = [h5.get_node(n) for n in names]
        template = [node.read() for node in nodes]
        ticks = int(template[0]["time"][1, 1]) - int(template[0]["time"][0, 1])  # 0.01 s
        per_second = ticks * 100
        for node in nodes:
            node.remove_rows(0, node.nrows)
        for start in range(0, n_events, block):
            n = min(block, n_events - start)
            index = np.arange(start, start + n)
            charge, peak_time = simulate_events(truth, n, kind, rng)
            first = template[0]["time"][0].astype(np.int64)
            t = first[0] * per_second + first[1] + index * ticks
            time_col = np.column_stack([t // per_second, t % per_second]).astype("<u4")
            for node, rows in zip(nodes, template, strict=True):
                new = np.zeros(n, dtype=rows.dtype)
                for field in rows.dtype.names:
                    new[field] = rows[field][0]
                new["event_id"] = 2 * index + (kind != "pedestal")
                if "time" in rows.dtype.names:
                    new["time"] = time_col
                if "image" in rows.dtype.names:
                    new["image"], new["peak_time"] = charge, peak_time
                node.append(new)
        for node in nodes:
            node.attrs["NROWS"] = node.nrows
            node.flush()


def memory_scaling(args):
    """(e): peak RSS and CPU of the statistics and coefficients stages against N."""
    tool = ensure_anchor(args.anchor_venv) if args.anchor else None
    subarray, truth, _ = bench_camera(args.rings)
    work = Path(tempfile.mkdtemp(prefix="calibpipe-bench-camera-memory-"))
    chunk = 2500
    base = work / "base.h5"
    spec, tables = merged_statistics(base, subarray, truth, 2, chunk)
    rows = []
    print(f"\n(e) memory vs run length: {truth.n_pixels} pixels x 2 channels, chunks of {chunk}")
    print(
        "\n| N per event type | DL1 file MB | statistics: CPU s / peak RSS MB | "
        "coefficients (ours): CPU s / peak RSS MB | anchor: CPU s / peak RSS MB |"
    )
    print("|---|---|---|---|---|")
    for n in args.memory:
        dl1 = work / f"pedestal_{n}.dl1.h5"
        stat = None
        if n <= args.statistics_max:
            write_dl1_images(dl1, subarray, truth, n)
            stats_dir = work / f"stats_{n}"
            stats_dir.mkdir()
            cmd = [
                BIN / "ctapipe-calculate-pixel-statistics",
                f"--input_url={dl1}",
                "--output_path=pixel_statistics.h5",
                "--PixelStatisticsCalculatorTool.input_column_name=image",
                f"--SizeChunking.chunk_size={chunk}",
                "--overwrite",
            ]
            stat = timed(cmd, stats_dir)
            if stat["returncode"] != 0:
                raise SystemExit(stat["stderr"][-2000:])
        merged = work / f"merged_{n}.h5"
        tiled_statistics(merged, subarray, truth, spec, tables, max(1, n // chunk))
        ours = run_ours(merged, work, f"ours_{n}", truth.jitter)
        anchor = run_anchor(tool, merged, work, f"anchor_{n}", truth.jitter) if tool else None
        row = {
            "n_events": n,
            "chunks": max(1, n // chunk),
            "dl1_mb": dl1.stat().st_size / 1e6 if stat else None,
            "statistics": {k: stat[k] for k in ("cpu_s", "wall_s", "peak_rss_mb")}
            if stat
            else None,
            "coefficients": {k: ours[k] for k in ("cpu_s", "wall_s", "peak_rss_mb")},
        }
        if anchor is not None:
            row["anchor"] = {k: anchor[k] for k in ("cpu_s", "wall_s", "peak_rss_mb", "returncode")}
        rows.append(row)
        a = (
            f"{anchor['cpu_s']:.2f} / {anchor['peak_rss_mb']:.0f}"
            if anchor and anchor["returncode"] == 0
            else "-"
        )
        st = f"{stat['cpu_s']:.1f} / {stat['peak_rss_mb']:.0f}" if stat else "not run"
        size = f"{row['dl1_mb']:.0f}" if stat else "-"
        print(
            f"| {n} ({row['chunks']} chunks) | {size} | {st} | "
            f"{ours['cpu_s']:.2f} / {ours['peak_rss_mb']:.0f} | {a} |"
        )
        dl1.unlink(missing_ok=True)
        shutil.rmtree(work / f"anchor_{n}", ignore_errors=True)
    shutil.rmtree(work, ignore_errors=True)
    return rows


def extraction(args):
    """(f): ctapipe's FixedWindowSum on the generator's R1 waveforms."""
    from camera.dl1_calibration_events import write_calibration_r1
    from ctapipe.image.extractor import FixedWindowSum
    from ctapipe.io import EventSource

    subarray, truth, _ = bench_camera(args.rings)
    work = Path(tempfile.mkdtemp(prefix="calibpipe-bench-camera-r1-"))
    r1 = work / "calibration.r1.h5"
    n_pairs = args.extraction // 2
    write_calibration_r1(r1, subarray, {1: truth}, n_pairs, "2025-01-15T22:00:00", seed=13)
    waveforms = []
    with EventSource(r1) as source:
        for event in source:
            waveforms.append(event.r1.tel[1].waveform)
    extractor = FixedWindowSum(
        subarray=subarray,
        peak_index=21,
        window_width=8,
        window_shift=4,
        apply_integration_correction=False,
    )
    broken = np.zeros((2, truth.n_pixels), bool)
    extractor(waveforms[0], 1, None, broken)  # numba compilation
    repeat = 10  # 400 events take ~0.05 s: repeated for a stable figure
    t0, c0 = time.perf_counter(), time.process_time()
    for _ in range(repeat):
        for wave in waveforms:
            extractor(wave, 1, None, broken)
    wall, cpu = (time.perf_counter() - t0) / repeat, (time.process_time() - c0) / repeat
    n = len(waveforms)
    out = {
        "pixels": truth.n_pixels,
        "events": n,
        "r1_mb": r1.stat().st_size / 1e6,
        "extractor_events_per_cpu_s": n / cpu,
        "extractor_events_per_wall_s": n / wall,
    }
    run = work / "process"
    run.mkdir()
    cmd = [
        BIN / "ctapipe-process",
        f"--input={r1}",
        "--output=images.dl1.h5",
        "--write-images",
        "--no-write-parameters",
        "--CameraCalibrator.image_extractor_type=FixedWindowSum",
        "--FixedWindowSum.apply_integration_correction=False",
        "--EventTypeFilter.allowed_types=FLATFIELD",
        "--FixedWindowSum.peak_index=21",
        "--FixedWindowSum.window_width=8",
        "--FixedWindowSum.window_shift=4",
    ]
    proc = timed(cmd, run)
    if proc["returncode"] != 0:
        raise SystemExit(proc["stderr"][-2000:])
    # the start-up (imports, file opening): the same run stopped after 2 events
    short = timed([*cmd, "--EventSource.max_events=2", "--overwrite"], run)
    out["ctapipe_process_2_events"] = {k: short[k] for k in ("cpu_s", "wall_s", "peak_rss_mb")}
    out["ctapipe_process"] = {k: proc[k] for k in ("cpu_s", "wall_s", "peak_rss_mb")}
    out["ctapipe_process"]["events_read"] = n
    out["ctapipe_process"]["events_extracted"] = n_pairs
    out["ctapipe_process"]["events_read_per_cpu_s"] = n / proc["cpu_s"]
    per_event = (proc["cpu_s"] - short["cpu_s"]) / (n - 2)
    out["ctapipe_process"]["events_read_per_cpu_s_without_startup"] = 1 / per_event
    print(
        f"\n(f) FixedWindowSum on R1 of {truth.n_pixels} pixels x 2 channels x 40 samples, "
        f"{n} events ({out['r1_mb']:.0f} MB)\n"
    )
    print(
        "| what | events | CPU s | wall s | events/CPU-s | peak RSS MB |\n|---|---|---|---|---|---|"
    )
    print(
        f"| FixedWindowSum alone (in-process) | {n} | {cpu:.2f} | {wall:.2f} | {n / cpu:.0f} | - |"
    )
    p = out["ctapipe_process"]
    print(
        f"| ctapipe-process, FLATFIELD filter (read {n}, extract {n_pairs}, write DL1) | {n} | "
        f"{p['cpu_s']:.1f} | {p['wall_s']:.1f} | {n / p['cpu_s']:.0f} | {p['peak_rss_mb']:.0f} |"
    )
    print(
        f"| the same, stopped after 2 events (start-up) | 2 | {short['cpu_s']:.1f} | "
        f"{short['wall_s']:.1f} | - | {short['peak_rss_mb']:.0f} |"
    )
    print(f"| ctapipe-process without start-up | {n - 2} | | | {1 / per_event:.0f} | |")
    shutil.rmtree(work, ignore_errors=True)
    return out


if __name__ == "__main__":
    sys.exit(main())
