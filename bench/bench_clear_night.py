"""Clear-night assessment: false-clear and missed-clear rates, ours vs the anchor's rule.

Synthetic FRAM nights of every kind (tests/aerosol/fram_synthetic.py: clear, calima,
drift, clouds, few; scalar rows and vector rows of 3 stars; reported errors right or
mis-stated by 20 % either way) are assessed by

* ours: ``calibpipe_tasks.aerosol.assessment.assess_nights`` at the default thresholds;
* the anchor's published rule (ctao-calibpipe 0.8.0 ``calibpipe-clear-night-assessment``,
  re-implemented here from its description in DESIGN.md section 13, vectorised over
  nights; its code is not copied): every row of the file, VAOD = AOD cos z minus
  0.005 (420 nm / lambda)^2, sigma = aod_err cos z, mean = plain mean,
  F_var = sqrt(S^2 - <sigma^2>) / mean; "Clear Night" iff F_var <= 0.01 and mean < 0.04,
  else "Undefined" (a NaN F_var, S^2 < <sigma^2>, is "Undefined"; a mean <= 0 raises in
  the anchor, counted here as "Undefined").

Missed clear = fraction of clear nights not called clear; false clear = fraction of
calima/drift/clouds nights called clear. Prints a Markdown table for BENCHMARKS.md.

    .venv/bin/python bench/bench_clear_night.py [N_NIGHTS]   # default 2000 per kind
"""

import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from aerosol.fram_synthetic import KINDS, NOT_CLEAR, generate_nights  # noqa: E402

from calibpipe_tasks.aerosol.assessment import assess_nights  # noqa: E402
from calibpipe_tasks.aerosol.verdict import CODE_VERDICTS  # noqa: E402


def anchor_clear(night):
    """The anchor's 'Clear Night' decision per night (True/False), vectorised."""
    m = night["present"]
    cosz = np.cos(np.radians(night["zenith_deg"]))
    wl = night["wavelength_nm"]
    vaod = night["slant_aod"] * cosz - 0.005 * (420.0 / wl) ** 2
    sig = night["slant_aod_err"] * cosz
    n = m.sum(axis=1)
    mean = np.where(m, vaod, 0).sum(axis=1) / n
    s2 = np.where(m, (vaod - mean[:, None]) ** 2, 0).sum(axis=1) / (n - 1)
    excess = s2 - np.where(m, sig**2, 0).sum(axis=1) / n
    with np.errstate(invalid="ignore"):
        fvar = np.sqrt(excess) / mean
        return (mean > 0) & (fvar <= 0.01) & (mean < 0.04)


def ours(night):
    r = assess_nights(
        night["times_s"],
        night["night_length_s"],
        night["zenith_deg"],
        night["slant_aod"],
        night["slant_aod_err"],
        night["wavelength_nm"],
        night["present"],
    )
    return np.array([CODE_VERDICTS[int(c)].value for c in r["verdict_code"]])


def main():
    n_nights = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    chunk = 500
    print(f"{n_nights} nights per kind and case\n")
    print("| rows | error factor | kind | ours: clear | ours: verdicts | anchor: Clear Night |")
    print("|---|---|---|---|---|---|")
    timing = []
    for stars in (1, 3):
        for factor in (1.0, 0.8, 1.2):
            for k, kind in enumerate(KINDS):
                verdicts, anchor = [], []
                for c in range(0, n_nights, chunk):
                    seed = 1000 * stars + 100 * int(10 * factor) + 10 * k + c // chunk
                    night = generate_nights(kind, min(chunk, n_nights - c), seed, factor, stars)
                    t0 = time.perf_counter()
                    verdicts.append(ours(night))
                    timing.append((time.perf_counter() - t0, len(night["sigma"]), stars))
                    anchor.append(anchor_clear(night))
                v = np.concatenate(verdicts)
                a = np.concatenate(anchor)
                counts = ", ".join(f"{x} {np.mean(v == x):.1%}" for x in sorted(set(v)))
                rows = "scalar" if stars == 1 else f"vector ({stars})"
                label = "missed" if kind == "clear" else ("false" if kind in NOT_CLEAR else "")
                ours_rate = np.mean(v != "clear") if kind == "clear" else np.mean(v == "clear")
                anchor_rate = np.mean(~a) if kind == "clear" else np.mean(a)
                print(
                    f"| {rows} | {factor:g} | {kind} | {label} {ours_rate:.2%} | {counts} | "
                    f"{label} {anchor_rate:.2%} |"
                )
    for stars in (1, 3):
        t = sum(x for x, _, s in timing if s == stars)
        n = sum(y for _, y, s in timing if s == stars)
        print(
            f"\nours, {'scalar' if stars == 1 else 'vector'} rows: {1e3 * t / n:.2f} ms per night"
        )


if __name__ == "__main__":
    main()
