"""Synthetic ctapipe DL2 files of telescopes with known optical throughputs.

No instrument description can be downloaded here, so the telescopes are built by
hand (:func:`build_subarray`): LST-, MST- and SST-like single-mirror telescopes
with small hexagonal cameras at realistic positions (:func:`realistic_layout`:
four LSTs on a 70 m square around the centre, MSTs on rings of 160-330 m, SSTs
on rings of 450-900 m). Each telescope has a **known throughput** ``c_t`` (a type
offset times a few per cent spread, :func:`default_throughputs`).

Showers: energies from a power law, cores uniform on a disc. The mean image
amplitude of telescope ``t`` is

    mu_t = c_t * yield_T * E * shower * f(d_t)

with ``yield_T`` the photo-electrons per TeV of the type at the plateau, ``f`` a
lateral distribution (flat to ``ldf_plateau_m``, then exponential with
``ldf_scale_m``), ``d_t`` the impact distance and ``shower`` a log-normal factor
common to all telescopes of the event (shower-to-shower fluctuations, which
cancel in ratios). The measured amplitude is log-normal around ``mu_t`` with
``sigma^2 = 1/max(mu_t, 30) + intrinsic^2`` (photo-electron statistics and a
per-telescope intrinsic fluctuation), the telescope triggers if it exceeds the type's
threshold, an event is written if at least two telescopes triggered. The
reported impact distance has a relative error, and the per-telescope energy is
what an unbiased regressor trained with nominal throughput reconstructs:
amplitude / (yield_T * f(d_t)) times a log-normal regressor error, so it scales
with ``c_t`` like the amplitude. ``noise_free=True`` switches every fluctuation
off (and with ``ldf_plateau_m`` large the amplitude ratio of two telescopes is
exactly their throughput ratio).

The file is written with ctapipe's own writers (:meth:`SubarrayDescription.to_hdf`,
:func:`ctapipe.io.write_table`) in the layout ``ctapipe-process`` /
``ctapipe-apply-models`` write: ``/configuration/instrument``,
``/dl1/event/subarray/trigger`` (``tels_with_trigger`` mask), ``/dl1/event/telescope/trigger``,
``/dl1/event/telescope/parameters/tel_NNN`` (``hillas_intensity``, ...),
``/dl2/event/telescope/energy/<Regressor>/tel_NNN``,
``/dl2/event/telescope/impact/<Reco>/tel_NNN``, ``/dl2/event/subarray/geometry/<Reco>``
and, with ``gammaness=True``, ``/dl2/event/subarray/classification/<Classifier>``;
ctapipe's :class:`~ctapipe.io.TableLoader` reads it.

Command line: ``python tests/array/dl2_synthetic.py OUT.h5 [--events N] [--seed S]``.
"""

import argparse
import warnings
from dataclasses import dataclass, field

import astropy.units as u
import numpy as np
from astropy.coordinates import EarthLocation
from astropy.table import Table
from astropy.time import Time

REGRESSOR = "RandomForestRegressor"
RECONSTRUCTOR = "HillasReconstructor"
CLASSIFIER = "RandomForestClassifier"

#: hand-built kinds: focal length [m], mirror area [m2], pixel pitch [m], pixel rings, camera,
#: photo-electrons per TeV at the plateau, trigger threshold [p.e.]
KINDS = {
    "LST": dict(
        focal=28.0,
        area=386.0,
        pitch=0.05,
        rings=4,
        camera="LSTCam",
        pe_per_tev=2500.0,
        threshold=60.0,
    ),
    "MST": dict(
        focal=16.0,
        area=106.0,
        pitch=0.05,
        rings=4,
        camera="NectarCam",
        pe_per_tev=700.0,
        threshold=60.0,
    ),
    "SST": dict(
        focal=2.15, area=8.0, pitch=0.006, rings=4, camera="CHEC", pe_per_tev=60.0, threshold=40.0
    ),
}
#: true type offset of the throughput (the cross-calibration truth, relative to each other)
TYPE_OFFSET = {"LST": 1.00, "MST": 0.92, "SST": 1.08}


def realistic_layout(n_lst=4, n_mst=9, n_sst=0):
    """``tel_id -> (kind, x, y)`` [m]: LSTs near the centre, MSTs and SSTs on rings.

    Ids are 1.. for the LSTs, then the MSTs, then the SSTs.
    """
    layout = {}
    tel_id = 1
    lst = [(-70.0, -70.0), (70.0, -70.0), (70.0, 70.0), (-70.0, 70.0), (0.0, 0.0)]
    for x, y in lst[:n_lst]:
        layout[tel_id] = ("LST", x, y)
        tel_id += 1
    for kind, n, radii in (("MST", n_mst, (160.0, 330.0)), ("SST", n_sst, (450.0, 900.0))):
        per_ring = max(1, int(np.ceil(n / len(radii))))
        for i in range(n):
            ring, k = divmod(i, per_ring)
            n_here = min(per_ring, n - ring * per_ring)
            phi = 2 * np.pi * (k + 0.5 * ring) / n_here
            r = radii[min(ring, len(radii) - 1)]
            layout[tel_id] = (kind, round(r * np.cos(phi), 2), round(r * np.sin(phi), 2))
            tel_id += 1
    return layout


