"""Benchmark of ``array-pair-stats`` on a night-sized DL2 file, beside ctao-calibpipe 0.8.0.

    .venv/bin/python bench/bench_array.py [--showers 1300000] [--keep] [--no-anchor]
        [--marginal-showers N] [--compare-src DIR] [--repeat N] [--anchor-venv DIR]
        [--anchor-image]

Writes a synthetic DL2 file (``tests/array/dl2_synthetic.py``, in a child process) of 64
telescopes (4 LST-, 25 MST-, 35 SST-like) with >= 2 M telescope events and known
throughputs, then runs on that same file, one after the other:

* ``calibpipe-tasks array-pair-stats`` (then ``array-inter-calibration`` and
  ``array-cross-calibration`` on its output);
* with ``--compare-src DIR``: the same step from another source tree (e.g. main's
  ``src``, unpacked with ``git archive``) in this venv (``PYTHONPATH=DIR``);
* ``array-pair-stats`` (and the ``--compare-src`` one) again on a second file of
  ``--marginal-showers`` showers (default half of ``--showers``, kept beside the first): the
  *marginal* rate, telescope events per CPU second of the difference of the two files,
  leaves out the fixed cost (start-up, imports, opening the tables, writing);
* with ``--repeat N``: ``N`` more runs of ``array-pair-stats`` on each file (and of the
  ``--compare-src`` one, interleaved with ours), reported as the median and the minimum of
  the CPU times and the rates from them: single runs on a shared machine vary by tens of
  per cent with its load;
* ctao-calibpipe 0.8.0 (installed by this script into its own venv, ``--anchor-venv``,
  Python 3.12): ``calibpipe-energy-asymmetry-estimation`` (its ``max_distance_asymmetry``
  filter at 0.05, as in its own tests), ``calibpipe-inter-calibration`` (energy
  asymmetry, one reference telescope per type) and ``calibpipe-cross-calibration``
  (reference subsystem LST), on the same DL2 file;
* with ``--anchor-image`` also its ``calibpipe-image-asymmetry-estimation`` (300 p.e. on each
  telescope's amplitude, equidistance 0.05) and inter-calibration of the image asymmetries,
  on a copy of the file to which constant pointing tables are added (its equidistance filter
  reads the telescope altitude from ``/dl1/monitoring/telescope/pointing/tel_NNN``; slow).

Every measured command runs as a child of a small launcher process (``_LAUNCHER``:
fork, exec, ``os.wait4``), which reports the child's CPU time (user + sys) and peak
resident memory: Linux counts the memory of the process that forks into the child's
``ru_maxrss``, so a child started from this script (which holds the synthetic data
and astropy) would report this script's memory instead of its own.

Accuracy against the injected throughputs, for both tools, in the same gauge-free way:
per telescope type, the log coefficients of the telescopes that got a value, minus their
mean, against the same for the truth (mean absolute difference, slope of fitted on true:
1 = no shrinking, width of the pulls ``difference / error``); cross-calibration: the
coefficients of the non-LST telescopes relative to the geometric mean of the LST ones,
against the truth (mean difference = bias, per type). Prints a Markdown table and a JSON
line; CPU times hardly depend on the machine's load, wall times do.
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
sys.path.insert(0, str(ROOT / "tests" / "array"))
sys.path.insert(0, str(ROOT / "tests"))  # synthetic_dl1: the hand-built telescopes
BIN = Path(sys.executable).parent
WORK = Path(
    os.environ.get(
        "CALIBPIPE_BENCH_ARRAY_WORK", Path(tempfile.gettempdir()) / "calibpipe-tasks-bench-array"
    )
)
ANCHOR_VENV = Path(tempfile.gettempdir()) / "calibpipe080-venv"

#: fork + exec + wait4 from a small process; prints the child's resource use as JSON
_LAUNCHER = """
import json, os, sys, time
t0 = time.perf_counter()
pid = os.fork()
if pid == 0:
    try:
        os.execvpe(sys.argv[2], sys.argv[2:], os.environ)
    finally:
        os._exit(127)
