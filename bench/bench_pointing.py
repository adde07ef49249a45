"""Benchmark of the star tracking (track-stars' pure core and fit-pointing's fit).

    .venv/bin/python bench/bench_pointing.py [--events 600] [--chunks 3]

One LST-like telescope, sky pedestals at 10 Hz: chunks of ``--events`` events (60 s) of a
synthetic field (tests/pointing/star_field.py, a known mis-pointing of (60″, −120″)), tracked
with the whole chunk stacked and with stacks of 10 events. Prints the CPU time per
star-event (CPU seconds / (events × stars tracked)), per chunk and extrapolated per
telescope-run (10 Hz × 20 min), the peak resident memory, and the accuracy (fitted minus
true correction, and its error).

The reference is ctao-calibpipe 0.8.0's ``calibpipe-star-tracking``: 22–35 ms per star-event
on synthetic data (DESIGN.md §11, measured by the design session; it is NOT re-run here).
"""

import argparse
import json
import resource
import sys
import time
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "pointing"))
sys.path.insert(0, str(ROOT / "tests"))  # synthetic_dl1: the hand-built telescopes
ANCHOR_MS = (22.0, 35.0)
ARCSEC = np.deg2rad(1 / 3600)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=600)
    parser.add_argument("--chunks", type=int, default=3)
    args = parser.parse_args(argv)

    from astropy.utils import iers

    iers.conf.auto_download = False
    iers.conf.auto_max_age = None
    warnings.simplefilter("ignore", RuntimeWarning)
    from star_field import FieldSpec, make_star_field

    from calibpipe_tasks.io.star_tracking import read_catalogue
    from calibpipe_tasks.pointing.correction_fit import fit_pointing_correction
    from calibpipe_tasks.pointing.refraction import SiteWeather
    from calibpipe_tasks.pointing.tracking import TrackingSettings, track_chunk

    truth = (60.0, -120.0)
    results = []
    for stack in (None, 10):
        cpu_track = cpu_fit = 0.0
        star_events = 0
        errors = []
        for chunk in range(args.chunks):
            spec = FieldSpec(
                n_events=args.events,
                offsets={1: truth},
                seed=chunk,
                altitude=70.0,
                azimuth=20.0 + 0.3 * chunk,
            )
            field = make_star_field(spec, 1)
            catalogue = read_catalogue("Hipparcos", field["times"][0])
            weather = SiteWeather(
                spec.pressure_hpa, spec.temperature_c, spec.relative_humidity, "truth"
            )
            settings = TrackingSettings(psf_sigma_deg=0.04, stack_size=stack)
            t0 = time.process_time()
            rows = track_chunk(
                field["images"],
                field["times"],
                field["pointing_alt"],
                field["pointing_az"],
                field["pix_lon"],
                field["pix_lat"],
                catalogue,
                field["location"],
                weather,
                settings,
            )
            t1 = time.process_time()
            ok = rows["flag"] == 0
            fit = fit_pointing_correction(
                rows["star_alt"][ok],
                rows["star_az"][ok],
                rows["pointing_alt"][ok],
                rows["pointing_az"][ok],
                rows["x"][ok],
                rows["y"][ok],
                rows["cov_xx"][ok],
                rows["cov_xy"][ok],
                rows["cov_yy"][ok],
                rows["star_id"][ok],
            )
            t2 = time.process_time()
            cpu_track += t1 - t0
            cpu_fit += t2 - t1
            star_events += args.events * rows["n_catalogue"]
            err = np.sqrt(np.diag(fit["covariance"])) / ARCSEC
            errors.append(
                (
                    fit["delta_alt"] / ARCSEC - truth[0],
                    fit["delta_az"] / ARCSEC - truth[1],
                    err[0],
                    err[1],
                    fit["n_stars"],
                )
            )
        e = np.array(errors)
        ms = 1e3 * (cpu_track + cpu_fit) / star_events
        per_run = (cpu_track + cpu_fit) / args.chunks * (1200 * 10 / args.events)
        results.append(
            dict(
                stack="chunk" if stack is None else stack,
                events_per_chunk=args.events,
                star_events=int(star_events),
                cpu_track_s=round(cpu_track, 3),
                cpu_fit_s=round(cpu_fit, 3),
                ms_per_star_event=round(ms, 4),
                speedup_vs_anchor=(round(ANCHOR_MS[0] / ms), round(ANCHOR_MS[1] / ms)),
                cpu_s_per_telescope_run=round(per_run, 2),
                delta_alt_minus_truth=np.round(e[:, 0], 1).tolist(),
                delta_az_minus_truth=np.round(e[:, 1], 1).tolist(),
                delta_alt_error=np.round(e[:, 2], 1).tolist(),
                delta_az_error=np.round(e[:, 3], 1).tolist(),
            )
        )
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        "| stack | ms CPU / star-event | × faster than anchor (22–35 ms) | CPU s / telescope-run |"
    )
    print("|---|---|---|---|")
    for r in results:
        print(
            f"| {r['stack']} | {r['ms_per_star_event']:.4f} | {r['speedup_vs_anchor'][0]}–"
            f"{r['speedup_vs_anchor'][1]} | {r['cpu_s_per_telescope_run']:.1f} |"
        )
    print(f"peak resident memory (generator included): {peak_mb:.0f} MB")
    print(json.dumps({"pointing": results, "peak_rss_mb": round(peak_mb)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
