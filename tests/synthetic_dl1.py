"""Synthetic ctapipe DL1 image files with muon rings of known optical efficiency.

No instrument description or test file can be downloaded here, so the telescopes
are built by hand: an LST-like and an MST-like single-mirror telescope with a
hexagonal camera (:func:`build_subarray`). Ring images are ctapipe's own muon
model, :func:`ctapipe.image.muon.intensity_fitter.image_prediction_no_units`
(Chalme-Calvet et al. 2013; the model ``MuonIntensityFitter`` fits), multiplied
by a **known true optical efficiency** that may change at a given time, with
Poisson photo-electron noise on top of a night-sky background. The ring width
follows a known straight line in the ring radius per telescope (the truth of the
optical PSF closure test).

The files are written by ctapipe's own :class:`ctapipe.io.DataWriter` from a
small in-memory :class:`ctapipe.io.EventSource`, so they have exactly the layout
``ctapipe-process`` writes (``/dl1/event/telescope/images/tel_NNN``, trigger
tables, subarray, observation blocks) and :class:`ctapipe.io.HDF5EventSource`
reads them back. Used by the tests and the benchmark; also a command line
(``python -m synthetic_dl1 OUT.h5``).
"""

from dataclasses import dataclass, field

import astropy.units as u
import numpy as np
from astropy.coordinates import EarthLocation
from astropy.time import Time

#: telescope id -> (kind, position x, y, z in m)
DEFAULT_LAYOUT = {1: ("LST", 0.0, 0.0, 0.0), 2: ("MST", 100.0, 0.0, 0.0)}

#: hand-built telescope kinds: focal length [m], mirror area [m2], pixel pitch [m],
#: hexagonal rings of pixels, ctapipe's default hole radius for the type [m]
TELESCOPE_KINDS = {
    "LST": dict(focal=28.0, mirror_area=386.0, pitch=0.05, n_rings=22, camera="LSTCam"),
    "MST": dict(focal=16.0, mirror_area=106.0, pitch=0.05, n_rings=22, camera="NectarCam"),
}

#: ring width [deg] = intercept + slope * ring radius [deg], per telescope kind
DEFAULT_WIDTH_RELATION = {"LST": (0.025, 0.018), "MST": (0.035, 0.018)}


def hexagonal_camera(name, pitch_m, n_rings, focal_length_m):
    """A hexagonal camera of ``1 + 3 n (n + 1)`` pixels on a regular grid.

    Parameters
    ----------
    name : str
        Camera name.
    pitch_m : float
        Distance between neighbouring pixel centres [m] (flat-to-flat pixel size).
    n_rings : int
        Number of hexagonal rings of pixels around the central one.
    focal_length_m : float
        Equivalent focal length, for the camera frame [m].

    Returns
    -------
    ctapipe.instrument.CameraGeometry
    """
    from ctapipe.coordinates import CameraFrame
    from ctapipe.instrument import CameraGeometry
    from ctapipe.instrument.camera.geometry import PixelShape

    q, r = np.meshgrid(np.arange(-n_rings, n_rings + 1), np.arange(-n_rings, n_rings + 1))
    q, r = q.ravel(), r.ravel()
    keep = np.maximum(np.maximum(np.abs(q), np.abs(r)), np.abs(q + r)) <= n_rings
    q, r = q[keep], r[keep]
    x = pitch_m * (q + 0.5 * r)
    y = pitch_m * (np.sqrt(3) / 2 * r)
    area = np.full(x.size, np.sqrt(3) / 2 * pitch_m**2)
    return CameraGeometry(
        name=name,
        pix_id=np.arange(x.size),
        pix_x=x * u.m,
        pix_y=y * u.m,
        pix_area=area * u.m**2,
        pix_type=PixelShape.HEXAGON,
        pix_rotation=30 * u.deg,
        frame=CameraFrame(focal_length=focal_length_m * u.m),
    )


