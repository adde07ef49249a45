"""Drive ctapipe's muon analysis over a DL1 image file, with cuts per telescope type.

ctapipe's :class:`~ctapipe.image.muon.MuonProcessor` fits the ring geometry
(:class:`~ctapipe.image.muon.MuonRingFitter`) and then the ring intensity
(:class:`~ctapipe.image.muon.MuonIntensityFitter`, model of Chalme-Calvet et
al. 2013, arXiv:1403.4550) whose free scale is the optical efficiency; the
intensity fit is refined to the lowest minimum of ctapipe's likelihood found
from a grid of impact points (:mod:`.intensity_fit`). Its
quality queries (``ImageParameterQuery``, ``RingQuery``) are one list of
expressions for all telescopes, and the defaults (``n_pixels > 100``,
``intensity > 500``) reject most rings of medium-size telescopes; so one
``MuonProcessor`` is configured per telescope type, through ctapipe's own
traitlets ``Config``. Telescope parameters (hole radius, wavelength band,
pedestal) use ctapipe's ``TelescopeParameter`` ``[("type", pattern, value)]``
lists.

The intensity fit dominates (tens of ms per ring, 2.6 times ctapipe's own with the
refinement); with ``workers > 1`` events
are fitted in a pool of spawned worker processes while the parent reads, cleans
and writes in order (each worker pays the ctapipe import and numba start-up, so
this pays only on long runs; see BENCHMARKS.md).
"""

from fnmatch import fnmatch

#: ctapipe ImageParameterQuery per telescope type pattern (first match wins);
#: the last entry is ctapipe's default
DEFAULT_IMAGE_CUTS = {
    "LST_*": ["dl1_params.morphology.n_pixels > 100", "dl1_params.hillas.intensity > 500"],
    "MST_*": ["dl1_params.morphology.n_pixels > 30", "dl1_params.hillas.intensity > 300"],
    "SST_*": ["dl1_params.morphology.n_pixels > 15", "dl1_params.hillas.intensity > 100"],
    "*": ["dl1_params.morphology.n_pixels > 100", "dl1_params.hillas.intensity > 500"],
}
#: ctapipe RingQuery (its defaults, for every type)
DEFAULT_RING_CUTS = {
    "*": [
        "np.isfinite(ring.radius.value)",
        "np.count_nonzero(mask) > 50",
        "parameters.containment > 0.5",
    ]
}
#: ctapipe MuonIntensityFitter.hole_radius_m defaults [m]
DEFAULT_HOLE_RADIUS = {"LST_*": 0.74, "MST_*": 0.59, "SST_1M_*": 0.38}


def cuts_for_type(type_name, cuts_by_pattern):
    """The cut list of the first pattern matching ``type_name`` (``fnmatch``)."""
    for pattern, cuts in cuts_by_pattern.items():
        if fnmatch(type_name, pattern):
            return list(cuts)
    return []


def muon_config(
    type_name,
    image_cuts,
    ring_cuts,
    hole_radius,
    min_wavelength_nm,
    max_wavelength_nm,
    pedestal,
):
    """A traitlets ``Config`` of ``MuonProcessor`` for telescopes of type ``type_name``."""
    from traitlets.config import Config

    return Config(
        {
            "MuonProcessor": {
                "pedestal": pedestal,
                "ImageParameterQuery": {
                    "quality_criteria": [(c, c) for c in cuts_for_type(type_name, image_cuts)]
                },
                "RingQuery": {
                    "quality_criteria": [(c, c) for c in cuts_for_type(type_name, ring_cuts)]
                },
                "MuonIntensityFitter": {
                    "hole_radius_m": [("type", p, float(r)) for p, r in hole_radius.items()],
                    "min_lambda_m": min_wavelength_nm * 1e-9,
                    "max_lambda_m": max_wavelength_nm * 1e-9,
                },
            }
        }
    )