def default_throughputs(layout, spread=0.04, seed=1):
    """Known throughputs: the type offset times ``1 + spread * N(0, 1)``, per telescope."""
    rng = np.random.default_rng(seed)
    ids = sorted(layout)
    factors = 1 + spread * rng.standard_normal(len(ids))
    return {t: TYPE_OFFSET[layout[t][0]] * float(f) for t, f in zip(ids, factors, strict=True)}


def telescope_description(kind):
    """A hand-built single-mirror telescope of ``kind`` (LST, MST or SST)."""
    from synthetic_dl1 import single_mirror_telescope

    spec = KINDS[kind]
    return single_mirror_telescope(
        kind, spec["camera"], spec["focal"], spec["area"], spec["pitch"], spec["rings"]
    )


def build_subarray(layout, name="synthetic-array"):
    """A :class:`~ctapipe.instrument.SubarrayDescription` of the ``layout``."""
    from ctapipe.instrument import SubarrayDescription

    kinds = sorted({kind for kind, *_ in layout.values()})
    descriptions = {kind: telescope_description(kind) for kind in kinds}
    return SubarrayDescription(
        name=name,
        tel_positions={t: [x, y, 0.0] * u.m for t, (_, x, y) in layout.items()},
        tel_descriptions={t: descriptions[kind] for t, (kind, *_) in layout.items()},
        reference_location=EarthLocation(lon=-17.89 * u.deg, lat=28.76 * u.deg, height=2200 * u.m),
    )


@dataclass
class DL2Spec:
    """What one synthetic DL2 file (one observation block) contains."""

    obs_id: int = 1
    n_showers: int = 20000
    seed: int = 0
    layout: dict = field(default_factory=realistic_layout)
    throughput: dict | None = None  # tel_id -> c_t; default: default_throughputs(layout)
    start: str = "2026-03-10T22:00:00"
    duration_s: float = 1200.0
    e_min_tev: float = 0.05
    e_max_tev: float = 50.0
    spectral_index: float = 2.0
    core_radius_m: float = 600.0
    ldf_plateau_m: float = 120.0
    ldf_scale_m: float = 100.0
    shower_sigma: float = 0.3
    intrinsic_sigma: float = 0.10
    impact_rel_error: float = 0.05
    regressor_sigma: float = 0.08
    noise_free: bool = False
    gammaness: bool = False
    #: telescope ids written in this order in the tables (default ascending)
    write_order: list | None = None

    def throughputs(self):
        return default_throughputs(self.layout) if self.throughput is None else self.throughput


@dataclass
class DL2Truth:
    """The injected truth: per-telescope throughput and telescope type."""

    throughput: dict
    kind: dict

    def inter(self):
        """``tel_id -> c_t / geometric mean of c over its kind`` (the type-mean gauge)."""
        out = {}
        for kind in set(self.kind.values()):
            ids = [t for t in self.throughput if self.kind[t] == kind]
            gm = np.exp(np.mean([np.log(self.throughput[t]) for t in ids]))
            out.update({t: self.throughput[t] / gm for t in ids})
        return out

    def absolute(self, reference_kind):
        """``tel_id -> c_t / geometric mean of c over the reference kind``."""
        ids = [t for t in self.throughput if self.kind[t] == reference_kind]
        gm = np.exp(np.mean([np.log(self.throughput[t]) for t in ids]))
        return {t: c / gm for t, c in self.throughput.items()}


#: photo-electrons below which the amplitude fluctuation no longer grows
PE_FLOOR = 30.0
#: showers simulated at once (memory: n x n_tel arrays)
SHOWER_BLOCK = 50000


