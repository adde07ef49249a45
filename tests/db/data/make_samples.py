"""Regenerate the sample files of the database tests and CWL jobs (run from anywhere):

    .venv/bin/python tests/db/data/make_samples.py

* ``macobac.ecsv`` + ``compute-macobac.provenance.json``: compute-macobac on the bundled
  Scripps record with ``--until 2023-06-30``;
* ``atmospheric_profile.ecsv``, ``atmospheric_transmission.ecsv`` and
  ``atmosphere-manifest.json``: a small stand-in exchange manifest (a JSON object with a
  ``files`` list of {name, sha256}; the real one is written by the atmosphere steps) with
  synthetic tables (US-Standard-like numbers, not a real model);
* ``muon_throughput_tel_001.ecsv``: a synthetic muon throughput result for tel_001;
* ``calibration.sqlite``: a database holding the macobac product (db-init then db-upload
  with a fixed ``--recorded-at``).
"""

import hashlib
import json
import shutil
import tempfile
from pathlib import Path

import numpy as np
from astropy import units as u
from astropy.table import Table

from calibpipe_tasks.cli import main

HERE = Path(__file__).resolve().parent
CO2 = HERE.parents[1] / "data" / "scripps_monthly_in_situ_co2_mlo.csv"


def sha256(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def run(*args):
    code = main([str(a) for a in args] + ["--log-level", "WARNING"])
    assert code == 0, args


def main_():
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        run("compute-macobac", "--co2-file", CO2, "--until", "2023-06-30", "--output-dir", tmp)
        shutil.copy(tmp / "macobac.ecsv", HERE)
        shutil.copy(tmp / "compute-macobac.provenance.json", HERE)

    altitude = np.arange(0.0, 6.0) * u.km
    profile = Table()
    profile["altitude"] = altitude
    profile["altitude"].description = "altitude above sea level"
    profile["density"] = 1.225e-3 * np.exp(-altitude.value / 8.4) * u.g / u.cm**3
    profile["density"].description = "mass density of air"
    profile["thickness"] = 1033.0 * np.exp(-altitude.value / 8.4) * u.g / u.cm**2
    profile["thickness"].description = "vertical column density above the altitude"
    profile["refractive_index"] = 2.8e-4 * np.exp(-altitude.value / 8.4) * u.dimensionless_unscaled
    profile["refractive_index"].description = "n - 1"
    profile.meta.update({"parameter_name": "atmospheric_profile", "site": "North"})
    profile.write(HERE / "atmospheric_profile.ecsv", format="ascii.ecsv", overwrite=True)

    transmission = Table()
    transmission["wavelength"] = np.repeat([300.0, 400.0], 3) * u.nm
    transmission["wavelength"].description = "wavelength"
    transmission["altitude"] = np.tile([3.0, 5.0, 10.0], 2) * u.km
    transmission["altitude"].description = "emission altitude above sea level"
    transmission["extinction"] = (
        np.array([0.3, 0.5, 0.7, 0.1, 0.15, 0.2]) * u.dimensionless_unscaled
    )
    transmission["extinction"].description = "optical depth from the observation level"
    transmission.meta.update(
        {"parameter_name": "atmospheric_transmission", "site": "North", "observatory_level": 2.15}
    )
    transmission.write(HERE / "atmospheric_transmission.ecsv", format="ascii.ecsv", overwrite=True)

    manifest = {
        "site": "North",
        "valid_from": "2024-03-01T18:00:00Z",
        "valid_to": "2024-03-02T08:00:00Z",
        "files": [
            {"name": n, "sha256": sha256(HERE / n)}
            for n in ("atmospheric_profile.ecsv", "atmospheric_transmission.ecsv")
        ],
    }
    (HERE / "atmosphere-manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")

    muon = Table()
    muon["optical_throughput"] = [0.182] * u.dimensionless_unscaled
    muon["optical_throughput"].description = "mean optical efficiency of the muon rings"
    muon["n_rings"] = np.array([120], dtype=np.int32)
    muon["n_rings"].description = "number of rings used"
    muon.meta.update(
        {
            "tel_id": 1,
            "validity_start": "2024-03-01T18:00:00",
            "validity_end": "2024-03-02T08:00:00",
        }
    )
    muon.write(HERE / "muon_throughput_tel_001.ecsv", format="ascii.ecsv", overwrite=True)

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        run("db-init", "--output-dir", tmp)
        up = tmp / "up"
        up.mkdir()
        run(
            "db-upload", "--database", tmp / "calibration.sqlite", "--output-dir", up,
            "--kind", "macobac", "--target", "global", "--file", HERE / "macobac.ecsv",
            "--provenance", HERE / "compute-macobac.provenance.json",
            "--valid-from", "2023-07-01", "--valid-to", "2024-07-01",
            "--recorded-at", "2024-01-01T00:00:00Z",
        )  # fmt: skip
        shutil.copy(up / "calibration.sqlite", HERE / "calibration.sqlite")


if __name__ == "__main__":
    main_()