_, status, ru = os.wait4(pid, 0)
wall = time.perf_counter() - t0
with open(sys.argv[1], "w") as f:
    json.dump({"wall_s": wall, "cpu_s": ru.ru_utime + ru.ru_stime,
               "peak_MiB": ru.ru_maxrss / 1024, "rc": os.waitstatus_to_exitcode(status)}, f)
"""


def run_measured(cmd, env=None, cwd=None, log=None):
    """Run ``cmd`` from the small launcher; ``{"wall_s", "cpu_s", "peak_MiB"}`` of ``cmd``."""
    out = Path(tempfile.mkstemp(suffix=".json")[1])
    with open(log, "w") if log else open(os.devnull, "w") as sink:
        subprocess.run(
            [sys.executable, "-I", "-S", "-c", _LAUNCHER, str(out), *map(str, cmd)],
            env=env,
            cwd=cwd,
            check=True,
            stdout=sink if log else None,
            stderr=subprocess.STDOUT if log else None,
        )
    usage = json.loads(out.read_text())
    out.unlink()
    if usage["rc"] != 0:
        tail = Path(log).read_text()[-3000:] if log else ""
        raise RuntimeError(f"{cmd[0]} failed (exit {usage['rc']}):\n{tail}")
    return usage


def night_spec(showers):
    from dl2_synthetic import DL2Spec, realistic_layout

    return DL2Spec(
        obs_id=1,
        n_showers=showers,
        seed=1,
        layout=realistic_layout(4, 25, 35),
        core_radius_m=900.0,
        duration_s=8 * 3600.0,
    )


def ensure_dl2(showers):
    """The synthetic night file of ``showers`` showers (written in a child process if absent)."""
    dl2 = WORK / f"night_{showers}.dl2.h5"
    if not dl2.exists():
        subprocess.run(
            [sys.executable, __file__, "--write-dl2", str(dl2), "--showers", str(showers)],
            check=True,
        )
    return dl2


def count_tel_events(dl2):
    import tables

    with tables.open_file(str(dl2)) as h5:
        trig = h5.root.dl1.event.subarray.trigger
        return int(trig.col("tels_with_trigger").sum()), trig.nrows


def ensure_anchor(venv):
    """ctao-calibpipe 0.8.0 in its own venv (Python 3.12); returns its bin directory."""
    tools = ("energy-asymmetry-estimation", "inter-calibration", "cross-calibration")
    if all((venv / "bin" / f"calibpipe-{t}").exists() for t in tools):
        return venv / "bin"
    python = shutil.which("python3.12")
    if python is None:
        root = subprocess.run(["pyenv", "root"], capture_output=True, text=True).stdout.strip()
        python = str(Path(root) / "versions" / "3.12.1" / "bin" / "python3.12")
    subprocess.run([python, "-m", "venv", str(venv)], check=True)
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet"]
    subprocess.run([*pip, "ctao-calibpipe==0.8.0"], check=True)
    return venv / "bin"


def run_ours(dl2, out, env, label, log_dir):
    out.mkdir(parents=True, exist_ok=True)
    cmd = [BIN / "calibpipe-tasks", "array-pair-stats", "--input", dl2, "--output-dir", out]
    usage = run_measured([*cmd, "--log-level", "WARNING"], env=env, log=log_dir / f"{label}.log")
    for step, extra in (
        ("array-inter-calibration", []),
        ("array-cross-calibration", ["--inter-calibration", out / "array_inter_calibration.ecsv"]),
    ):
        subprocess.run(
            [BIN / "calibpipe-tasks", step, "--input", out / "array_pair_stats.h5", *extra]
            + ["--output-dir", out, "--log-level", "ERROR"],
            check=True,
            env=env,
        )
    return usage


def repeat_pair_stats(files, envs, n, log_dir):
    """CPU seconds of ``n`` interleaved ``array-pair-stats`` runs: ``{(env, file): [cpu_s]}``."""
    cpu = {(name, label): [] for name in envs for label in files}
    for _ in range(n):
        for label, dl2 in files.items():
            for name, env in envs.items():
                out = WORK / f"out_repeat_{name}_{label}"
                shutil.rmtree(out, ignore_errors=True)
                out.mkdir(parents=True)
                usage = run_measured(
                    [BIN / "calibpipe-tasks", "array-pair-stats", "--input", dl2, "--output-dir",
                     out, "--log-level", "WARNING"],
                    env=env, log=log_dir / f"repeat_{name}_{label}.log",
                )  # fmt: skip
                cpu[(name, label)].append(usage["cpu_s"])
    return cpu


def anchor_configs(work, layout):
    """Configuration files of the anchor's three tools (reference: lowest id of each type)."""
    refs = {}
    for t in sorted(layout):
        refs.setdefault(layout[t][0], str(t))
    files = {
        "energy.yaml": {
            "CalculateEnergyAsymmetry": {
                "energy_reconstructor": "RandomForestRegressor",
                "geometry_reconstructor": "HillasReconstructor",
                "event_filters": {"max_distance_asymmetry": [["type", "*", 0.05]]},
            }
        },
        "inter.yaml": {
            "CalculateInterCalibration": {"asymmetry_label": "energy_asymmetry"},
            "RelativeThroughputFitter": {"reference_telescopes": refs},
        },
        "cross.yaml": {
            "CalculateCrossCalibration": {
                "energy_reconstructor": "RandomForestRegressor",
                "geometry_reconstructor": "HillasReconstructor",
                "reference_subsystem": "LST",
            }
        },
    }
    for name, content in files.items():  # JSON is YAML
        (work / name).write_text(json.dumps(content, indent=1))
    return refs