def simulate(spec):
    """Simulate the telescope events of ``spec`` (in blocks of :data:`SHOWER_BLOCK` showers).

    Returns
    -------
    events : dict of ndarray
        ``event_id``, ``time_mjd`` (TAI), ``mask`` (n_events x n_tel bool, column order
        of ascending tel_id) and ``gammaness``.
    tel : dict of ndarray
        Telescope events (event order, then tel_id): ``event_index``, ``tel_id``,
        ``intensity``, ``energy`` [TeV], ``impact`` [m].
    truth : DL2Truth
    """
    if spec.n_showers <= SHOWER_BLOCK:
        return _simulate_block(spec, spec.seed, spec.n_showers)
    parts = []
    for k, start in enumerate(range(0, spec.n_showers, SHOWER_BLOCK)):
        n = min(SHOWER_BLOCK, spec.n_showers - start)
        parts.append(_simulate_block(spec, [spec.seed, k], n))
    offsets = np.cumsum([0] + [len(p[0]["event_id"]) for p in parts])
    n_ev = int(offsets[-1])
    rng = np.random.default_rng([spec.seed, 10**6])
    t0 = Time(spec.start, scale="utc").tai.mjd
    events = {
        "event_id": np.arange(1, n_ev + 1, dtype=np.int64) * 10 + spec.obs_id % 7,
        "time_mjd": t0 + np.sort(rng.random(n_ev)) * spec.duration_s / 86400.0,
        "mask": np.concatenate([p[0]["mask"] for p in parts]),
        "gammaness": np.concatenate([p[0]["gammaness"] for p in parts]),
    }
    tel = {
        key: np.concatenate(
            [
                p[1][key] + (off if key == "event_index" else 0)
                for p, off in zip(parts, offsets[:-1], strict=True)
            ]
        )
        for key in parts[0][1]
    }
    return events, tel, parts[0][2]


def _simulate_block(spec, seed, n):
    rng = np.random.default_rng(seed)
    ids = np.array(sorted(spec.layout))
    kinds = [spec.layout[t][0] for t in ids]
    c = spec.throughputs()
    ct = np.array([c[t] for t in ids])
    pos = np.array([[spec.layout[t][1], spec.layout[t][2]] for t in ids])
    pe = np.array([KINDS[k]["pe_per_tev"] for k in kinds])
    thr = np.array([KINDS[k]["threshold"] for k in kinds])

    a = 1 - spec.spectral_index
    u01 = rng.random(n)
    energy = (spec.e_min_tev**a + u01 * (spec.e_max_tev**a - spec.e_min_tev**a)) ** (1 / a)
    r = spec.core_radius_m * np.sqrt(rng.random(n))
    phi = 2 * np.pi * rng.random(n)
    core = np.stack([r * np.cos(phi), r * np.sin(phi)], axis=1)
    d = np.hypot(core[:, None, 0] - pos[None, :, 0], core[:, None, 1] - pos[None, :, 1])

    def ldf(dist):
        return np.exp(-np.maximum(dist - spec.ldf_plateau_m, 0.0) / spec.ldf_scale_m)

    noise = 0.0 if spec.noise_free else 1.0
    shower = np.exp(noise * spec.shower_sigma * rng.standard_normal(n))
    mu = ct[None, :] * pe[None, :] * (energy * shower)[:, None] * ldf(d)
    # photo-electron statistics; below PE_FLOOR p.e. the log-normal width is that of PE_FLOOR
    # (a log-normal of width 1/sqrt(mu) for mu << 1 would throw images of 1e10 p.e.)
    sigma = np.sqrt(1.0 / np.maximum(mu, PE_FLOOR) + spec.intrinsic_sigma**2)
    amp = mu * np.exp(noise * sigma * rng.standard_normal(mu.shape))
    trig = amp > thr[None, :]
    keep = trig.sum(axis=1) >= 2
    amp, trig, d = amp[keep], trig[keep], d[keep]
    n_ev = int(keep.sum())

    impact = d * np.exp(noise * spec.impact_rel_error * rng.standard_normal(d.shape))
    # an unbiased regressor: the true lateral distribution, a log-normal error on top
    e_tel = amp / (pe[None, :] * ldf(d))
    e_tel *= np.exp(noise * spec.regressor_sigma * rng.standard_normal(d.shape))

    t0 = Time(spec.start, scale="utc").tai.mjd
    time_mjd = t0 + np.sort(rng.random(n_ev)) * spec.duration_s / 86400.0
    ev_idx, tel_idx = np.nonzero(trig)
    events = {
        "event_id": np.arange(1, n_ev + 1, dtype=np.int64) * 10 + spec.obs_id % 7,
        "time_mjd": time_mjd,
        "mask": trig,
        "gammaness": rng.uniform(0.0, 1.0, n_ev),
    }
    tel = {
        "event_index": ev_idx,
        "tel_id": ids[tel_idx],
        "intensity": amp[ev_idx, tel_idx],
        "energy": e_tel[ev_idx, tel_idx],
        "impact": impact[ev_idx, tel_idx],
    }
    truth = DL2Truth(
        throughput={int(t): float(c[t]) for t in ids},
        kind={int(t): k for t, k in zip(ids, kinds, strict=True)},
    )
    return events, tel, truth


