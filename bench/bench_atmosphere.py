"""Benchmark: one night's molecular atmosphere model, calibpipe-tasks vs ctao-calibpipe 0.8.0.

    .venv/bin/python bench/bench_atmosphere.py [--repeat 5] [--skip-reference]

calibpipe-tasks: ``compute_model`` (profile on the 55-level grid, Rayleigh optical
depth for 801 wavelengths x 53 emission altitudes, 5-layer fit) plus writing its
products, in process, best of ``--repeat`` runs after one warm-up; and the
``create-atmospheric-model`` command line once (process start and imports included).

ctao-calibpipe 0.8.0's ``CreateMolecularAtmosphericModel`` needs a PostgreSQL server and
live downloads, so the benchmark runs the physics it calls: ``molecularprofiles`` 3.0.0
``MolecularProfile.get_data`` -> ``create_molecular_density_profile`` (reference
selection) -> ``create_atmospheric_profile`` -> ``create_rayleigh_extinction_profile``
(200-1000 nm, the same 53 emission altitudes) -> ECSV files, as
``molecular_atmospheric_model_producer.py`` does. It is installed by this script into a
separate Python 3.12 venv (``$(pyenv root)/versions/3.12.1/bin/python3.12 -m venv``)
under ``~/.cache/calibpipe-tasks-bench``. Both read the same meteorological input
(``tests/data/meteo_north_era5like.ecsv``, converted to molecularprofiles' ECSV
columns), the same 12-MACOBAC and the same CTAO v0 reference model.
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

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data"
METEO = DATA / "meteo_north_era5like.ecsv"
MACOBAC = DATA / "macobac_sample.ecsv"
REFERENCE_NAME = "reference_atmo_model_v0_ctao-north_winter.ecsv"
CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "calibpipe-tasks-bench"
MP_VENV = CACHE / "molecularprofiles-venv"
MP_REQUIREMENT = "molecularprofiles==3.0.0"

# runs inside the molecularprofiles venv: argv = meteo_in, reference, co2, altitudes_json, outdir
MOLECULARPROFILES_SCRIPT = r"""
import json, sys, time
import numpy as np
import astropy.units as u
from astropy.table import Table
t_import = time.perf_counter()
from molecularprofiles.molecularprofiles import MolecularProfile
from molecularprofiles.utils.constants import (
    DENSITY_SCALE_HEIGHT, STD_AIR_PRESSURE, STD_AIR_TEMPERATURE, STD_NUMBER_DENSITY,
)
t_import = time.perf_counter() - t_import
meteo_in, reference_path, co2, altitudes, outdir = sys.argv[1:6]
co2 = float(co2)
altitudes = np.array(json.loads(altitudes)) * u.km

# the same rows in molecularprofiles' ECSV layout (as calibpipe's data handlers write it)
m = Table.read(meteo_in, format="ascii.ecsv")
data = Table()
data["Pressure"] = m["pressure"].quantity.to(u.hPa)
data["Altitude"] = m["altitude"].quantity.to(u.m)
data["Temperature"] = m["temperature"].quantity.to(u.K)
data["Relative humidity"] = m["relative_humidity"].quantity.to(u.percent)
data["Density"] = (STD_NUMBER_DENSITY * data["Pressure"] / STD_AIR_PRESSURE
                   * STD_AIR_TEMPERATURE / data["Temperature"]).to(1 / u.cm**3)
data["Exponential Density"] = (data["Density"] / STD_NUMBER_DENSITY
                               * np.exp(data["Altitude"] / DENSITY_SCALE_HEIGHT)).decompose()
data["Wind Speed"] = np.zeros(len(m)) * u.m / u.s
data["Wind Direction"] = np.zeros(len(m)) * u.deg
merged = f"{outdir}/merged_file.ecsv"
data.write(merged, format="ascii.ecsv", overwrite=True)
reference = Table.read(reference_path, format="ascii.ecsv")
columns = ["Pressure", "Altitude", "Density", "Temperature", "Wind Speed", "Wind Direction",
           "Relative humidity", "Exponential Density"]

timings = {}
cpu0 = time.process_time()
t0 = time.perf_counter()
profile = MolecularProfile(merged, stat_columns=columns)
profile.get_data()
mdp = profile.create_molecular_density_profile()
timings["get_data_and_mdp"] = time.perf_counter() - t0
t1 = time.perf_counter()
atmospheric = profile.create_atmospheric_profile(co2_concentration=co2,
                                                 reference_atmosphere=reference)
