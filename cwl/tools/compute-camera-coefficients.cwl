cwlVersion: v1.2
class: CommandLineTool
label: Camera calibration coefficients from pedestal and flat-field statistics (UC-120-2.20)
doc: |
  Reads the merged pixel statistics of a run (ctapipe-process ->
  ctapipe-calculate-pixel-statistics -> ctapipe-merge: sky_pedestal_image,
  flatfield_image, flatfield_peak_time per telescope) and computes per telescope,
  chunk, gain channel and pixel, with the F-factor method on means and variances
  (Bencheikh et al. 1992, with the light source's pulse-to-pulse jitter B): gain,
  photo-electrons, factor, pedestal_offset per sample, time_shift, their
  uncertainties, n_events, an outlier mask with a reason per pixel, camera-median
  fill values for flagged pixels and is_valid per chunk; each row valid from its
  chunk's start. With peak_index and window_shift (the fixed window's position) the
  flat-field peak times are corrected for the pedestal charge inside the window,
  which ctapipe's FixedWindowSum includes in its charge-weighted peak time. Writes a new HDF5 file with
  /dl1/monitoring/telescope/calibration/camera/coefficients/tel_NNN (read by
  ctapipe's HDF5MonitoringSource, applied by its CameraCalibrator) and an ECSV
  summary. Refuses (exit 3) pedestal and flat-field charges extracted with
  different windows. Never modifies its input.
  Exit codes: 0 success, 2 bad usage, 3 invalid input data, 100 temporary failure.

baseCommand: [calibpipe-tasks, compute-camera-coefficients]

hints:
  DockerRequirement:
    dockerPull: calibpipe-tasks:0.1.0
  ResourceRequirement:
    coresMin: 1
    ramMin: 512
    outdirMin: 64
    tmpdirMin: 64

inputs:
  statistics:
    type: File
    label: Merged pixel statistics (HDF5)
    doc: ctapipe HDF5 with /dl1/monitoring/telescope/calibration/camera/pixel_statistics/*/tel_NNN and the subarray.
    inputBinding:
      prefix: --input
  telescopes:
    type: int[]?
    label: Telescopes
    doc: Telescope ids to calibrate (default every telescope in the input).
    inputBinding:
      prefix: --telescope
  window_width:
    type: int?
    label: Extraction window [samples]
    doc: Needed when the statistics do not record their window; checked against them when they do.
    inputBinding:
      prefix: --window-width
  peak_index:
    type: int?
    label: Window reference sample
    doc: FixedWindowSum peak_index of the extraction (with window_shift); the flat-field peak times are then corrected for the pedestal charge in the window.
    inputBinding:
      prefix: --peak-index
  window_shift:
    type: int?
    label: Window shift [samples]
    doc: FixedWindowSum window_shift of the extraction (the window starts at peak_index - window_shift).
    inputBinding:
      prefix: --window-shift
  f_squared:
    type: float?
    label: Excess noise factor F^2
    doc: F^2 of the camera's photo-detectors (default 1.222, LST PMTs).
    inputBinding:
      prefix: --f-squared
  f_squared_table:
    type: File?
    label: F^2 per pixel (ECSV)
    doc: ECSV with columns pixel_id, f_squared (optionally tel_id, f_squared_err, propagated into the errors), e.g. fit-spe's spe_fit.ecsv; overrides f_squared for those pixels.
    inputBinding:
      prefix: --f-squared-table
  jitter:
    type: float?
    label: Light-source jitter B
    doc: Relative pulse-to-pulse jitter of the flat-field light source (default from the input's LIGHT_SOURCE_JITTER).
    inputBinding:
      prefix: --jitter
  min_events:
    type: int?
    label: Minimum events per chunk
    doc: Refuse chunks with fewer events in a pixel (default 100).
    inputBinding:
      prefix: --min-events
  max_flagged_fraction:
    type: float?
    label: Maximum flagged fraction
    doc: A chunk with a larger fraction of flagged pixels is not valid (default 0.1).
    inputBinding:
      prefix: --max-flagged-fraction
  plots:
    type: boolean?
    label: Diagnostic plots
    doc: Also write camera_coefficients.png, camera maps of gain, factor, pedestal, time shift and outlier reasons.
    inputBinding:
      prefix: --plots
  gain_selected_channel:
    type:
      - "null"
      - type: enum
        symbols: [high, low]
    label: Channel of gain-selected statistics
    doc: Which channel single-channel statistics are; the other is marked missing (default high).
    inputBinding:
      prefix: --gain-selected-channel

outputs:
  coefficients:
    type: File
    label: Camera calibration coefficients (HDF5)
    doc: ctapipe HDF5 with /dl1/monitoring/telescope/calibration/camera/coefficients/tel_NNN and the subarray.
    outputBinding:
      glob: camera_coefficients.h5
  summary:
    type: File
    label: Coefficients summary (ECSV)
    doc: One row per telescope, chunk and channel; flagged pixels per reason, camera medians, validity.
    outputBinding:
      glob: camera_coefficients.ecsv
  coefficient_maps:
    type: File?
    label: Diagnostic camera maps (PNG)
    doc: First chunk, high gain, one row per telescope (only with plots).
    format: https://www.iana.org/assignments/media-types/image/png
    outputBinding:
      glob: camera_coefficients.png
  provenance:
    type: File
    label: Provenance record
    doc: JSON provenance of this run (inputs and outputs with sha256, versions, times).
    format: https://www.iana.org/assignments/media-types/application/json
    outputBinding:
      glob: compute-camera-coefficients.provenance.json

successCodes: [0]
temporaryFailCodes: [100]
permanentFailCodes: [2, 3]