def telescope_description(kind):
    """A hand-built single-mirror telescope of ``kind`` (``"LST"`` or ``"MST"``)."""
    spec = TELESCOPE_KINDS[kind]
    return single_mirror_telescope(
        kind, spec["camera"], spec["focal"], spec["mirror_area"], spec["pitch"], spec["n_rings"]
    )


def single_mirror_telescope(kind, camera, focal_m, mirror_area_m2, pitch_m, n_rings):
    """A single-mirror parabolic telescope of size type ``kind`` (LST, MST, SST) with a
    hexagonal camera of ``n_rings`` rings of pixels at ``pitch_m`` (one gain channel)."""
    from ctapipe.instrument import (
        CameraDescription,
        CameraReadout,
        OpticsDescription,
        ReflectorShape,
        SizeType,
        TelescopeDescription,
    )

    geometry = hexagonal_camera(camera, pitch_m, n_rings, focal_m)
    readout = CameraReadout(
        name=camera,
        sampling_rate=1 * u.GHz,
        reference_pulse_shape=np.zeros((1, 10)),
        reference_pulse_sample_width=1 * u.ns,
        n_channels=1,
        n_pixels=geometry.n_pixels,
        n_samples=40,
    )
    optics = OpticsDescription(
        name=kind,
        size_type=SizeType[kind],
        n_mirrors=1,
        equivalent_focal_length=focal_m * u.m,
        effective_focal_length=focal_m * u.m,
        mirror_area=mirror_area_m2 * u.m**2,
        n_mirror_tiles=1,
        reflector_shape=ReflectorShape.PARABOLIC,
    )
    return TelescopeDescription(
        name=kind, optics=optics, camera=CameraDescription(camera, geometry, readout)
    )


def build_subarray(layout=None, name="synthetic-muon-array"):
    """A :class:`~ctapipe.instrument.SubarrayDescription` of hand-built telescopes.

    Parameters
    ----------
    layout : dict, optional
        ``tel_id -> (kind, x, y, z)``; default :data:`DEFAULT_LAYOUT`.
    """
    from ctapipe.instrument import SubarrayDescription

    layout = DEFAULT_LAYOUT if layout is None else layout
    kinds = {kind for kind, *_ in layout.values()}
    descriptions = {kind: telescope_description(kind) for kind in sorted(kinds)}
    return SubarrayDescription(
        name=name,
        tel_positions={tid: [x, y, z] * u.m for tid, (_, x, y, z) in layout.items()},
        tel_descriptions={tid: descriptions[kind] for tid, (kind, *_) in layout.items()},
        reference_location=EarthLocation(lon=-17.89 * u.deg, lat=28.76 * u.deg, height=2200 * u.m),
    )


@dataclass
class RunSpec:
    """What one synthetic run contains.

    ``efficiency`` maps tel_id to ``(before, after)``: the true optical
    efficiency before and after ``step_time`` (an ISO UTC time; ``None``: no step).
    """

    obs_id: int
    start: str
    duration_s: float
    n_events: int
    seed: int = 0
    efficiency: dict = field(default_factory=lambda: {1: (0.20, 0.16), 2: (0.20, 0.16)})
    step_time: str | None = None
    width_relation: dict = field(default_factory=lambda: dict(DEFAULT_WIDTH_RELATION))
    # night-sky background [p.e. per pixel]; its noise rms, sqrt(nsb_pe * (1 + spe_width**2)),
    # is the pedestal to give process-muons (0.56 p.e. for the default)
    nsb_pe: float = 0.25
    spe_width: float = 0.5
    tel_fraction: float = 0.7


def true_efficiency(spec, tel_id, times):
    """The injected optical efficiency of ``tel_id`` at ``times`` (astropy Time array)."""
    before, after = spec.efficiency[tel_id]
    if spec.step_time is None:
        return np.full(len(times), before)
    return np.where(times < Time(spec.step_time, scale="utc"), before, after)


