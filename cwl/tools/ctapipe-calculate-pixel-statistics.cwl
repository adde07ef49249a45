cwlVersion: v1.2
class: CommandLineTool
label: Per-pixel statistics of calibration events (ctapipe-calculate-pixel-statistics)
doc: |
  ctapipe's own tool: reads the DL1 images of one kind of calibration event
  (sky pedestal or flat-field, as written by ctapipe-process with an event-type
  filter) and aggregates one image column per pixel in chunks of events with
  its sigma-clipping aggregator and outlier detectors: time_start, time_end,
  n_events, mean, median, std, outlier_mask, is_valid per chunk. Writes
  /dl1/monitoring/telescope/calibration/camera/pixel_statistics/<event type>_<column>/tel_NNN
  (e.g. sky_pedestal_image, flatfield_image, flatfield_peak_time) with the
  subarray. Not rewritten here: the command is ctapipe's.
  Exit codes: 0 success, non-zero failure (ctapipe's tool exit codes).

baseCommand: [ctapipe-calculate-pixel-statistics]

arguments:
  - --provenance-log=ctapipe-calculate-pixel-statistics.provenance.json
  - --output_path=pixel_statistics.h5

requirements:
  InlineJavascriptRequirement: {}

hints:
  DockerRequirement:
    dockerPull: calibpipe-tasks:0.1.0
  ResourceRequirement:
    coresMin: 1
    # ctapipe's tool reads the whole image table (image and peak_time) at once: measured
    # (bench/bench_camera.py --memory, 1801 pixels x 2 channels) 1567 MiB for 10k events
    # (172 MiB file) and 5312 MiB for 40k (689 MiB), ~125 kB per event: about 7 x the file
    ramMin: "$(Math.ceil(640 + 8 * inputs.dl1_images.size / 1048576))"
    outdirMin: 64
    tmpdirMin: 64

inputs:
  dl1_images:
    type: File
    label: DL1 images of calibration events
    doc: ctapipe DL1 HDF5 with /dl1/event/telescope/images/tel_NNN of one event type.
    inputBinding:
      prefix: --input_url=
      separate: false
  column:
    type: string?
    label: Image column
    doc: Column of the images to aggregate (image or peak_time; default image).
    inputBinding:
      prefix: --PixelStatisticsCalculatorTool.input_column_name=
      separate: false
  chunk_size:
    type: int
    label: Events per chunk
    doc: Number of events aggregated into one row (SizeChunking).
    inputBinding:
      prefix: --SizeChunking.chunk_size=
      separate: false
  max_sigma:
    type: int?
    label: Sigma-clipping threshold
    doc: Maximal deviation in standard deviations kept by the sigma clipping (ctapipe default 4).
    inputBinding:
      prefix: --SigmaClippingAggregator.max_sigma=
      separate: false

outputs:
  statistics:
    type: File
    label: Pixel statistics (HDF5)
    doc: ctapipe HDF5 with the per-chunk pixel statistics of the event type and column.
    outputBinding:
      glob: pixel_statistics.h5
  provenance:
    type: File
    label: Provenance record
    doc: ctapipe's JSON provenance of this run (activity, inputs, outputs, configuration).
    format: https://www.iana.org/assignments/media-types/application/json
    outputBinding:
      glob: ctapipe-calculate-pixel-statistics.provenance.json

successCodes: [0]
temporaryFailCodes: [100]
permanentFailCodes: [1, 2, 3]