def write_dl2(path, spec):
    """Write the DL2 file of ``spec`` to ``path``; returns the :class:`DL2Truth`."""
    import tables
    from ctapipe.io import write_table

    events, tel, truth = simulate(spec)
    subarray = build_subarray(spec.layout)
    subarray.to_hdf(path, overwrite=True)
    obs = np.full(len(events["event_id"]), spec.obs_id, dtype=np.int32)
    times = Time(events["time_mjd"], format="mjd", scale="tai")
    trigger = Table(
        {
            "obs_id": obs,
            "event_id": events["event_id"],
            "time": times,
            "tels_with_trigger": events["mask"],
            "event_type": np.full(len(obs), 32, dtype=np.uint8),
        }
    )
    write_table(trigger, path, "/dl1/event/subarray/trigger")
    ev = tel["event_index"]
    tel_obs = np.full(len(ev), spec.obs_id, dtype=np.int32)
    tel_event = events["event_id"][ev]
    tel_trigger = Table(
        {
            "obs_id": tel_obs,
            "event_id": tel_event,
            "tel_id": tel["tel_id"].astype(np.int16),
            "time": times[ev],
            "n_trigger_pixels": np.full(len(ev), -1, dtype=np.int32),
        }
    )
    write_table(tel_trigger, path, "/dl1/event/telescope/trigger")
    geometry = Table(
        {
            "obs_id": obs,
            "event_id": events["event_id"],
            f"{RECONSTRUCTOR}_is_valid": np.ones(len(obs), dtype=bool),
            f"{RECONSTRUCTOR}_telescopes": events["mask"],
        }
    )
    write_table(geometry, path, f"/dl2/event/subarray/geometry/{RECONSTRUCTOR}")
    if spec.gammaness:
        cls = Table(
            {
                "obs_id": obs,
                "event_id": events["event_id"],
                f"{CLASSIFIER}_prediction": events["gammaness"],
                f"{CLASSIFIER}_is_valid": np.ones(len(obs), dtype=bool),
            }
        )
        write_table(cls, path, f"/dl2/event/subarray/classification/{CLASSIFIER}")

    order = spec.write_order or sorted(spec.layout)
    for tel_id in order:
        rows = tel["tel_id"] == tel_id
        keys = {
            "obs_id": tel_obs[rows],
            "event_id": tel_event[rows],
            "tel_id": np.full(int(rows.sum()), tel_id, dtype=np.int16),
        }
        params = Table(dict(keys))
        params["hillas_intensity"] = tel["intensity"][rows]
        params["morphology_n_pixels"] = np.full(int(rows.sum()), 10, dtype=np.int32)
        params["leakage_intensity_width_2"] = np.zeros(int(rows.sum()), dtype=np.float32)
        write_table(params, path, f"/dl1/event/telescope/parameters/tel_{tel_id:03d}")
        energy = Table(dict(keys))
        energy[f"{REGRESSOR}_tel_energy"] = tel["energy"][rows] * u.TeV
        energy[f"{REGRESSOR}_tel_energy_uncert"] = np.full(int(rows.sum()), np.nan) * u.TeV
        energy[f"{REGRESSOR}_tel_is_valid"] = np.ones(int(rows.sum()), dtype=bool)
        write_table(energy, path, f"/dl2/event/telescope/energy/{REGRESSOR}/tel_{tel_id:03d}")
        impact = Table(dict(keys))
        impact[f"{RECONSTRUCTOR}_tel_impact_distance"] = tel["impact"][rows] * u.m
        impact[f"{RECONSTRUCTOR}_tel_impact_distance_uncert"] = (
            np.full(int(rows.sum()), np.nan) * u.m
        )
        write_table(impact, path, f"/dl2/event/telescope/impact/{RECONSTRUCTOR}/tel_{tel_id:03d}")
    with warnings.catch_warnings(), tables.open_file(str(path), mode="r+") as h5:
        warnings.simplefilter("ignore", tables.NaturalNameWarning)
        h5.root._v_attrs["CTA PRODUCT CREATION TIME"] = spec.start.replace("T", " ") + ".000"
    return truth


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("output")
    parser.add_argument("--showers", type=int, default=20000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--obs-id", type=int, default=1)
    parser.add_argument("--n-lst", type=int, default=4)
    parser.add_argument("--n-mst", type=int, default=9)
    parser.add_argument("--n-sst", type=int, default=0)
    parser.add_argument("--start", default="2026-03-10T22:00:00")
    args = parser.parse_args(argv)
    spec = DL2Spec(
        obs_id=args.obs_id,
        n_showers=args.showers,
        seed=args.seed,
        layout=realistic_layout(args.n_lst, args.n_mst, args.n_sst),
        start=args.start,
    )
    truth = write_dl2(args.output, spec)
    for t in sorted(truth.throughput):
        print(t, truth.kind[t], f"{truth.throughput[t]:.6f}")


if __name__ == "__main__":
    main()
