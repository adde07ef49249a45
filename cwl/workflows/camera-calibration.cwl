cwlVersion: v1.2
class: Workflow
label: Camera calibration - coefficients from pedestal and flat-field events (UC-120-2.20)
doc: |
  R1 waveforms of a run's calibration events -> DL1 images of the sky-pedestal
  and of the flat-field events (ctapipe-process with an event-type filter, twice,
  with the same FixedWindowSum window) -> per-pixel
  statistics of the pedestal charge, the flat-field charge and the flat-field
  peak time (ctapipe-calculate-pixel-statistics, three times) -> one merged
  statistics file (ctapipe-merge --attach-monitoring) ->
  compute-camera-coefficients (F-factor gain, factor, pedestal_offset,
  time_shift corrected for the pedestal in the window, outliers, per chunk) ->
  validate-camera-coefficients (the coefficients applied to the pedestal and
  flat-field images: pedestal 0, flat-field flat at the right scale, sane values,
  validity starts, the same window; a failed check stops the workflow) ->
  optionally db-upload (kind camera-coefficients, one product per telescope) of
  the validated file. ctapipe's statistics carry no
  record of the extraction window: give `window_width`.
  With the optional `spe_waveforms` (R1 waveforms of a single-p.e. run of the same
  camera: faint flat-field events) it also extracts those with the same window
  (ctapipe-process) and fits the single-p.e. spectra (fit-spe: absolute gain and
  F^2 per pixel); their F^2 per pixel, with its errors, then replaces `f_squared`
  in compute-camera-coefficients. Without them the products are as before.
  Flat (every step a CommandLineTool; the optional steps by CWL v1.2 `when`, a
  one-line JavaScript null test evaluated by the engine), so CTADIRAC's CWL
  translator accepts it.

requirements:
  MultipleInputFeatureRequirement: {}
  # the `when` of the two single-p.e. steps tests an optional input for null
  InlineJavascriptRequirement: {}

