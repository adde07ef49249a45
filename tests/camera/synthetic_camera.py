"""Synthetic pedestal and flat-field statistics of a hand-built camera with a known truth.

Per pixel and gain channel: gain (charge per p.e.), relative quantum efficiency,
baseline per sample, electronic noise, night-sky background (NSB), time offset;
for the camera: the excess noise factor F^2, the laser's pulse-to-pulse jitter B
(common to all pixels of an event), the flat-field intensity; a few dead pixels
(no light, no electronic noise) and hot pixels (a star: strong NSB).

Event charges (extraction window of ``W`` samples):

* photo-electrons Poisson with mean ``qe * (mu (1 + B eps) + nsb)`` (flat-field)
  or ``qe * nsb`` (sky pedestal), eps ~ N(0, 1) once per event;
* their summed single-p.e. charge ``G`` Gamma-distributed with shape
  ``n / (F^2 - 1)`` and scale ``F^2 - 1`` (mean ``n``, variance ``n (F^2 - 1)``:
  the exact compound-Poisson moments);
* ``Q = W * baseline + gain * G + electronic noise``;
* flat-field peak time ``t0 + offset + N(0, sigma_t)``.

The per-chunk statistics are made by ctapipe's own ``PixelStatisticsCalculator``
(``SigmaClippingAggregator`` with ``SizeChunking``), exactly as
``ctapipe-calculate-pixel-statistics`` does on DL1 images, and written with
``ctapipe.io.write_table`` to the tables a ``ctapipe-merge`` of the three outputs
holds: ``/dl1/monitoring/telescope/calibration/camera/pixel_statistics/
{sky_pedestal_image, flatfield_image, flatfield_peak_time}/tel_NNN``, next to the
subarray. The extractor and window are recorded as table attributes
``EXTRACTOR``, ``WINDOW_WIDTH``, ``WINDOW_SHIFT``.
"""

from dataclasses import dataclass, field

import astropy.units as u
import numpy as np
from astropy.coordinates import EarthLocation
from astropy.table import Table
from astropy.time import Time

STATS_GROUP = "/dl1/monitoring/telescope/calibration/camera/pixel_statistics"
N_CHANNELS = 2
N_SAMPLES = 40
LOW_GAIN_RATIO = 1 / 17.0


def make_subarray(n_rings=10, tel_ids=(1,)):
    """Subarray of LST-like telescopes with a hexagonal camera of ``1 + 3 n (n + 1)`` pixels.

    Two gain channels, 1 GHz sampling, 40 samples, a Gaussian reference pulse.
    """
    from ctapipe.instrument import (
        CameraDescription,
        CameraReadout,
        OpticsDescription,
        ReflectorShape,
        SizeType,
        SubarrayDescription,
        TelescopeDescription,
    )
    from synthetic_dl1 import hexagonal_camera

    geometry = hexagonal_camera("SynthCam", 0.05, n_rings, 28.0)
    sample = np.arange(0, 20, 0.1)
    pulse = np.exp(-0.5 * ((sample - 5.0) / 1.2) ** 2)
    readout = CameraReadout(
        name="SynthCam",
        sampling_rate=1 * u.GHz,
        reference_pulse_shape=np.vstack([pulse, pulse]),
        reference_pulse_sample_width=0.1 * u.ns,
        n_channels=N_CHANNELS,
        n_pixels=geometry.n_pixels,
        n_samples=N_SAMPLES,
    )
    optics = OpticsDescription(
        name="LST",
        size_type=SizeType.LST,
        n_mirrors=1,
        equivalent_focal_length=28 * u.m,
        effective_focal_length=28 * u.m,
        mirror_area=386 * u.m**2,
        n_mirror_tiles=1,
        reflector_shape=ReflectorShape.PARABOLIC,
    )
    tel = TelescopeDescription(
        name="LST", optics=optics, camera=CameraDescription("SynthCam", geometry, readout)
    )
    return SubarrayDescription(
        name="synthetic-camera-array",
        tel_positions={t: [100.0 * i, 0, 0] * u.m for i, t in enumerate(tel_ids)},
        tel_descriptions={t: tel for t in tel_ids},
        reference_location=EarthLocation(lon=-17.89 * u.deg, lat=28.76 * u.deg, height=2200 * u.m),
    )