timings["atmospheric_profile"] = time.perf_counter() - t1
t2 = time.perf_counter()
extinction = profile.create_rayleigh_extinction_profile(
    co2_concentration=co2, wavelength_min=200 * u.nm, wavelength_max=1001 * u.nm,
    reference_atmosphere=reference, rayleigh_scattering_altitude_bins=altitudes)
timings["rayleigh_extinction"] = time.perf_counter() - t2
t3 = time.perf_counter()
atmospheric.write(f"{outdir}/contemporary_atmospheric_profile.ecsv", format="ascii.ecsv")
extinction.write(f"{outdir}/contemporary_rayleigh_extinction_profile.ecsv",
                 format="ascii.ecsv")
timings["write"] = time.perf_counter() - t3
timings["total"] = time.perf_counter() - t0
timings["total_cpu"] = time.process_time() - cpu0
timings["import"] = t_import
timings["n_extinction_rows"] = len(extinction)
timings["n_wavelengths"] = len(extinction.colnames) - 2
timings["n_profile_rows"] = len(atmospheric)
print(json.dumps(timings))
"""


def pyenv_python312():
    try:
        root = subprocess.run(["pyenv", "root"], capture_output=True, text=True, check=True)
        candidate = Path(root.stdout.strip()) / "versions" / "3.12.1" / "bin" / "python3.12"
        if candidate.exists():
            return str(candidate)
    except (OSError, subprocess.CalledProcessError):
        pass
    found = shutil.which("python3.12")
    if not found:
        sys.exit("error: no Python 3.12 found for the molecularprofiles venv")
    return found


def ensure_molecularprofiles_venv():
    python = MP_VENV / "bin" / "python"
    probe = [str(python), "-c", "import molecularprofiles.molecularprofiles"]
    if python.exists() and subprocess.run(probe, capture_output=True).returncode == 0:
        return python
    CACHE.mkdir(parents=True, exist_ok=True)
    print(f"creating {MP_VENV} and installing {MP_REQUIREMENT} ...", file=sys.stderr)
    subprocess.run([pyenv_python312(), "-m", "venv", "--clear", str(MP_VENV)], check=True)
    pip = [str(python), "-m", "pip", "install", "--quiet"]
    subprocess.run([*pip, MP_REQUIREMENT], check=True)
    return python


def bench_ours(repeat, workdir):
    import numpy as np

    from calibpipe_tasks import units
    from calibpipe_tasks.atmosphere.model_products import compute_model, extinction_table
    from calibpipe_tasks.io.ecsv_numeric import write_numeric_ecsv
    from calibpipe_tasks.io.meteo_table import read_meteo_table
    from calibpipe_tasks.io.reference_atmosphere import default_reference_dir, read_reference_model

    units.enable()
    from astropy.table import Table

    meteo = read_meteo_table(METEO)
    reference = read_reference_model(default_reference_dir() / REFERENCE_NAME)
    co2 = float(Table.read(MACOBAC, format="ascii.ecsv")["co2_concentration"][0])
    wavelengths = np.arange(200.0, 1001.0)

    def once(write, clock):
        t0 = clock()
        products = compute_model(meteo, reference, co2, wavelengths)
        t1 = clock()
        if write:
            products.profile.write(workdir / "p.ecsv", format="ascii.ecsv", overwrite=True)
            write_numeric_ecsv(
                extinction_table(products.extinction), workdir / "e.ecsv", ("%g", "%.6f", "%.10e")
            )
            products.layer_fit.write(workdir / "f.ecsv", format="ascii.ecsv", overwrite=True)
        return t1 - t0, clock() - t0, products

    once(True, time.perf_counter)  # warm-up
    compute = min(once(False, time.perf_counter)[0] for _ in range(repeat))
    compute_cpu = min(once(False, time.process_time)[0] for _ in range(repeat))
    with_files = min(once(True, time.perf_counter)[1] for _ in range(repeat))
    with_files_cpu = min(once(True, time.process_time)[1] for _ in range(repeat))
    products = once(False, time.perf_counter)[2]
    cli_dir = workdir / "cli"
    cli_dir.mkdir()
    exe = Path(sys.executable).parent / "calibpipe-tasks"
    ref = default_reference_dir() / REFERENCE_NAME
    cmd = [str(exe), "create-atmospheric-model", "--meteo", str(METEO), "--macobac",
           str(MACOBAC), "--reference-model", str(ref), "--log-level", "WARNING"]  # fmt: skip
    t0 = time.perf_counter()
    usage0 = os.times()
    subprocess.run(cmd, cwd=cli_dir, check=True)
    usage1 = os.times()
    cli = time.perf_counter() - t0
    cli_cpu = (usage1.children_user - usage0.children_user) + (
        usage1.children_system - usage0.children_system
    )
    return {
        "compute": compute,
        "compute_cpu": compute_cpu,
        "compute_and_files": with_files,
        "compute_and_files_cpu": with_files_cpu,
        "cli_wall": cli,
        "cli_cpu": cli_cpu,
        "co2": co2,
        "emission_altitudes": products.extinction.emission_altitude_km.tolist(),
        "shape": list(products.extinction.optical_depth.shape),
    }


def bench_reference(ours, workdir):
    from calibpipe_tasks.io.reference_atmosphere import default_reference_dir

    python = ensure_molecularprofiles_venv()
    script = workdir / "run_molecularprofiles.py"
    script.write_text(MOLECULARPROFILES_SCRIPT)
    outdir = workdir / "molecularprofiles"
    outdir.mkdir()
    cmd = [str(python), str(script), str(METEO), str(default_reference_dir() / REFERENCE_NAME),
           str(ours["co2"]), json.dumps(ours["emission_altitudes"]), str(outdir)]  # fmt: skip
    t0 = time.perf_counter()
    usage0 = os.times()
    result = subprocess.run(cmd, capture_output=True, text=True, cwd=outdir)
    usage1 = os.times()
    wall = time.perf_counter() - t0
    cpu = (usage1.children_user - usage0.children_user) + (
        usage1.children_system - usage0.children_system
    )
    if result.returncode != 0:
        sys.exit(f"molecularprofiles run failed:\n{result.stderr[-3000:]}")
    timings = json.loads(result.stdout.strip().splitlines()[-1])
    timings["process_wall"] = wall
    timings["process_cpu"] = cpu
    return timings


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--skip-reference", action="store_true", help="time calibpipe-tasks only")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        ours = bench_ours(args.repeat, workdir)
        print(f"calibpipe-tasks: optical depth {ours['shape'][0]} wavelengths x "
              f"{ours['shape'][1]} altitudes")  # fmt: skip
        print(f"  (best of {args.repeat})                     wall [ms]   CPU [ms]")
        wall, cpu = ours["compute"] * 1e3, ours["compute_cpu"] * 1e3
        print(f"  compute                   {wall:10.1f} {cpu:10.1f}")
        print(
            f"  compute + 3 ECSV files    {ours['compute_and_files'] * 1e3:10.1f} "
            f"{ours['compute_and_files_cpu'] * 1e3:10.1f}"
        )
        wall, cpu = ours["cli_wall"] * 1e3, ours["cli_cpu"] * 1e3
        print(f"  command line (1 run)      {wall:10.1f} {cpu:10.1f}")
        if args.skip_reference:
            return
        theirs = bench_reference(ours, workdir)
        print("molecularprofiles 3.0.0 (ctao-calibpipe 0.8.0's physics):")
        for key in ("get_data_and_mdp", "atmospheric_profile", "rayleigh_extinction", "write"):
            print(f"  {key:<27}  {theirs[key]:10.2f} s")
        print(
            f"  total (after imports):       {theirs['total']:10.2f} s wall, "
            f"{theirs['total_cpu']:.2f} s CPU"
        )
        print(
            f"  process:                     {theirs['process_wall']:10.2f} s wall, "
            f"{theirs['process_cpu']:.2f} s CPU"
        )
        print(f"  extinction rows x wavelengths: {theirs['n_extinction_rows']} x "
              f"{theirs['n_wavelengths']}")  # fmt: skip
        print("ratios (molecularprofiles / calibpipe-tasks)      wall        CPU")
        print(
            f"  compute                   {theirs['total'] / ours['compute']:10.0f} "
            f"{theirs['total_cpu'] / ours['compute_cpu']:10.0f}"
        )
        print(
            f"  compute + files           {theirs['total'] / ours['compute_and_files']:10.0f} "
            f"{theirs['total_cpu'] / ours['compute_and_files_cpu']:10.0f}"
        )
        print(
            f"  whole process             {theirs['process_wall'] / ours['cli_wall']:10.0f} "
            f"{theirs['process_cpu'] / ours['cli_cpu']:10.0f}"
        )


if __name__ == "__main__":
    main()