#: run in the anchor's venv: constant pointing tables (70 deg altitude over the whole night)
#: for its image-asymmetry tool, whose equidistance filter interpolates the telescope
#: altitude from /dl1/monitoring/telescope/pointing/tel_NNN (the synthetic file has none)
_ADD_POINTING = """
import sys
import astropy.units as u
import tables
from astropy.table import Table
from astropy.time import Time
from ctapipe.io import read_table, write_table

path = sys.argv[1]
trig = read_table(path, "/dl1/event/subarray/trigger")
times = Time([trig["time"].min().mjd - 0.01, trig["time"].max().mjd + 0.01], format="mjd",
             scale="tai")
with tables.open_file(path) as h5:
    tel_ids = [int(x) for x in h5.root.configuration.instrument.subarray.layout.col("tel_id")]
for tel_id in tel_ids:
    t = Table({"time": times, "azimuth": [0.0, 0.0] * u.deg, "altitude": [70.0, 70.0] * u.deg})
    write_table(t, path, f"/dl1/monitoring/telescope/pointing/tel_{tel_id:03d}", overwrite=True)
"""


def run_anchor_image(dl2, work, anchor_bin, env):
    """The anchor's image-asymmetry tool (on a copy of ``dl2`` with pointing tables) and its
    inter-calibration of the image asymmetries; resource use and the coefficient table."""
    copy = work / "image" / "pointing.dl2.h5"
    (work / "image" / "asym").mkdir(parents=True)
    shutil.copyfile(dl2, copy)
    subprocess.run([anchor_bin / "python", "-c", _ADD_POINTING, copy], check=True, env=env)
    config = {
        "CalculateImageAsymmetry": {
            "geometry_reconstructor": "HillasReconstructor",
            "event_filters": {
                # the same 300 p.e. and 0.05 as ours, but on each telescope's own amplitude
                "minimum_individual_intensity": [["type", "*", 300.0]],
                "equidistant_event_selection": [["type", "*", [0.05, 0.0]]],
            },
        }
    }
    (work / "image.yaml").write_text(json.dumps(config, indent=1))
    inter_config = json.loads((work / "inter.yaml").read_text())
    inter_config["CalculateInterCalibration"]["asymmetry_label"] = "image_asymmetry"
    (work / "inter_image.yaml").write_text(json.dumps(inter_config, indent=1))
    usage = {}
    usage["image_asymmetry"] = run_measured(
        [anchor_bin / "calibpipe-image-asymmetry-estimation", "-i", copy, "-o",
         work / "image" / "asym" / "asym.h5", "--config", work / "image.yaml", "--overwrite"],
        env=env, cwd=work, log=work / "image_asymmetry.log",
    )  # fmt: skip
    usage["image_inter"] = run_measured(
        [anchor_bin / "calibpipe-inter-calibration", "-i", work / "image" / "asym", "-o",
         work / "image" / "inter.h5", "--config", work / "inter_image.yaml", "--overwrite"],
        env=env, cwd=work, log=work / "image_inter.log",
    )  # fmt: skip
    copy.unlink()
    return usage, work / "image" / "inter.h5"


