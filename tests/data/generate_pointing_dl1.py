"""Regenerate the small synthetic star-field sample in tests/data/pointing/ (used by the CWL jobs).

    .venv/bin/python tests/data/generate_pointing_dl1.py [--star-positions-only]

One run of 60 sky-pedestal events (10 Hz) of an LST-like (tel 1) and an MST-like (tel 2)
telescope tracking a field at altitude 65°, azimuth 20° from La Palma, written as
``ctapipe-process`` with the VarianceExtractor would (see tests/pointing/star_field.py);
the true mis-pointing is (δalt, δaz) = (60″, -120″) for tel 1 and (-90″, 45″) for tel 2
(truth.ecsv). ``star_field.r1.h5``: 12 R1 sky-pedestal events of the LST only (20 samples
per waveform; δalt, δaz = 60″, -120″), the input of ctapipe-process in the
pointing-calibration workflow job. ``star_positions.h5`` is what ``track-stars`` makes of
the DL1 sample (input of the fit-pointing job); ``--star-positions-only`` remakes only it
from the committed DL1 sample (after a change of the tracker).
"""

import sys
import warnings
from pathlib import Path

from astropy.table import Table
from astropy.utils import iers

HERE = Path(__file__).resolve().parent / "pointing"
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "pointing"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # synthetic_dl1

from star_field import FieldSpec, write_star_field, write_star_field_r1  # noqa: E402

from calibpipe_tasks.cli import main as calibpipe_tasks  # noqa: E402
from calibpipe_tasks.io.dl1_files import hdf5_without_timestamps  # noqa: E402

SPEC = FieldSpec(
    telescopes={1: "LST", 2: "MST"},
    offsets={1: (60.0, -120.0), 2: (-90.0, 45.0)},
    altitude=65.0,
    n_events=60,
    broken_pixels={1: [5, 6]},
    seed=12,
    staircase_pixels=True,  # as the committed sample was made
)
#: the R1 sample (input of ctapipe-process in the workflow job): LST only, 12 events, 20 samples
SPEC_R1 = FieldSpec(
    telescopes={1: "LST"},
    offsets={1: (60.0, -120.0)},
    altitude=65.0,
    n_events=12,
    seed=13,
    staircase_pixels=True,
)


def main():
    iers.conf.auto_download = False
    iers.conf.auto_max_age = None
    warnings.simplefilter("ignore", RuntimeWarning)
    HERE.mkdir(exist_ok=True)
    path = HERE / "star_field.dl1.h5"
    if "--star-positions-only" in sys.argv[1:]:
        track_stars(path)
        return
    with hdf5_without_timestamps():
        write_star_field(path, SPEC)
    print(f"wrote {path} ({path.stat().st_size} bytes)")
    truth = Table(
        rows=[(t, *SPEC.offsets[t]) for t in sorted(SPEC.telescopes)],
        names=["tel_id", "delta_alt", "delta_az"],
    )
    truth["delta_alt"].unit = truth["delta_az"].unit = "arcsec"
    truth.write(HERE / "truth.ecsv", overwrite=True)
    track_stars(path)
    r1 = HERE / "star_field.r1.h5"
    with hdf5_without_timestamps():
        write_star_field_r1(r1, SPEC_R1)
    print(f"wrote {r1} ({r1.stat().st_size} bytes)")


def track_stars(path):
    """``star_positions.h5``: track-stars on the DL1 sample (its other products removed)."""
    argv = ["track-stars", "--input", str(path), "--output-dir", str(HERE)]
    argv += ["--provenance-log", "track-stars.provenance.json", "--log-level", "WARNING"]
    assert calibpipe_tasks(argv) == 0
    for name in ("track-stars.provenance.json", "star_positions.ecsv", "star_chunks.ecsv"):
        (HERE / name).unlink()
    print(f"wrote {HERE / 'star_positions.h5'}")


if __name__ == "__main__":
    main()
