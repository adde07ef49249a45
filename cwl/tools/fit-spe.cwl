cwlVersion: v1.2
class: CommandLineTool
label: Absolute gain and F^2 per pixel from single-p.e. charge spectra (UC-120-2.20)
doc: |
  Reads the camera images of faint flat-field events (ctapipe DL1,
  /dl1/event/telescope/images/tel_NNN, charges not yet in photo-electrons; with both
  gain channels, the high one unless told), makes
  one charge histogram per pixel and fits the compound-Poisson single-p.e. model
  (Poisson photo-electrons, Gaussian single-p.e. response, Gaussian pedestal;
  Caroff et al. 2019) to all pixels at once. Writes spe_fit.ecsv: per telescope
  and pixel the pedestal and its noise, the absolute gain, F^2, the mean
  illumination mu, their errors, n_events and is_valid (camera median where the
  fit failed). The table is an f_squared_table of compute-camera-coefficients.
  Exit codes: 0 success, 2 bad usage, 3 invalid input data, 100 temporary failure.

baseCommand: [calibpipe-tasks, fit-spe]

requirements:
  InlineJavascriptRequirement: {}

hints:
  DockerRequirement:
    dockerPull: calibpipe-tasks:0.1.0
  ResourceRequirement:
    coresMin: 1
    # the images are read whole as float64 (twice their stored float32 bytes) beside the
    # histograms and the fit's work arrays; a whole camera (1855 pixels x 2 channels, bench/
    # bench_spe.py) peaked at 783 MB
    ramMin: "$(Math.ceil(512 + 4 * inputs.images.size / 1048576))"
    outdirMin: 64
    tmpdirMin: 64

inputs:
  images:
    type: File
    label: DL1 images of faint flat-field events
    doc: ctapipe HDF5 with /dl1/event/telescope/images/tel_NNN (column image, charges per pixel).
    inputBinding:
      prefix: --input
  telescopes:
    type: int[]?
    label: Telescopes
    doc: Telescope ids to fit (default every telescope with images).
    inputBinding:
      prefix: --telescope
  bins:
    type: int?
    label: Histogram bins
    doc: Number of common histogram bins (default 200).
    inputBinding:
      prefix: --bins
  min_events:
    type: int?
    label: Minimum events
    doc: Telescopes with fewer events are refused, exit 3 (default 1000).
    inputBinding:
      prefix: --min-events
  gain_channel:
    type:
      - "null"
      - type: enum
        symbols: [high, low]
    label: Gain channel
    doc: Channel to fit when the images have both (default high); gain-selected images have one.
    inputBinding:
      prefix: --gain-channel
  max_f_squared:
    type: float?
    label: Largest valid F^2
    doc: A fitted F^2 above this marks the pixel not valid (default 2).
    inputBinding:
      prefix: --max-f-squared

outputs:
  spe_fit:
    type: File
    label: Single-p.e. fit per pixel (ECSV)
    doc: tel_id, pixel_id, pedestal, pedestal_std, gain, f_squared, mu, spe_width with errors, n_events, is_valid.
    outputBinding:
      glob: spe_fit.ecsv
  provenance:
    type: File
    label: Provenance record
    doc: JSON provenance of this run (inputs and outputs with sha256, versions, times).
    format: https://www.iana.org/assignments/media-types/application/json
    outputBinding:
      glob: fit-spe.provenance.json

successCodes: [0]
temporaryFailCodes: [100]
permanentFailCodes: [2, 3]
