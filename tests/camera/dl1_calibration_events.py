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