def _ring_image(rng, tel, geometry_tel, kind, spec, efficiency):
    """One noisy ring image and its true parameters (angles in rad)."""
    from ctapipe.image.muon.intensity_fitter import image_prediction_no_units

    optics = tel.optics
    mirror_radius = np.sqrt(optics.mirror_area.to_value(u.m**2) / np.pi)
    radius = np.deg2rad(rng.uniform(0.95, 1.2))
    offset = np.deg2rad(rng.uniform(0.0, 0.6))
    angle = rng.uniform(-np.pi, np.pi)
    cx, cy = offset * np.cos(angle), offset * np.sin(angle)
    intercept, slope = spec.width_relation[kind]
    width = np.deg2rad(intercept + slope * np.rad2deg(radius))
    impact = rng.uniform(0.0, 0.9 * mirror_radius)
    phi = rng.uniform(-np.pi, np.pi)
    hole = {"LST": 0.74, "MST": 0.59}[kind]
    prediction = image_prediction_no_units(
        mirror_radius_m=mirror_radius,
        hole_radius_m=hole,
        impact_parameter_m=impact,
        phi_rad=phi,
        center_x_rad=cx,
        center_y_rad=cy,
        radius_rad=radius,
        ring_width_rad=width,
        pixel_x_rad=geometry_tel.pix_x.to_value(u.rad),
        pixel_y_rad=geometry_tel.pix_y.to_value(u.rad),
        pixel_diameter_rad=geometry_tel.pixel_width[0].to_value(u.rad),
        oversampling=3,
        pix_type=geometry_tel.pix_type,
    )
    # photo-electrons: Poisson in signal + night-sky background; each charge is
    # smeared by the single-p.e. resolution (a sum of n charges has variance n spe_width^2)
    n_pe = rng.poisson(efficiency * prediction + spec.nsb_pe)
    charge = n_pe + spec.spe_width * np.sqrt(n_pe) * rng.standard_normal(n_pe.size)
    image = (charge - spec.nsb_pe).astype(np.float32)
    return image, dict(radius=radius, width=width, impact=impact, center_x=cx, center_y=cy)


def write_events(path, subarray, obs_id, events, activity, datalevel="DL1_IMAGES", **writer):
    """Write the events of ``events`` (an iterable of ctapipe ``ArrayEventContainer``,
    consumed once) to ``path`` with ctapipe's own :class:`ctapipe.io.DataWriter`.

    The writer reads the subarray, observation and scheduling blocks from its event
    source: a small in-memory :class:`ctapipe.io.EventSource` of one observation block
    ``obs_id`` (observed data) at data level ``datalevel`` gives them. ``writer`` are the
    DataWriter's options (e.g. ``write_dl1_images=True``); the run is recorded as the
    ctapipe provenance activity ``activity``.
    """
    from ctapipe.containers import ObservationBlockContainer, SchedulingBlockContainer
    from ctapipe.core import Provenance
    from ctapipe.io import DataLevel, DataWriter, EventSource

    level = DataLevel[datalevel]

    class InMemorySource(EventSource):
        @staticmethod
        def is_compatible(file_path):
            return False

        subarray = property(lambda self: subarray)
        is_simulation = property(lambda self: False)
        datalevels = property(lambda self: (level,))
        obs_ids = property(lambda self: [obs_id])

        @property
        def observation_blocks(self):
            block = ObservationBlockContainer(obs_id=np.uint64(obs_id), sb_id=np.uint64(1))
            return {obs_id: block}

        @property
        def scheduling_blocks(self):
            return {1: SchedulingBlockContainer(sb_id=np.uint64(1))}

        def _generator(self):
            yield from events

    source = InMemorySource()
    provenance = Provenance()
    provenance.start_activity(activity)
    with DataWriter(event_source=source, output_path=path, overwrite=True, **writer) as out:
        for event in source:
            out(event)
    provenance.finish_activity()