class TypedMuonProcessors:
    """One ctapipe ``MuonProcessor`` per telescope type; call on an event.

    ``pedestal_noise`` (:class:`.pedestal.PedestalNoise`, optional) replaces the
    one ``pedestal`` number of the settings by per-pixel noise from the camera
    calibration product or from the image.
    """

    def __init__(self, subarray, settings, pedestal_noise=None):
        from ctapipe.image.muon import MuonProcessor

        from .intensity_fit import converging_fitter_class

        fitter_class = converging_fitter_class()
        self.by_tel = {}
        for tel_type in subarray.telescope_types:
            config = muon_config(str(tel_type), **settings)
            processor = MuonProcessor(subarray, config=config)
            # ctapipe's fit followed by a global refinement on its own likelihood
            # (intensity_fit.py); it reads the MuonIntensityFitter configuration
            processor.intensity_fitter = fitter_class(subarray=subarray, parent=processor)
            processor.intensity_fitter.pedestal_noise = pedestal_noise
            processor.intensity_fitter.event_pedestal = {}
            for tel_id in subarray.get_tel_ids_for_type(tel_type):
                self.by_tel[tel_id] = processor

        self.pedestal_noise = pedestal_noise
        self.subarray = subarray

    def __call__(self, event):
        source = self.pedestal_noise
        for tel_id in event.dl1.tel:
            if source is not None and source.source == "camera_coefficients":
                fitter = self.by_tel[tel_id].intensity_fitter
                fitter.event_pedestal[tel_id] = source.for_event(
                    tel_id,
                    event_time_mjd_tai(event, tel_id),
                    self.subarray.tel[tel_id].camera.geometry.n_pixels,
                )
            # MuonProcessor.__call__ loops over all telescopes with one configuration;
            # its per-telescope method lets each type use its own
            self.by_tel[tel_id]._process_telescope_event(event, tel_id)
        return event.muon


def event_time_mjd_tai(event, tel_id):
    """The telescope trigger time of ``tel_id`` (the event's if absent), TAI MJD."""
    import numpy as np

    tel_trigger = event.trigger.tel.get(tel_id)
    time = tel_trigger.time if tel_trigger is not None else None
    if time is None or np.ma.is_masked(time.mjd) or not np.isfinite(time.mjd):
        time = event.trigger.time
    return float(time.tai.mjd)


def pedestal_used(pedestal_noise, subarray, event, tel_id, ring, geometries):
    """The per-pixel noise the fit of a ring used and whether it came from the named source.

    ``geometries`` caches the telescope-frame camera geometries (a dict, filled here).
    """
    import astropy.units as u
    from ctapipe.coordinates import TelescopeFrame

    n_pixels = subarray.tel[tel_id].camera.geometry.n_pixels
    if pedestal_noise.source != "image":
        return pedestal_noise.for_event(tel_id, event_time_mjd_tai(event, tel_id), n_pixels), True
    if tel_id not in geometries:
        geometries[tel_id] = subarray.tel[tel_id].camera.geometry.transform_to(TelescopeFrame())
    geometry = geometries[tel_id]
    return pedestal_noise.for_ring(
        event.dl1.tel[tel_id].image,
        geometry.pix_x.to_value(u.rad),
        geometry.pix_y.to_value(u.rad),
        ring.center_fov_lon.to_value(u.rad),
        ring.center_fov_lat.to_value(u.rad),
        ring.radius.to_value(u.rad),
    )


_WORKER = {}


def _init_worker(subarray, settings, pedestal_noise=None):
    import logging

    logging.getLogger("ctapipe").setLevel(logging.ERROR)
    _WORKER["processors"] = TypedMuonProcessors(subarray, settings, pedestal_noise)


def _fit_event(event):
    return _WORKER["processors"](event)


