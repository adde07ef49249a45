cwlVersion: v1.2
class: CommandLineTool
label: Image extraction of one type of calibration event (ctapipe-process with an event-type filter)
doc: |
  ctapipe's own ctapipe-process: reads R1 waveforms, keeps the events of one type
  (EventTypeFilter: SKY_PEDESTAL, PEDESTAL or FLATFIELD), extracts charge and peak
  time with a FixedWindowSum of a given window (no integration correction, so
  pedestal and flat-field charges are sums over the same samples) and writes DL1
  images (no parameters) for ctapipe-calculate-pixel-statistics. Run it with the
  same window for the pedestal and the flat-field events. Not rewritten here: the
  command is ctapipe's.
  Exit codes: 0 success, non-zero failure (ctapipe's tool exit codes).

baseCommand: [ctapipe-process]

arguments:
  - --output=calibration_images.dl1.h5
  - --write-images
  - --no-write-parameters
  - --provenance-log=ctapipe-process-calibration.provenance.json
  - --CameraCalibrator.image_extractor_type=FixedWindowSum
  - --FixedWindowSum.apply_integration_correction=False

hints:
  DockerRequirement:
    dockerPull: calibpipe-tasks:0.1.0
  ResourceRequirement:
    coresMin: 1
    ramMin: 768
    outdirMin: 64
    tmpdirMin: 64

inputs:
  r1_waveforms:
    type: File
    label: R1 waveforms
    doc: ctapipe HDF5 (or any ctapipe EventSource input) with the run's calibration events.
    inputBinding:
      prefix: --input=
      separate: false
  event_type:
    type:
      type: enum
      symbols: [SKY_PEDESTAL, PEDESTAL, FLATFIELD]
    label: Event type to keep
    doc: Which calibration events to extract.
    inputBinding:
      prefix: --EventTypeFilter.allowed_types=
      separate: false
  peak_index:
    type: int
    label: Window reference sample
    doc: FixedWindowSum peak_index; the window starts at peak_index - window_shift.
    inputBinding:
      prefix: --FixedWindowSum.peak_index=
      separate: false
  window_width:
    type: int
    label: Window width [samples]
    doc: FixedWindowSum window_width (the same for pedestal and flat-field).
    inputBinding:
      prefix: --FixedWindowSum.window_width=
      separate: false
  window_shift:
    type: int
    label: Window shift [samples]
    doc: FixedWindowSum window_shift.
    inputBinding:
      prefix: --FixedWindowSum.window_shift=
      separate: false

outputs:
  images:
    type: File
    label: DL1 images of the calibration events
    doc: ctapipe DL1 HDF5 with /dl1/event/telescope/images/tel_NNN (image, peak_time) and triggers.
    outputBinding:
      glob: calibration_images.dl1.h5
  provenance:
    type: File
    label: Provenance record
    doc: ctapipe's JSON provenance of this run (activity, inputs, outputs, configuration).
    format: https://www.iana.org/assignments/media-types/application/json
    outputBinding:
      glob: ctapipe-process-calibration.provenance.json

successCodes: [0]
temporaryFailCodes: [100]
permanentFailCodes: [1, 2, 3]