@dataclass
class CameraTruth:
    """The true per-pixel properties of one camera (arrays of shape (n_channels, n_pixels))."""

    gain: np.ndarray
    qe: np.ndarray  # (n_pixels,)
    baseline: np.ndarray  # per sample
    noise: np.ndarray  # electronic noise per window
    nsb: np.ndarray  # (n_pixels,), p.e. per window before QE
    time_offset: np.ndarray  # (n_pixels,), ns
    dead: np.ndarray  # indices
    hot: np.ndarray  # indices
    f_squared: float
    jitter: float
    mu: float  # flat-field p.e. before QE
    window_width: int
    time_jitter: float = 0.4  # ns rms of the flat-field peak time per event
    t0: float = 20.0

    @property
    def n_pixels(self):
        return self.qe.size

    def mean_pe(self):
        """True mean flat-field photo-electrons per pixel (n_pixels,)."""
        return self.qe * self.mu

    def true_pedestal_offset(self):
        """Mean sky-pedestal charge per sample (n_channels, n_pixels)."""
        return self.baseline + self.gain * (self.qe * self.nsb) / self.window_width

    def true_factor(self, good):
        """median over ``good`` pixels of the true p.e., divided by the true signal ``g mu``."""
        mu = self.mean_pe()
        median = np.median(mu[good])
        return median / (self.gain * mu)

    def true_time_shift(self, good):
        return np.broadcast_to(
            self.time_offset - np.median(self.time_offset[good]), self.gain.shape
        )


def make_truth(
    n_pixels,
    seed=1,
    mu=80.0,
    f_squared=1.222,
    jitter=0.02,
    nsb=2.0,
    window_width=8,
    n_dead=2,
    n_hot=2,
    qe_spread=0.05,
    gain_spread=0.05,
):
    """A camera with random per-pixel truths (reproducible from ``seed``)."""
    rng = np.random.default_rng(seed)
    gain_hg = 10.0 * (1 + gain_spread * rng.standard_normal(n_pixels))
    gain = np.vstack(
        [gain_hg, gain_hg * LOW_GAIN_RATIO * (1 + 0.02 * rng.standard_normal(n_pixels))]
    )
    qe = np.clip(1 + qe_spread * rng.standard_normal(n_pixels), 0.7, 1.3)
    baseline = 400 + 2 * rng.standard_normal((N_CHANNELS, n_pixels))
    noise = np.vstack([np.full(n_pixels, 6.0), np.full(n_pixels, 1.5)]) * (
        1 + 0.05 * rng.standard_normal((N_CHANNELS, n_pixels))
    )
    nsb_pe = np.full(n_pixels, float(nsb))
    special = rng.choice(n_pixels, n_dead + n_hot, replace=False)
    dead, hot = np.sort(special[:n_dead]), np.sort(special[n_dead:])
    nsb_pe[hot] = 60.0
    time_offset = rng.normal(0.0, 1.0, n_pixels)
    return CameraTruth(
        gain=gain,
        qe=qe,
        baseline=baseline,
        noise=noise,
        nsb=nsb_pe,
        time_offset=time_offset,
        dead=dead,
        hot=hot,
        f_squared=f_squared,
        jitter=jitter,
        mu=mu,
        window_width=window_width,
    )


def simulate_events(truth, n_events, kind, rng):
    """Charges (n_events, n_channels, n_pixels) and peak times of ``kind`` events.

    ``kind`` is ``"pedestal"`` or ``"flatfield"``.
    """
    n_pix = truth.n_pixels
    lam = np.broadcast_to(truth.qe * truth.nsb, (n_events, n_pix))
    if kind == "flatfield":
        intensity = 1 + truth.jitter * rng.standard_normal((n_events, 1))
        lam = lam + truth.qe * truth.mu * np.clip(intensity, 0, None)
    n_pe = rng.poisson(lam)
    scale = truth.f_squared - 1.0
    summed = rng.gamma(n_pe / scale, scale) if scale > 0 else n_pe.astype(float)
    charge = (
        truth.window_width * truth.baseline[None]
        + truth.gain[None] * summed[:, None, :]
        + truth.noise[None] * rng.standard_normal((n_events, N_CHANNELS, n_pix))
    )
    dead = truth.dead
    charge[:, :, dead] = truth.window_width * truth.baseline[None][:, :, dead]
    time = truth.t0 + truth.time_offset + truth.time_jitter * rng.standard_normal((n_events, n_pix))
    time = np.broadcast_to(time[:, None, :], charge.shape).copy()
    return charge.astype(np.float32), time.astype(np.float32)


@dataclass
class StatisticsSpec:
    """What to write: chunks, events per chunk, metadata, which tables."""

    n_chunks: int = 2
    chunk_size: int = 2500
    start: str = "2025-01-15T22:00:00"
    rate_hz: float = 100.0
    seed: int = 7
    extractor: dict = field(
        default_factory=lambda: {
            "sky_pedestal_image": ("FixedWindowSum", 8, 3),
            "flatfield_image": ("FixedWindowSum", 8, 3),
            "flatfield_peak_time": ("FixedWindowSum", 8, 3),
        }
    )
    tables: tuple = ("sky_pedestal_image", "flatfield_image", "flatfield_peak_time")
    simulation: bool = False
    gain_selected: bool = False  # keep only the high-gain channel, like gain-selected data
    last_chunk_events: int | None = None  # events of a last, partial chunk ("truncate")