inputs:
  r1_waveforms:
    type: File
    label: R1 waveforms of the calibration events
    doc: ctapipe HDF5 with the run's sky-pedestal and flat-field events (R1).
  peak_index:
    type: int
    label: Window reference sample
    doc: FixedWindowSum peak_index; the window starts at peak_index - window_shift.
  window_shift:
    type: int
    label: Window shift [samples]
    doc: FixedWindowSum window_shift.
  chunk_size:
    type: int
    label: Events per chunk
    doc: Number of calibration events aggregated into one row of coefficients.
  window_width:
    type: int
    label: Extraction window [samples]
    doc: FixedWindowSum window_width of both event types (also given to the coefficients step).
  f_squared:
    type: float?
    label: Excess noise factor F^2
    doc: F^2 of the photo-detectors (default 1.222, LST PMTs).
  jitter:
    type: float?
    label: Light-source jitter B
    doc: Relative pulse-to-pulse jitter of the flat-field light source.
  min_events:
    type: int?
    label: Minimum events per chunk
    doc: compute-camera-coefficients refuses chunks with fewer events in a pixel (default 100).
  spe_waveforms:
    type: File?
    label: R1 waveforms of a single-p.e. run
    doc: |
      ctapipe HDF5 with faint flat-field events (about one photo-electron per pixel) of the
      same camera, e.g. taken with the camera closed at a raised high voltage; when given,
      fit-spe's F^2 per pixel replaces f_squared.
  spe_min_events:
    type: int?
    label: Minimum single-p.e. events
    doc: fit-spe refuses a telescope with fewer single-p.e. events (default 1000).
  upload:
    type: boolean
    default: false
    label: Upload to the calibration database
    doc: Store the coefficients per telescope in the calibration database (db-upload).
  database:
    type: File?
    label: Calibration database file
    doc: SQLite database to add the products to (a copy is updated; default a new one).
  db_url:
    type: string?
    label: Calibration database URL
    doc: A live database (e.g. postgresql+psycopg://host/db) instead of a file.
  recorded_at:
    type: string?
    label: Upload time
    doc: Time stamp to record for the upload (UTC ISO 8601; default now).

steps:
  pedestal_extraction:
    run: ../tools/ctapipe-process-calibration.cwl
    in:
      r1_waveforms: r1_waveforms
      event_type:
        default: SKY_PEDESTAL
      peak_index: peak_index
      window_width: window_width
      window_shift: window_shift
    out: [images, provenance]
  flatfield_extraction:
    run: ../tools/ctapipe-process-calibration.cwl
    in:
      r1_waveforms: r1_waveforms
      event_type:
        default: FLATFIELD
      peak_index: peak_index
      window_width: window_width
      window_shift: window_shift
    out: [images, provenance]
  pedestal_statistics:
    run: ../tools/ctapipe-calculate-pixel-statistics.cwl
    in:
      dl1_images: pedestal_extraction/images
      column:
        default: image
      chunk_size: chunk_size
    out: [statistics]
  flatfield_statistics:
    run: ../tools/ctapipe-calculate-pixel-statistics.cwl
    in:
      dl1_images: flatfield_extraction/images
      column:
        default: image
      chunk_size: chunk_size
    out: [statistics]
  peak_time_statistics:
    run: ../tools/ctapipe-calculate-pixel-statistics.cwl
    in:
      dl1_images: flatfield_extraction/images
      column:
        default: peak_time
      chunk_size: chunk_size
    out: [statistics]
  merge_statistics:
    run: ../tools/ctapipe-merge-statistics.cwl
    in:
      statistics:
        source:
          - pedestal_statistics/statistics
          - flatfield_statistics/statistics
          - peak_time_statistics/statistics
        linkMerge: merge_flattened
    out: [merged]
  single_pe_extraction:
    run: ../tools/ctapipe-process-calibration.cwl
    when: $(inputs.r1_waveforms !== null)
    in:
      r1_waveforms: spe_waveforms
      event_type:
        default: FLATFIELD
      peak_index: peak_index
      window_width: window_width
      window_shift: window_shift
    out: [images]
  single_pe_fit:
    run: ../tools/fit-spe.cwl
    when: $(inputs.images !== null)
    in:
      images: single_pe_extraction/images
      min_events: spe_min_events
    out: [spe_fit, provenance]
  camera_coefficients:
    run: ../tools/compute-camera-coefficients.cwl
    in:
      statistics: merge_statistics/merged
      window_width: window_width
      peak_index: peak_index
      window_shift: window_shift
      f_squared: f_squared
      f_squared_table: single_pe_fit/spe_fit
      jitter: jitter
      min_events: min_events
    out: [coefficients, summary, provenance]
  validate_coefficients:
    run: ../tools/validate-camera-coefficients.cwl
    in:
      coefficients: camera_coefficients/coefficients
      pedestal_images: pedestal_extraction/images
      flatfield_images: flatfield_extraction/images
      extraction_provenance:
        source: [pedestal_extraction/provenance, flatfield_extraction/provenance]
        linkMerge: merge_flattened
    out: [validated_coefficients, report, report_table, provenance]
  upload_coefficients:
    run: ../tools/db-upload.cwl
    when: $(inputs.enabled)
    in:
      enabled: upload
      kind:
        default: camera-coefficients
      receipt_name:
        default: camera-coefficients.upload-receipt.json
      files:
        source: [camera_coefficients/summary, validate_coefficients/validated_coefficients]
        linkMerge: merge_flattened
      product_provenance: camera_coefficients/provenance
      database: database
      db_url: db_url
      recorded_at: recorded_at
    out: [database_out, receipt]

outputs:
  merged_statistics:
    type: File
    label: Merged pixel statistics (HDF5)
    doc: sky_pedestal_image, flatfield_image and flatfield_peak_time per telescope.
    outputSource: merge_statistics/merged
  coefficients:
    type: File
    label: Camera calibration coefficients (HDF5)
    doc: /dl1/monitoring/telescope/calibration/camera/coefficients/tel_NNN tables (validated).
    outputSource: validate_coefficients/validated_coefficients
  summary:
    type: File
    label: Coefficients summary (ECSV)
    doc: One row per telescope, chunk and channel.
    outputSource: camera_coefficients/summary
  coefficients_provenance:
    type: File
    label: Provenance of compute-camera-coefficients
    doc: JSON provenance record of the coefficients step.
    outputSource: camera_coefficients/provenance
  validation_report:
    type: File
    label: Validation report (JSON)
    doc: camera_validation.json - every check of validate-camera-coefficients per telescope.
    outputSource: validate_coefficients/report
  validation_table:
    type: File
    label: Validation report (ECSV)
    doc: camera_validation.ecsv - one row per telescope and check.
    outputSource: validate_coefficients/report_table
  validation_provenance:
    type: File
    label: Provenance of validate-camera-coefficients
    doc: JSON provenance record of the validation step.
    outputSource: validate_coefficients/provenance
  spe_fit:
    type: File?
    label: Single-p.e. fit per pixel (ECSV)
    doc: spe_fit.ecsv - absolute gain, F^2, pedestal, mu per pixel with errors (with spe_waveforms).
    outputSource: single_pe_fit/spe_fit
  spe_fit_provenance:
    type: File?
    label: Provenance of fit-spe
    doc: JSON provenance record of the single-p.e. fit (with spe_waveforms).
    outputSource: single_pe_fit/provenance
  database_out:
    type: File?
    label: Calibration database
    doc: The updated SQLite calibration database (with upload and a file database).
    outputSource: upload_coefficients/database_out
  receipt:
    type: File?
    label: Upload receipt
    doc: camera-coefficients.upload-receipt.json - products per telescope.
    outputSource: upload_coefficients/receipt