def run_anchor(dl2, work, anchor_bin, layout, image=False):
    """The anchor's chain on ``dl2``; resource use per tool and the coefficient tables."""
    if work.exists():
        shutil.rmtree(work)
    (work / "asym").mkdir(parents=True)
    (work / "dl2").mkdir()
    (work / "dl2" / dl2.name).symlink_to(dl2)
    anchor_configs(work, layout)
    env = dict(os.environ, PATH=f"{anchor_bin}{os.pathsep}{os.environ.get('PATH', '')}")
    usage = {}
    usage["asymmetry"] = run_measured(
        [anchor_bin / "calibpipe-energy-asymmetry-estimation", "-i", dl2, "-o",
         work / "asym" / "asym.h5", "--config", work / "energy.yaml", "--overwrite"],
        env=env, cwd=work, log=work / "asymmetry.log",
    )  # fmt: skip
    usage["inter"] = run_measured(
        [anchor_bin / "calibpipe-inter-calibration", "-i", work / "asym", "-o",
         work / "inter.h5", "--config", work / "inter.yaml", "--overwrite"],
        env=env, cwd=work, log=work / "inter.log",
    )  # fmt: skip
    usage["cross"] = run_measured(
        [anchor_bin / "calibpipe-cross-calibration", "-i", work / "inter.h5", "-d",
         work / "dl2", "--config", work / "cross.yaml", "--overwrite"],
        env=env, cwd=work, log=work / "cross.log",
    )  # fmt: skip
    image_file = None
    if image:
        image_usage, image_file = run_anchor_image(dl2, work, anchor_bin, env)
        usage.update(image_usage)
    # read the anchor's products with its own venv (ctapipe 0.32 tables)
    dump = work / "anchor_products.json"
    code = (
        "import json, sys\n"
        "from ctapipe.io import read_table\n"
        "p, q = sys.argv[1], sys.argv[3]\n"
        "out = {}\n"
        "for key, f, node in (('inter', p, '/dl2/monitoring/subarray/inter_calibration'),\n"
        "    ('cross', p, '/dl2/monitoring/subarray/cross_calibration/coefficients'),\n"
        "    ('scales', p, '/dl2/monitoring/subarray/cross_calibration/scaling_factors'),\n"
        "    ('image_inter', q, '/dl2/monitoring/subarray/inter_calibration')):\n"
        "    try:\n"
        "        t = read_table(f, node)\n"
        "    except Exception as err:\n"
        "        out[key] = str(err); continue\n"
        "    out[key] = {c: [x.item() if hasattr(x, 'item') else str(x) for x in t[c]]\n"
        "                for c in t.colnames}\n"
        "json.dump(out, open(sys.argv[2], 'w'))\n"
    )
    subprocess.run(
        [anchor_bin / "python", "-c", code, work / "inter.h5", dump, image_file or "-"],
        check=True,
        env=env,
    )
    return usage, json.loads(dump.read_text())


def accuracy(ln_c, ln_err, tel_ids, truth, ref_kind="LST"):
    """Gauge-free inter- and cross-calibration accuracy (see the module docstring).

    ``ln_c`` / ``ln_err``: dicts ``"inter"`` and ``"cross"`` of ``tel_id -> value``.
    """
    out = {}
    kind = truth.kind
    thr = truth.throughput
    res, pulls, slopes = [], [], {}
    for k in sorted(set(kind.values())):
        ids = [t for t in tel_ids["inter"] if kind[t] == k]
        if len(ids) < 2:
            continue
        fit = np.array([ln_c["inter"][t] for t in ids])
        err = np.array([ln_err["inter"][t] for t in ids])
        tru = np.log([thr[t] for t in ids])
        fit, tru = fit - fit.mean(), tru - tru.mean()
        res += list(fit - tru)
        ok = err > 0
        pulls += list((fit - tru)[ok] / err[ok])
        slopes[k] = float(np.sum(fit * tru) / np.sum(tru * tru))
    out["inter_n_tel"] = len(res)
    out["inter_mean_abs_error_pct"] = round(100 * float(np.mean(np.abs(res))), 3)
    out["inter_slope"] = {k: round(v, 3) for k, v in slopes.items()}
    out["inter_pull_std"] = round(float(np.std(pulls)), 2) if pulls else None
    ids = tel_ids["cross"]
    lst = [t for t in ids if kind[t] == ref_kind]
    if lst:
        gauge = np.mean([ln_c["cross"][t] for t in lst])
        true_gauge = np.mean(np.log([thr[t] for t in lst]))
        for k in sorted(set(kind.values()) - {ref_kind}):
            sel = [t for t in ids if kind[t] == k]
            if not sel:
                out[f"cross_{k}_bias_pct"] = None
                continue
            d = [ln_c["cross"][t] - gauge - (np.log(thr[t]) - true_gauge) for t in sel]
            out[f"cross_{k}_n_tel"] = len(sel)
            out[f"cross_{k}_bias_pct"] = round(100 * float(np.mean(d)), 2)
    return out