def statistics_tables(subarray, truths, spec):
    """The three pixel-statistics tables per telescope, made by ctapipe's calculator.

    Returns ``{tel_id: {table_name: astropy Table}}``.
    """
    from ctapipe.monitoring.calculator import PixelStatisticsCalculator
    from traitlets.config import Config

    config = Config(
        {
            "PixelStatisticsCalculator": {
                "stats_aggregator_type": [("type", "*", "SigmaClippingAggregator")]
            },
            "SigmaClippingAggregator": {"chunking_type": "SizeChunking"},
            "SizeChunking": {
                "chunk_size": spec.chunk_size,
                "last_chunk_policy": "truncate",
            },
        }
    )
    calculator = PixelStatisticsCalculator(subarray=subarray, config=config)
    rng = np.random.default_rng(spec.seed)
    start = Time(spec.start, scale="tai")
    n_events = spec.n_chunks * spec.chunk_size + (spec.last_chunk_events or 0)
    out = {}
    for tel_id, truth in truths.items():
        tables = {}
        for kind, offset in (("pedestal", 0.0), ("flatfield", 0.5)):
            charge, peak_time = simulate_events(truth, n_events, kind, rng)
            if spec.gain_selected:
                charge, peak_time = charge[:, :1], peak_time[:, :1]
            table = Table()
            table["time"] = start + ((np.arange(n_events) + offset) / spec.rate_hz) * u.s
            table["event_id"] = np.arange(n_events) * 2 + (1 if kind == "flatfield" else 0)
            table["image"] = charge
            table["peak_time"] = peak_time
            columns = ["image"] if kind == "pedestal" else ["image", "peak_time"]
            for column in columns:
                name = "sky_pedestal_image" if kind == "pedestal" else f"flatfield_{column}"
                stats = calculator.first_pass(table=table, tel_id=tel_id, col_name=column)
                extractor, width, shift = spec.extractor[name]
                stats.meta.update(
                    {"EXTRACTOR": extractor, "WINDOW_WIDTH": width, "WINDOW_SHIFT": shift}
                )
                tables[name] = stats
        out[tel_id] = tables
    return out


def write_statistics_file(path, subarray, truths, spec=None, tables=None):
    """Write the merged pixel-statistics file; returns the tables written."""
    import tables as pytables
    from ctapipe.io import write_table

    spec = StatisticsSpec() if spec is None else spec
    tables = statistics_tables(subarray, truths, spec) if tables is None else tables
    with pytables.open_file(str(path), mode="w") as h5:
        subarray.to_hdf(h5)
        if spec.simulation:
            h5.root._v_attrs["CTA PRODUCT DATA CATEGORY"] = "Sim"
    for tel_id, per_name in tables.items():
        for name, table in per_name.items():
            if name not in spec.tables:
                continue
            write_table(table, path, f"{STATS_GROUP}/{name}/tel_{tel_id:03d}", append=False)
    return tables


def simulate_spe_events(truth, n_events, rng, mu=1.0, gain_factor=4.0):
    """Charges (n_events, n_channels, n_pixels) and peak times of a single-p.e. run.

    A faint, uniform flat-field (``qe * mu`` photo-electrons per pixel and event,
    Poisson) with the camera closed (no NSB, no light-source jitter), taken at a
    raised high voltage: the gain of every pixel and channel is ``gain_factor`` times
    that of ``truth`` (F^2 and the electronic noise unchanged). The single-p.e.
    response is Gaussian with relative width ``sqrt(F^2 - 1)`` (the model ``fit-spe``
    fits; the same first two moments as the Gamma response of :func:`simulate_events`,
    so the same F^2). Dead pixels give their baseline only.
    """
    n_pix = truth.n_pixels
    n_pe = rng.poisson(np.broadcast_to(truth.qe * mu, (n_events, n_pix)))
    width = np.sqrt(truth.f_squared - 1.0)
    summed = n_pe + np.sqrt(n_pe) * width * rng.standard_normal(n_pe.shape)
    charge = (
        truth.window_width * truth.baseline[None]
        + gain_factor * truth.gain[None] * summed[:, None, :]
        + truth.noise[None] * rng.standard_normal((n_events, N_CHANNELS, n_pix))
    )
    charge[:, :, truth.dead] = truth.window_width * truth.baseline[None][:, :, truth.dead]
    time = truth.t0 + truth.time_offset + truth.time_jitter * rng.standard_normal((n_events, n_pix))
    time = np.broadcast_to(time[:, None, :], charge.shape).copy()
    return charge.astype(np.float32), time.astype(np.float32)


#: the camera of the committed samples in tests/data/camera/ (generate_camera_statistics.py,
#: generate_spe_r1.py): 61 pixels, one dead and one hot pixel
SAMPLE_RINGS = 4
SAMPLE_SEED = 5


def sample_camera():
    """Subarray and truth of the committed camera samples (``tests/data/camera/``)."""
    subarray = make_subarray(n_rings=SAMPLE_RINGS)
    n_pixels = subarray.tel[1].camera.geometry.n_pixels
    return subarray, make_truth(n_pixels, seed=SAMPLE_SEED, n_dead=1, n_hot=1)
