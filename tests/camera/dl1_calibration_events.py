"""DL1 image files of synthetic sky-pedestal and flat-field events (ctapipe's own writer).

The charges and peak times of :func:`.synthetic_camera.simulate_events` as DL1
images of events of type ``SKY_PEDESTAL`` or ``FLATFIELD``, written by
:class:`ctapipe.io.DataWriter` from a small in-memory ``EventSource``: the input
``ctapipe-calculate-pixel-statistics`` takes (it names its output table
``<event type>_<column>``, e.g. ``flatfield_peak_time``).
"""

import astropy.units as u
import numpy as np
from astropy.time import Time

from .synthetic_camera import simulate_events


def write_calibration_dl1(path, subarray, truths, kind, n_events, start, rate_hz=100.0, seed=0):
    """Write ``n_events`` events of ``kind`` (``"pedestal"`` / ``"flatfield"``) to ``path``."""
    from ctapipe.containers import (
        ArrayEventContainer,
        EventIndexContainer,
        EventType,
        ObservationBlockContainer,
        SchedulingBlockContainer,
        TelescopeTriggerContainer,
    )
    from ctapipe.core import Provenance
    from ctapipe.io import DataLevel, DataWriter, EventSource

    rng = np.random.default_rng(seed)
    event_type = EventType.SKY_PEDESTAL if kind == "pedestal" else EventType.FLATFIELD
    offset = 0.0 if kind == "pedestal" else 0.5
    times = Time(start, scale="tai") + ((np.arange(n_events) + offset) / rate_hz) * u.s
    data = {t: simulate_events(truth, n_events, kind, rng) for t, truth in truths.items()}

    class CalibrationEventSource(EventSource):
        @staticmethod
        def is_compatible(file_path):
            return False

        @property
        def subarray(self):
            return subarray

        @property
        def is_simulation(self):
            return False

        @property
        def datalevels(self):
            return (DataLevel.DL1_IMAGES,)

        @property
        def obs_ids(self):
            return [1]

        @property
        def observation_blocks(self):
            return {1: ObservationBlockContainer(obs_id=np.uint64(1), sb_id=np.uint64(1))}

        @property
        def scheduling_blocks(self):
            return {1: SchedulingBlockContainer(sb_id=np.uint64(1))}

        def _generator(self):
            for i in range(n_events):
                event = ArrayEventContainer(count=i)
                event.index = EventIndexContainer(obs_id=1, event_id=2 * i + (kind != "pedestal"))
                event.trigger.time = times[i]
                event.trigger.event_type = event_type
                event.trigger.tels_with_trigger = np.array(sorted(truths), dtype=np.int16)
                for tel_id, (charge, peak_time) in data.items():
                    event.trigger.tel[tel_id] = TelescopeTriggerContainer(time=times[i])
                    event.dl1.tel[tel_id].image = charge[i]
                    event.dl1.tel[tel_id].peak_time = peak_time[i]
                yield event

    source = CalibrationEventSource()
    provenance = Provenance()
    provenance.start_activity("synthetic calibration events")
    with DataWriter(
        event_source=source,
        output_path=path,
        overwrite=True,
        write_dl1_images=True,
        write_dl1_parameters=False,
    ) as writer:
        for event in source:
            writer(event)
    provenance.finish_activity()


def write_calibration_r1(path, subarray, truths, n_events, start, rate_hz=200.0, seed=0):
    """Write R1 waveforms of interleaved sky-pedestal and flat-field events to ``path``.

    Each pixel's charge (:func:`.synthetic_camera.simulate_events`) above its baseline is
    a Gaussian pulse (0.8 ns rms) at the event's peak time + 1 ns on top of the baseline
    per sample, 40 samples: a FixedWindowSum of 8 samples from sample 17 (``peak_index``
    21, ``window_shift`` 4) gives the charge back. For ``ctapipe-process`` with an
    ``EventTypeFilter``.
    """
    from ctapipe.containers import (
        ArrayEventContainer,
        EventIndexContainer,
        EventType,
        ObservationBlockContainer,
        PixelStatus,
        SchedulingBlockContainer,
        TelescopeTriggerContainer,
    )
    from ctapipe.core import Provenance
    from ctapipe.io import DataLevel, DataWriter, EventSource

    rng = np.random.default_rng(seed)
    samples = np.arange(subarray.tel[min(truths)].camera.readout.n_samples)
    times = Time(start, scale="tai") + (np.arange(2 * n_events) / rate_hz) * u.s
    data = {
        t: (
            simulate_events(truth, n_events, "pedestal", rng),
            simulate_events(truth, n_events, "flatfield", rng),
        )
        for t, truth in truths.items()
    }
    status = np.uint8(PixelStatus.HIGH_GAIN_STORED | PixelStatus.LOW_GAIN_STORED)

    def waveform(truth, charge, peak):
        signal = charge - truth.window_width * truth.baseline
        pulse = np.exp(-0.5 * ((samples - peak[..., None]) / 0.8) ** 2)
        pulse /= pulse.sum(axis=-1, keepdims=True)
        return (truth.baseline[..., None] + signal[..., None] * pulse).astype(np.float32)

    class CalibrationR1Source(EventSource):
        @staticmethod
        def is_compatible(file_path):
            return False

        subarray = property(lambda self: subarray)
        is_simulation = property(lambda self: False)
        datalevels = property(lambda self: (DataLevel.R1,))
        obs_ids = property(lambda self: [1])
        observation_blocks = property(
            lambda self: {1: ObservationBlockContainer(obs_id=np.uint64(1), sb_id=np.uint64(1))}
        )
        scheduling_blocks = property(lambda self: {1: SchedulingBlockContainer(sb_id=np.uint64(1))})

        def _generator(self):
            for i in range(2 * n_events):
                k, flat = i // 2, i % 2 == 1
                event = ArrayEventContainer(count=i)
                event.index = EventIndexContainer(obs_id=1, event_id=i + 1)
                event.trigger.time = times[i]
                event.trigger.event_type = EventType.FLATFIELD if flat else EventType.SKY_PEDESTAL
                event.trigger.tels_with_trigger = np.array(sorted(truths), dtype=np.int16)
                for tel_id, truth in truths.items():
                    (ped, _), (ff, t_ff) = data[tel_id]
                    peak = t_ff[k] if flat else np.full(ped[k].shape, truth.t0)
                    event.trigger.tel[tel_id] = TelescopeTriggerContainer(time=times[i])
                    r1 = event.r1.tel[tel_id]
                    r1.waveform = waveform(truth, (ff if flat else ped)[k], peak + 1.0)
                    r1.pixel_status = np.full(truth.n_pixels, status, np.uint8)
                    r1.event_type = event.trigger.event_type
                yield event

    source = CalibrationR1Source()
    provenance = Provenance()
    provenance.start_activity("synthetic calibration R1 events")
    with DataWriter(
        event_source=source,
        output_path=path,
        overwrite=True,
        write_r1_waveforms=True,
        write_dl1_images=False,
        write_dl1_parameters=False,
    ) as writer:
        for event in source:
            writer(event)
    provenance.finish_activity()
