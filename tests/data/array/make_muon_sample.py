"""Write ``obs101-102.muon_throughput.ecsv``: a muon-throughput table for the array samples.

The array samples (``obs101.dl2.h5``, ``obs102.dl2.h5``; 21:00-21:20 and 22:00-22:20 UTC on
2026-03-10) are made by ``tests/array/dl2_synthetic.py`` with the known throughputs
``default_throughputs(realistic_layout(4, 9, 0))``. This table has the columns and
metadata of ``muon-throughput``'s ``muon_throughput.ecsv`` (synthetic: no muon DL1 of these
telescopes exists) with an absolute muon efficiency ``0.2 * c_t`` per telescope, 1 % chunk
errors (seeded noise), four 30-minute chunks from 20:30 UTC (the first one, 20:30-21:00,
before the array period) and telescope 13 without rings passing the cuts.

Run from the repository root: ``.venv/bin/python tests/data/array/make_muon_sample.py``.
"""

import sys
from pathlib import Path

import numpy as np
from astropy.table import Table
from astropy.time import Time, TimeDelta

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1] / "array"))

from dl2_synthetic import default_throughputs, realistic_layout  # noqa: E402

TYPE_NAME = {"LST": "LST_LST_LSTCam", "MST": "MST_MST_NectarCam", "SST": "SST_SST_CHEC"}
SCALE = 0.2
REL_ERR = 0.01
RINGS = 400


def make_table(seed=13):
    layout = realistic_layout(4, 9, 0)
    truth = default_throughputs(layout)
    rng = np.random.default_rng(seed)
    start = Time("2026-03-10T20:30:00", scale="utc").tai
    rows = []
    for tel_id in sorted(layout):
        for chunk in range(4):
            t0 = start + TimeDelta(chunk * 1800.0, format="sec")
            t1 = start + TimeDelta(chunk * 1800.0 + 1799.0, format="sec")
            no_rings = tel_id == 13
            true = SCALE * truth[tel_id]
            mean = np.nan if no_rings else true * (1 + REL_ERR * rng.standard_normal())
            sem = np.nan if no_rings else REL_ERR * true
            n = 0 if no_rings else RINGS
            rows.append(
                (
                    tel_id,
                    TYPE_NAME[layout[tel_id][0]],
                    chunk,
                    t0,
                    t1,
                    n,
                    n,
                    mean,
                    mean,
                    sem * np.sqrt(RINGS),
                    sem,
                    "9001",
                    "no rings passing cuts" if no_rings else "ok",
                )
            )
    cols = list(zip(*rows, strict=True))
    table = Table()
    table["tel_id"] = np.array(cols[0], dtype=np.int16)
    table["telescope_type"] = np.array(cols[1], dtype=str)
    table["chunk"] = np.array(cols[2], dtype=np.int32)
    table["time_start"] = Time([t.mjd for t in cols[3]], format="mjd", scale="tai")
    table["time_end"] = Time([t.mjd for t in cols[4]], format="mjd", scale="tai")
    table["n_rings"] = np.array(cols[5], dtype=np.int64)
    table["n_used"] = np.array(cols[6], dtype=np.int64)
    for k, name in enumerate(("mean", "median", "std", "sem"), start=7):
        table[name] = np.array(cols[k], dtype=float)
    table["obs_ids"] = np.array(cols[11], dtype=str)
    table["status"] = np.array(cols[12], dtype=str)
    for name in ("time_start", "time_end"):
        table[name].format = "isot"
    table.meta.update(
        {
            "product": "optical throughput from muon rings",
            "use_case": "UC-120-2.2",
            "method": "Muon Rings",
            "chunking": "1800 s",
            "note": "synthetic sample for the array samples, tests/data/array/make_muon_sample.py",
        }
    )
    return table, truth


if __name__ == "__main__":
    table, _ = make_table()
    table.write(HERE / "obs101-102.muon_throughput.ecsv", format="ascii.ecsv", overwrite=True)