def _ring_events(subarray, spec, truth):
    """Synthetic ring events of ``spec`` (made lazily); appends each image's truth to ``truth``."""
    from ctapipe.containers import (
        ArrayEventContainer,
        EventIndexContainer,
        TelescopeTriggerContainer,
    )
    from ctapipe.coordinates import TelescopeFrame

    rng = np.random.default_rng(spec.seed)
    start = Time(spec.start, scale="utc")
    offsets = np.sort(rng.uniform(0, spec.duration_s, spec.n_events))
    times = start + offsets * u.s
    tel_ids = sorted(subarray.tel)
    frames = {t: subarray.tel[t].camera.geometry.transform_to(TelescopeFrame()) for t in tel_ids}
    effs = {t: true_efficiency(spec, t, times) for t in tel_ids}
    for i in range(spec.n_events):
        seen = [t for t in tel_ids if rng.uniform() < spec.tel_fraction]
        if not seen:
            seen = [tel_ids[int(rng.integers(len(tel_ids)))]]
        event = ArrayEventContainer(count=i)
        event.index = EventIndexContainer(obs_id=spec.obs_id, event_id=i + 1)
        event.trigger.time = times[i]
        event.trigger.tels_with_trigger = np.array(seen, dtype=np.int16)
        for tel_id in seen:
            tel = subarray.tel[tel_id]
            kind = tel.optics.name
            image, true = _ring_image(rng, tel, frames[tel_id], kind, spec, effs[tel_id][i])
            event.trigger.tel[tel_id] = TelescopeTriggerContainer(time=times[i])
            dl1 = event.dl1.tel[tel_id]
            dl1.image = image
            dl1.peak_time = np.zeros_like(image)
            truth.append(
                (spec.obs_id, i + 1, tel_id, times[i].unix, effs[tel_id][i])
                + tuple(true[k] for k in ("radius", "width", "impact"))
            )
        yield event


def write_synthetic_run(path, spec, subarray=None):
    """Write one synthetic DL1 image file; return the truth table (astropy Table).

    Parameters
    ----------
    path : path-like
        Output HDF5 file (overwritten).
    spec : RunSpec
        What to put in it.
    subarray : ctapipe.instrument.SubarrayDescription, optional
        Default :func:`build_subarray`.

    Returns
    -------
    astropy.table.Table
        One row per telescope image: obs_id, event_id, tel_id, time (unix s),
        true_efficiency, true_radius [deg], true_width [deg], true_impact [m].
    """
    from astropy.table import Table

    subarray = build_subarray() if subarray is None else subarray
    truth = []
    events = _ring_events(subarray, spec, truth)
    write_events(
        path, subarray, spec.obs_id, events, "calibpipe-tasks synthetic muon DL1",
        write_dl1_images=True, write_dl1_parameters=False,
    )  # fmt: skip
    names = ["obs_id", "event_id", "tel_id", "time_unix", "true_efficiency"]
    names += ["true_radius", "true_width", "true_impact"]
    table = Table(rows=truth, names=names) if truth else Table(names=names)
    table["true_radius"] = np.rad2deg(table["true_radius"])
    table["true_width"] = np.rad2deg(table["true_width"])
    return table


