cwlVersion: v1.2
class: CommandLineTool
label: Validate camera calibration coefficients on the run's calibration images (UC-120-2.20)
doc: |
  Applies the camera coefficients (ctapipe's layout, e.g. compute-camera-coefficients'
  camera_coefficients.h5) to the DL1 images of the run's sky-pedestal and flat-field
  events as ctapipe's CameraCalibrator does with a FixedWindowSum charge
  ((Q - W pedestal_offset) factor, each event with the row valid at its time) and
  checks per telescope: pedestal events calibrate to 0 p.e. (chi2/ndf of the pixel
  means, camera mean pull); flat-field events to a flat camera (chi2/ndf around the
  camera mean) at the scale of the coefficients' n_pe and of photon statistics
  (F-factor relation); every coefficient finite, factors positive, flagged pixels
  holding the fill value; each row valid from its chunk's first event, every event
  covered; the extraction window recorded in the coefficients equal to that of the
  images (from ctapipe-process' provenance logs or given). Writes a report (JSON and
  ECSV) and camera_coefficients.h5, the validated file itself, for the upload. A
  failed check: one line naming the file and the check, exit 3, nothing written.
  Exit codes: 0 success, 2 bad usage, 3 invalid input data or failed check, 100 temporary failure.

baseCommand: [calibpipe-tasks, validate-camera-coefficients]

requirements:
  # ramMin is an expression of the images' sizes
  InlineJavascriptRequirement: {}

hints:
  DockerRequirement:
    dockerPull: calibpipe-tasks:0.1.0
  ResourceRequirement:
    coresMin: 1
    # every image of a telescope is held in memory (as float64, calibrated, per row):
    # 276 MiB measured on the sample (2 x 140 kB of images)
    ramMin: "$(Math.ceil(512 + 16 * (inputs.pedestal_images.size + inputs.flatfield_images.size) / 1048576))"
    outdirMin: 64
    tmpdirMin: 64

inputs:
  coefficients:
    type: File
    label: Camera calibration coefficients (HDF5)
    doc: ctapipe HDF5 with /dl1/monitoring/telescope/calibration/camera/coefficients/tel_NNN and the subarray.
    inputBinding:
      prefix: --coefficients
  pedestal_images:
    type: File
    label: DL1 images of the sky-pedestal events
    doc: ctapipe-process output with /dl1/event/telescope/images/tel_NNN and the trigger times.
    inputBinding:
      prefix: --pedestal-images
  flatfield_images:
    type: File
    label: DL1 images of the flat-field events
    doc: ctapipe-process output with /dl1/event/telescope/images/tel_NNN and the trigger times.
    inputBinding:
      prefix: --flatfield-images
  extraction_provenance:
    type: File[]?
    label: Provenance logs of the image extractions
    doc: ctapipe-process JSON provenance logs; their FixedWindowSum window is compared with the coefficients'.
    format: https://www.iana.org/assignments/media-types/application/json
    inputBinding:
      prefix: --extraction-provenance
  window_width:
    type: int?
    label: Extraction window [samples]
    doc: FixedWindowSum window_width of the images (needed without extraction_provenance).
    inputBinding:
      prefix: --window-width
  window_shift:
    type: int?
    label: Window shift [samples]
    doc: FixedWindowSum window_shift of the images.
    inputBinding:
      prefix: --window-shift
  peak_index:
    type: int?
    label: Window reference sample
    doc: FixedWindowSum peak_index of the images.
    inputBinding:
      prefix: --peak-index
  telescopes:
    type: int[]?
    label: Telescopes
    doc: Telescope ids to validate (default every telescope of the coefficients).
    inputBinding:
      prefix: --telescope
  max_pedestal_chi2:
    type: float?
    label: Largest pedestal chi2/ndf
    doc: Pixel means of the calibrated pedestal against 0 (default 2).
    inputBinding:
      prefix: --max-pedestal-chi2
  max_flatfield_chi2:
    type: float?
    label: Largest flat-field chi2/ndf
    doc: Pixel means of the calibrated flat-field around the camera mean (default 2).
    inputBinding:
      prefix: --max-flatfield-chi2
  max_pull:
    type: float?
    label: Largest pull
    doc: Camera pedestal mean, flat-field scale and photon statistics, in standard errors (default 5).
    inputBinding:
      prefix: --max-pull

outputs:
  validated_coefficients:
    type: File
    label: The validated coefficients (HDF5)
    doc: camera_coefficients.h5, the input file byte for byte, written only when every check passes.
    outputBinding:
      glob: camera_coefficients.h5
  report:
    type: File
    label: Validation report (JSON)
    doc: Every check per telescope with its value, tolerance, result and per-row values.
    format: https://www.iana.org/assignments/media-types/application/json
    outputBinding:
      glob: camera_validation.json
  report_table:
    type: File
    label: Validation report (ECSV)
    doc: One row per telescope and check - value, tolerance, passed, detail.
    outputBinding:
      glob: camera_validation.ecsv
  provenance:
    type: File
    label: Provenance record
    doc: JSON provenance of this run (inputs and outputs with sha256, versions, times).
    format: https://www.iana.org/assignments/media-types/application/json
    outputBinding:
      glob: validate-camera-coefficients.provenance.json

successCodes: [0]
temporaryFailCodes: [100]
permanentFailCodes: [2, 3]