def ours_accuracy(out, truth):
    from astropy.table import Table

    inter = Table.read(out / "array_inter_calibration.ecsv")
    cross = Table.read(out / "array_cross_calibration.ecsv")
    ln_c, ln_err, ids = {}, {}, {}
    for key, t in (("inter", inter), ("cross", cross)):
        ok = t["status"] == "ok"
        ids[key] = [int(x) for x in t["tel_id"][ok]]
        ln_c[key] = dict(zip(ids[key], np.asarray(t["ln_coefficient"][ok]), strict=True))
        ln_err[key] = dict(zip(ids[key], np.asarray(t["ln_coefficient_err"][ok]), strict=True))
    return accuracy(ln_c, ln_err, ids, truth)


def anchor_accuracy(products, truth):
    inter = products["inter"]
    if isinstance(inter, str):
        return {"error": inter}
    scales = products.get("scales")
    scaled = set(scales["tel_type"]) if isinstance(scales, dict) else set()
    ln_c, ln_err, ids = {}, {}, {}
    for key in ("inter", "cross"):
        t = products[key]
        if isinstance(t, str):
            return {"error": t}
        if key == "cross":  # only the types it scaled (and the reference type) are cross-calibrated
            keep = [k in scaled | {"LST"} for k in t["tel_type"]]
            t = {c: [x for x, g in zip(v, keep, strict=True) if g] for c, v in t.items()}
        value = np.asarray(t["value"], dtype=float)
        error = np.asarray(t["error"], dtype=float)
        tel = [int(x) for x in t["tel_id"]]
        # the reference telescope of each type is fixed at 1 (its error is Minuit's step)
        refs = {int(x) for x, v, e in zip(tel, value, error, strict=True) if v == 1.0}
        good = [np.isfinite(v) and v > 0 for v in value]
        ids[key] = [x for x, g in zip(tel, good, strict=True) if g]
        ln_c[key] = {x: np.log(v) for x, v, g in zip(tel, value, good, strict=True) if g}
        ln_err[key] = {
            x: (0.0 if x in refs else e / v)
            for x, v, e, g in zip(tel, value, error, good, strict=True)
            if g
        }
    return accuracy(ln_c, ln_err, ids, truth)