def main(argv=None):
    """``python tests/synthetic_dl1.py OUT.h5 [--obs-id N] [--events N] ...``."""
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("output")
    parser.add_argument("--obs-id", type=int, default=1)
    parser.add_argument("--start", default="2026-01-15T21:00:00")
    parser.add_argument("--duration", type=float, default=3600.0, help="seconds")
    parser.add_argument("--events", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--step-time", default=None)
    args = parser.parse_args(argv)
    spec = RunSpec(
        obs_id=args.obs_id,
        start=args.start,
        duration_s=args.duration,
        n_events=args.events,
        seed=args.seed,
        step_time=args.step_time,
    )
    truth = write_synthetic_run(args.output, spec)
    print(f"wrote {args.output}: {len(truth)} ring images")


def write_synthetic_muon_file(
    path,
    n_events,
    spec,
    subarray=None,
    efficiency_scatter=0.01,
    outlier_fraction=0.02,
):
    """Write a ctapipe DL1 *muon* file directly (no images, no fit): for large tables.

    Every event has a ring in every telescope of the subarray; the efficiency is
    the true one of :func:`true_efficiency` with Gaussian scatter
    ``efficiency_scatter`` and a fraction of outliers; ring radius and width
    follow ``spec.width_relation``. Layout as ``ctapipe-process`` writes it:
    subarray, ``/dl1/event/telescope/trigger`` and
    ``/dl1/event/telescope/muon/tel_NNN``, through :func:`ctapipe.io.write_table`.

    Returns
    -------
    int
        Number of muon rows written.
    """
    import tables
    from astropy.table import Table
    from ctapipe.io import write_table

    subarray = build_subarray() if subarray is None else subarray
    rng = np.random.default_rng(spec.seed)
    tel_ids = np.array(sorted(subarray.tel), dtype=np.int16)
    offsets = np.sort(rng.uniform(0, spec.duration_s, n_events))
    times = Time(spec.start, scale="utc") + offsets * u.s
    event_id = np.arange(1, n_events + 1, dtype=np.int64)
    obs_id = np.full(n_events, spec.obs_id, dtype=np.int64)
    with tables.open_file(str(path), mode="w") as h5:
        subarray.to_hdf(h5)
    trigger = Table()
    trigger["obs_id"] = np.repeat(obs_id, tel_ids.size)
    trigger["event_id"] = np.repeat(event_id, tel_ids.size)
    trigger["tel_id"] = np.tile(tel_ids, n_events)
    trigger["time"] = Time(np.repeat(times.mjd, tel_ids.size), format="mjd", scale="utc")
    trigger["event_type"] = np.full(len(trigger), 32, dtype=np.int64)
    trigger["n_trigger_pixels"] = np.full(len(trigger), -1, dtype=np.int64)
    write_table(trigger, path, "/dl1/event/telescope/trigger")
    for tel_id in tel_ids:
        kind = subarray.tel[int(tel_id)].optics.name
        intercept, slope = spec.width_relation[kind]
        mirror_radius = np.sqrt(
            subarray.tel[int(tel_id)].optics.mirror_area.to_value(u.m**2) / np.pi
        )
        eff = true_efficiency(spec, int(tel_id), times)
        eff = eff * (1 + efficiency_scatter * rng.standard_normal(n_events))
        outliers = rng.uniform(size=n_events) < outlier_fraction
        eff[outliers] *= rng.uniform(0.3, 1.7, outliers.sum())
        radius = rng.uniform(0.95, 1.2, n_events)
        width = intercept + slope * radius + 0.002 * rng.standard_normal(n_events)
        impact = rng.uniform(0, 0.9 * mirror_radius, n_events)
        phi = rng.uniform(-np.pi, np.pi, n_events)
        table = Table()
        table["obs_id"] = obs_id
        table["event_id"] = event_id
        table["tel_id"] = np.full(n_events, tel_id, dtype=np.int16)
        table["muonring_center_fov_lon"] = rng.uniform(-0.6, 0.6, n_events) * u.deg
        table["muonring_center_fov_lat"] = rng.uniform(-0.6, 0.6, n_events) * u.deg
        table["muonring_radius"] = radius * u.deg
        table["muonparameters_containment"] = np.ones(n_events)
        table["muonparameters_completeness"] = rng.uniform(0.8, 1.0, n_events)
        table["muonefficiency_width"] = width * u.deg
        table["muonefficiency_impact"] = impact * u.m
        table["muonefficiency_impact_x"] = impact * np.cos(phi) * u.m
        table["muonefficiency_impact_y"] = impact * np.sin(phi) * u.m
        table["muonefficiency_optical_efficiency"] = eff
        table["muonefficiency_is_valid"] = np.ones(n_events, dtype=bool)
        table["muonefficiency_parameters_at_limit"] = np.zeros(n_events, dtype=bool)
        table["muonefficiency_likelihood_value"] = rng.uniform(100, 200, n_events)
        write_table(table, path, f"/dl1/event/telescope/muon/tel_{int(tel_id):03d}")
    return n_events * tel_ids.size


if __name__ == "__main__":  # pragma: no cover
    main()
