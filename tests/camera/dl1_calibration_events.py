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

from .synthetic_camera import simulate_events, simulate_spe_events


def write_calibration_dl1(path, subarray, truths, kind, n_events, start, rate_hz=100.0, seed=0):
    """Write ``n_events`` events of ``kind`` (``"pedestal"`` / ``"flatfield"``) to ``path``."""
    from ctapipe.containers import (
        ArrayEventContainer,
        EventIndexContainer,
        EventType,
        TelescopeTriggerContainer,
    )
    from synthetic_dl1 import write_events

    rng = np.random.default_rng(seed)
    event_type = EventType.SKY_PEDESTAL if kind == "pedestal" else EventType.FLATFIELD
    offset = 0.0 if kind == "pedestal" else 0.5
    times = Time(start, scale="tai") + ((np.arange(n_events) + offset) / rate_hz) * u.s
    data = {t: simulate_events(truth, n_events, kind, rng) for t, truth in truths.items()}

    def events():
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

    write_events(
        path,
        subarray,
        1,
        events(),
        "synthetic calibration events",
        write_dl1_images=True,
        write_dl1_parameters=False,
    )


def write_calibration_r1(path, subarray, truths, n_events, start, rate_hz=200.0, seed=0):
    """Write R1 waveforms of interleaved sky-pedestal and flat-field events to ``path``.

    Each pixel's charge (:func:`.synthetic_camera.simulate_events`) above its baseline is
    a Gaussian pulse (0.8 ns rms) at the event's peak time + 1 ns on top of the baseline
    per sample, 40 samples: a FixedWindowSum of 8 samples from sample 17 (``peak_index``
    21, ``window_shift`` 4) gives the charge back. For ``ctapipe-process`` with an
    ``EventTypeFilter``.
    """
    from ctapipe.containers import EventType

    rng = np.random.default_rng(seed)
    data = {
        t: (
            simulate_events(truth, n_events, "pedestal", rng),
            simulate_events(truth, n_events, "flatfield", rng),
        )
        for t, truth in truths.items()
    }

    def content(i, tel_id, truth):
        k, flat = i // 2, i % 2 == 1
        (ped, _), (ff, t_ff) = data[tel_id]
        peak = t_ff[k] if flat else np.full(ped[k].shape, truth.t0)
        event_type = EventType.FLATFIELD if flat else EventType.SKY_PEDESTAL
        return event_type, (ff if flat else ped)[k], peak

    _write_r1(path, subarray, truths, 2 * n_events, start, rate_hz, content)


def write_spe_r1(
    path,
    subarray,
    truths,
    n_events,
    start,
    rate_hz=100.0,
    seed=0,
    mu=1.0,
    gain_factor=4.0,
    quantum=0.25,
):
    """Write R1 waveforms of a single-p.e. run (faint flat-field events) to ``path``.

    Charges of :func:`.synthetic_camera.simulate_spe_events` (camera closed, raised high
    voltage: ``gain_factor`` times the gains of ``truths``), gain selected to the high
    gain (the low gain plays no part in a single-p.e. spectrum), events of type
    ``FLATFIELD``, the pulse shape and window of :func:`write_calibration_r1`. The
    waveforms are rounded to ``quantum`` ADC (0.25: an added charge noise of 0.2 ADC
    in 8 samples, against 6 ADC electronic noise) so that the file compresses to a
    committable size.
    """
    from ctapipe.containers import EventType

    rng = np.random.default_rng(seed)
    data = {
        t: simulate_spe_events(truth, n_events, rng, mu=mu, gain_factor=gain_factor)
        for t, truth in truths.items()
    }

    def content(i, tel_id, truth):
        charge, peak = data[tel_id]
        return EventType.FLATFIELD, charge[i, :1], peak[i, :1]

    _write_r1(path, subarray, truths, n_events, start, rate_hz, content, quantum=quantum)


def _write_r1(path, subarray, truths, n_total, start, rate_hz, content, quantum=None):
    """Write ``n_total`` R1 events; ``content(i, tel_id, truth)`` gives type, charge, peak.

    A charge of one channel (shape ``(1, n_pixels)``) makes a gain-selected waveform of
    the high gain.
    """
    from ctapipe.containers import (
        ArrayEventContainer,
        EventIndexContainer,
        PixelStatus,
        TelescopeTriggerContainer,
    )
    from synthetic_dl1 import write_events

    samples = np.arange(subarray.tel[min(truths)].camera.readout.n_samples)
    times = Time(start, scale="tai") + (np.arange(n_total) / rate_hz) * u.s
    both = np.uint8(PixelStatus.HIGH_GAIN_STORED | PixelStatus.LOW_GAIN_STORED)
    high = np.uint8(PixelStatus.HIGH_GAIN_STORED)

    def waveform(baseline, window_width, charge, peak):
        signal = charge - window_width * baseline
        pulse = np.exp(-0.5 * ((samples - peak[..., None]) / 0.8) ** 2)
        pulse /= pulse.sum(axis=-1, keepdims=True)
        wave = baseline[..., None] + signal[..., None] * pulse
        if quantum is not None:
            wave = np.round(wave / quantum) * quantum
        return wave.astype(np.float32)

    def events():
        for i in range(n_total):
            event = ArrayEventContainer(count=i)
            event.index = EventIndexContainer(obs_id=1, event_id=i + 1)
            event.trigger.time = times[i]
            event.trigger.tels_with_trigger = np.array(sorted(truths), dtype=np.int16)
            for tel_id, truth in truths.items():
                event_type, charge, peak = content(i, tel_id, truth)
                event.trigger.event_type = event_type
                event.trigger.tel[tel_id] = TelescopeTriggerContainer(time=times[i])
                r1 = event.r1.tel[tel_id]
                selected = charge.shape[0] == 1
                baseline = truth.baseline[:1] if selected else truth.baseline
                r1.waveform = waveform(baseline, truth.window_width, charge, peak + 1.0)
                r1.pixel_status = np.full(truth.n_pixels, high if selected else both, np.uint8)
                if selected:
                    r1.selected_gain_channel = np.zeros(truth.n_pixels, np.int8)
                r1.event_type = event_type
            yield event

    write_events(
        path,
        subarray,
        1,
        events(),
        "synthetic calibration R1 events",
        datalevel="R1",
        write_r1_waveforms=True,
        write_dl1_images=False,
        write_dl1_parameters=False,
    )