def process_file(input_path, output_path, settings, workers=1, progress=None, pedestal_noise=None):
    """Fit the muon rings of every event of ``input_path``; write ``output_path``.

    Parameters
    ----------
    input_path : path-like
        ctapipe DL1 file with images (``/dl1/event/telescope/images``).
    output_path : path-like
        New ctapipe DL1 file: subarray, observation blocks, trigger tables and
        ``/dl1/event/telescope/muon/tel_NNN`` (ctapipe's ``DataWriter``).
    settings : dict
        Keyword arguments of :func:`muon_config` except ``type_name``.
    workers : int
        Worker processes for the fits (1: fit in this process).
    progress : callable, optional
        ``progress(iterable, desc, total)`` wrapper reporting progress.
    pedestal_noise : PedestalNoise, optional
        Per-pixel pedestal noise source (:mod:`.pedestal`); default the
        ``pedestal`` number of ``settings``.

    Returns
    -------
    dict
        ``events``, ``images`` (telescope images seen), ``rings_fitted``
        (intensity fit run) and ``rings_valid`` (fit converged); with
        ``pedestal_noise`` also ``pedestal``: per telescope the rings fitted
        with the named source (``from_source``; for ``image`` the others used
        the fixed number) and the median over rings of their median pixel noise.
    """
    import collections
    import contextlib
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    import numpy as np
    from ctapipe.core import Provenance
    from ctapipe.image import ImageProcessor
    from ctapipe.io import DataWriter, HDF5EventSource

    counts = collections.Counter()
    noise_used = collections.defaultdict(list)
    from_source = collections.Counter()
    geometries = {}
    provenance = Provenance()
    provenance.start_activity("calibpipe-tasks process-muons")
    source = HDF5EventSource(input_url=input_path)
    subarray = source.subarray
    image_processor = ImageProcessor(subarray)
    events = iter(source)
    if progress is not None:
        events = progress(
            events, "events", total=len(source) if source.max_events is None else None
        )

    def record(event, muon):
        event.muon = muon
        counts["events"] += 1
        for tel_muon in muon.tel.values():
            counts["images"] += 1
            eff = tel_muon.efficiency.optical_efficiency
            if np.isfinite(eff):
                counts["rings_fitted"] += 1
                counts["rings_valid"] += bool(tel_muon.efficiency.is_valid)
        if pedestal_noise is not None:
            for tel_id, tel_muon in muon.tel.items():
                if np.isfinite(tel_muon.efficiency.optical_efficiency):
                    noise, used = pedestal_used(
                        pedestal_noise, subarray, event, tel_id, tel_muon.ring, geometries
                    )
                    noise_used[tel_id].append(float(np.median(noise)))
                    from_source[tel_id] += used
        writer(event)

    # closing: the input is closed when a step fails too (no PyTables warning at exit)
    with (
        contextlib.closing(source),
        DataWriter(
            event_source=source,
            output_path=output_path,
            overwrite=True,
            write_dl1_images=False,
            write_dl1_parameters=False,
            write_muon_parameters=True,
        ) as writer,
    ):
        if workers <= 1:
            processors = TypedMuonProcessors(subarray, settings, pedestal_noise)
            for event in events:
                image_processor(event)
                record(event, processors(event))
        else:
            # spawn: no Unix socket in TMPDIR (CWL engines give long TMPDIR paths that
            # overflow AF_UNIX limits with forkserver), no fork of a threaded process
            context = multiprocessing.get_context("spawn")
            window = collections.deque()
            with ProcessPoolExecutor(
                workers,
                mp_context=context,
                initializer=_init_worker,
                initargs=(subarray, settings, pedestal_noise),
            ) as pool:
                for event in events:
                    image_processor(event)
                    window.append((event, pool.submit(_fit_event, event)))
                    if len(window) >= 8 * workers:
                        done_event, future = window.popleft()
                        record(done_event, future.result())
                while window:
                    done_event, future = window.popleft()
                    record(done_event, future.result())
    provenance.finish_activity()
    source.close()
    counts = dict(counts)
    if pedestal_noise is not None:
        counts["pedestal"] = {
            int(tel_id): {
                "rings": len(values),
                "from_source": int(from_source[tel_id]),
                "median_pe": float(np.median(values)),
            }
            for tel_id, values in sorted(noise_used.items())
        }
    return counts