def anchor_image_accuracy(products, truth):
    t = products.get("image_inter")
    if not isinstance(t, dict):
        return {}
    value = np.asarray(t["value"], dtype=float)
    error = np.asarray(t["error"], dtype=float)
    tel = [int(x) for x in t["tel_id"]]
    good = np.isfinite(value) & (value > 0)
    ids = [x for x, g in zip(tel, good, strict=True) if g]
    ln_c = {x: np.log(v) for x, v, g in zip(tel, value, good, strict=True) if g}
    ln_err = {
        x: (0.0 if v == 1.0 else e / v)
        for x, v, e, g in zip(tel, value, error, good, strict=True)
        if g
    }
    acc = accuracy({"inter": ln_c, "cross": {}}, {"inter": ln_err}, {"inter": ids, "cross": []},
                   truth)  # fmt: skip
    return {f"image_{k}": v for k, v in acc.items() if k.startswith("inter")}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--showers", type=int, default=1300000)
    parser.add_argument("--keep", action="store_true", help="keep the DL2 file for a re-run")
    parser.add_argument("--no-anchor", action="store_true", help="do not run ctao-calibpipe")
    parser.add_argument("--anchor-venv", type=Path, default=ANCHOR_VENV)
    parser.add_argument(
        "--anchor-image",
        action="store_true",
        help="also the anchor's image-asymmetry tool (slow: minutes per 100k telescope events)",
    )
    parser.add_argument(
        "--compare-src", type=Path, default=None, help="another calibpipe-tasks src tree"
    )
    parser.add_argument(
        "--marginal-showers",
        type=int,
        default=None,
        help="a second, smaller file (default --showers / 2; 0: none): the marginal rate is "
        "the difference of telescope events over the difference of CPU time of the two files",
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=0,
        metavar="N",
        help="N more interleaved runs of array-pair-stats per file: medians and minima",
    )
    parser.add_argument("--write-dl2", type=Path, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.write_dl2 is not None:  # the child process that writes the file
        from dl2_synthetic import write_dl2

        write_dl2(args.write_dl2, night_spec(args.showers))
        return

    from dl2_synthetic import DL2Truth, default_throughputs

    WORK.mkdir(exist_ok=True)
    spec = night_spec(args.showers)
    layout = spec.layout
    truth = DL2Truth(default_throughputs(layout), {t: layout[t][0] for t in layout})
    t0 = time.perf_counter()
    dl2 = ensure_dl2(args.showers)
    t_gen = time.perf_counter() - t0
    small_showers = args.showers // 2 if args.marginal_showers is None else args.marginal_showers
    small = ensure_dl2(small_showers) if 0 < small_showers < args.showers else None
    anchor_bin = None if args.no_anchor else ensure_anchor(args.anchor_venv)

    n_tel_events, n_events = count_tel_events(dl2)
    env = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")
    logs = WORK / "logs"
    logs.mkdir(exist_ok=True)
    runs = {}
    load = {"before": [round(x, 1) for x in os.getloadavg()]}
    runs["ours"] = run_ours(dl2, WORK / "out", env, "ours", logs)
    env_cmp = None
    if args.compare_src is not None:
        env_cmp = dict(env, PYTHONPATH=str(args.compare_src.resolve()))
        runs["compare"] = run_ours(dl2, WORK / "out_compare", env_cmp, "compare", logs)
    small_runs = {}
    if small is not None:  # the smaller file, for the marginal rate (only the pair-stats step)
        for name, e in (("ours", env), ("compare", env_cmp)):
            if e is None:
                continue
            out = WORK / f"out_small_{name}"
            out.mkdir(exist_ok=True)
            small_runs[name] = run_measured(
                [BIN / "calibpipe-tasks", "array-pair-stats", "--input", small, "--output-dir",
                 out, "--log-level", "WARNING"],
                env=e, log=logs / f"small_{name}.log",
            )  # fmt: skip
    repeated = None
    if args.repeat > 0:
        envs = {"ours": env, **({"compare": env_cmp} if env_cmp is not None else {})}
        files = {"night": dl2, **({"small": small} if small is not None else {})}
        repeated = repeat_pair_stats(files, envs, args.repeat, logs)
    # the start-up alone: python, the CLI and what the step imports
    startup = run_measured(
        [sys.executable, "-c", "import calibpipe_tasks.cli, tables, yaml, numpy"], env=env
    )
    anchor_usage = products = None
    if anchor_bin is not None:
        anchor_usage, products = run_anchor(
            dl2, WORK / "anchor", anchor_bin, layout, image=args.anchor_image
        )
    load["after"] = [round(x, 1) for x in os.getloadavg()]
    n_small = count_tel_events(small)[0] if small is not None else None

    result = {
        "telescopes": len(layout),
        "events": n_events,
        "telescope_events": n_tel_events,
        "file_MiB": round(dl2.stat().st_size / 2**20, 1),
        "small_file_telescope_events": n_small,
        "generate_s": round(t_gen, 1),
        "startup_cpu_s": round(startup["cpu_s"], 2),
        "startup_peak_MiB": round(startup["peak_MiB"], 1),
        "load": load,
    }
    same = None
    if "compare" in runs:
        same = all(
            (WORK / "out" / n).read_bytes() == (WORK / "out_compare" / n).read_bytes()
            for n in ("array_pair_stats.h5", "array_pair_stats.ecsv")
        )
        result["products_byte_identical_to_compare_src"] = same
    rows = {}
    for name, usage in runs.items():
        rows[name] = {
            "wall_s": round(usage["wall_s"], 2),
            "cpu_s": round(usage["cpu_s"], 2),
            "tel_events_per_cpu_s": round(n_tel_events / usage["cpu_s"]),
            "tel_events_per_wall_s": round(n_tel_events / usage["wall_s"]),
            "peak_MiB": round(usage["peak_MiB"], 1),
        }
        if name in small_runs:
            d_cpu = usage["cpu_s"] - small_runs[name]["cpu_s"]
            rows[name]["small_file_cpu_s"] = round(small_runs[name]["cpu_s"], 2)
            rows[name]["marginal_tel_events_per_cpu_s"] = (
                round((n_tel_events - n_small) / d_cpu) if d_cpu > 0 else None
            )
    if repeated is not None:
        for name in rows:
            night = np.asarray(repeated[(name, "night")])
            rows[name][f"cpu_s_median_of_{args.repeat}"] = round(float(np.median(night)), 2)
            rows[name][f"cpu_s_min_of_{args.repeat}"] = round(float(night.min()), 2)
            rows[name]["tel_events_per_cpu_s_median"] = round(n_tel_events / np.median(night))
            rows[name]["tel_events_per_cpu_s_best"] = round(n_tel_events / night.min())
            if (name, "small") in repeated:
                half = np.asarray(repeated[(name, "small")])
                for how, f in (("median", np.median), ("best", np.min)):
                    d_cpu = float(f(night) - f(half))
                    rows[name][f"marginal_tel_events_per_cpu_s_{how}"] = (
                        round((n_tel_events - n_small) / d_cpu) if d_cpu > 0 else None
                    )
    rows["ours"].update(ours_accuracy(WORK / "out", truth))
    if "compare" in runs:
        rows["compare"].update(ours_accuracy(WORK / "out_compare", truth))
    if anchor_usage is not None:
        a = anchor_usage["asymmetry"]
        rows["anchor"] = {
            "wall_s": round(a["wall_s"], 2),
            "cpu_s": round(a["cpu_s"], 2),
            "tel_events_per_cpu_s": round(n_tel_events / a["cpu_s"]),
            "tel_events_per_wall_s": round(n_tel_events / a["wall_s"]),
            "peak_MiB": round(a["peak_MiB"], 1),
            "inter_tool": {k: round(v, 2) for k, v in anchor_usage["inter"].items()},
            "cross_tool": {k: round(v, 2) for k, v in anchor_usage["cross"].items()},
            "scaling_factors": products.get("scales"),
        }
        rows["anchor"].update(anchor_accuracy(products, truth))
        if "image_asymmetry" in anchor_usage:
            a = anchor_usage["image_asymmetry"]
            rows["anchor_image"] = {
                "wall_s": round(a["wall_s"], 2),
                "cpu_s": round(a["cpu_s"], 2),
                "tel_events_per_cpu_s": round(n_tel_events / a["cpu_s"]),
                "tel_events_per_wall_s": round(n_tel_events / a["wall_s"]),
                "peak_MiB": round(a["peak_MiB"], 1),
                "inter_tool": {k: round(v, 2) for k, v in anchor_usage["image_inter"].items()},
            }
            rows["anchor_image"].update(
                {k[len("image_") :]: v for k, v in anchor_image_accuracy(products, truth).items()}
            )
    result["runs"] = rows
    keys = sorted({k for r in rows.values() for k in r}, key=lambda k: list(rows["ours"]).index(k)
                  if k in rows["ours"] else 99)  # fmt: skip
    print("| quantity | " + " | ".join(rows) + " |")
    print("|---|" + "---|" * len(rows))
    for k in keys:
        print(f"| {k} | " + " | ".join(str(r.get(k, "-")) for r in rows.values()) + " |")
    print(json.dumps(result, default=float))
    if not args.keep:
        dl2.unlink()
        if small is not None:
            small.unlink()


if __name__ == "__main__":
    main()
