cwlVersion: v1.2
class: Workflow
label: Pointing corrections from the stars in sky-pedestal events
doc: |
  R1/DL0 event file with sky-pedestal events and the drive pointing
  (/dl0/monitoring/telescope/pointing/tel_NNN) -> ctapipe-process with the
  VarianceExtractor (variance images) -> track-stars (expected and measured star
  positions, refraction from the optional ingest-meteo table) -> fit-pointing
  (pointing correction per telescope and chunk). When `upload` is true, the
  corrections are stored in a calibration database (db-upload, kind
  pointing-correction, one product per telescope; rows with status ok give the
  validity): a SQLite file given as `database` or created, or a live server by
  `db_url`. Flat (every step a CommandLineTool) for the WMS translator.

requirements:
  MultipleInputFeatureRequirement: {}

inputs:
  waveforms:
    type: File
    label: R1/DL0 event file
    doc: Sky-pedestal events with waveforms and the drive pointing table.
  meteo:
    type: File?
    label: Meteorological table (ingest-meteo)
    doc: meteo.ecsv for the site pressure and temperature of the refraction (default standard atmosphere).
  chunk_duration:
    type: float?
    label: Chunk length [s]
    doc: Time chunk of the star tracking (default 60 s).
  plot:
    type: boolean?
    label: Write the diagnostic plot
    doc: fit-pointing also writes pointing_corrections.png.
  upload:
    type: boolean
    default: false
    label: Upload to the calibration database
    doc: Store the corrections per telescope in the calibration database (db-upload, kind pointing-correction).
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
  variance:
    run: ../tools/variance-images.cwl
    in:
      waveforms: waveforms
    out: [variance_images, provenance]
  stars:
    run: ../tools/track-stars.cwl
    in:
      variance_images: variance/variance_images
      pointing: waveforms
      meteo: meteo
      chunk_duration: chunk_duration
    out: [star_positions, star_table, chunk_table, provenance]
  fit:
    run: ../tools/fit-pointing.cwl
    in:
      star_positions: stars/star_positions
      plot: plot
    out: [corrections_table, corrections_monitoring, plot_file, provenance]
  upload_corrections:
    run: ../tools/db-upload.cwl
    when: $(inputs.enabled)
    in:
      enabled: upload
      kind:
        default: pointing-correction
      receipt_name:
        default: pointing-correction.upload-receipt.json
      files:
        source: [fit/corrections_table]
        linkMerge: merge_flattened
      product_provenance: fit/provenance
      database: database
      db_url: db_url
      recorded_at: recorded_at
    out: [database_out, receipt]

outputs:
  corrections_table:
    type: File
    label: Pointing corrections (ECSV)
    doc: One row per telescope and chunk (delta_alt, delta_az, errors, chi2, is_valid, status).
    outputSource: fit/corrections_table
  corrections_monitoring:
    type: File
    label: Pointing corrections (HDF5)
    doc: /dl1/monitoring/telescope/pointing/star_tracking/tel_NNN.
    outputSource: fit/corrections_monitoring
  corrections_plot:
    type: File?
    label: Diagnostic plot
    doc: Camera with expected and measured stars, correction vs time (with plot).
    outputSource: fit/plot_file
  star_table:
    type: File
    label: Star positions (ECSV)
    doc: Expected and measured star positions with covariance and flags.
    outputSource: stars/star_table
  chunk_table:
    type: File
    label: Chunks (ECSV)
    doc: Per telescope and chunk, the refraction conditions and counts.
    outputSource: stars/chunk_table
  variance_provenance:
    type: File
    label: ctapipe-process provenance
    doc: Provenance log of the variance-images step.
    outputSource: variance/provenance
  stars_provenance:
    type: File
    label: track-stars provenance
    doc: Provenance record of track-stars.
    outputSource: stars/provenance
  fit_provenance:
    type: File
    label: fit-pointing provenance
    doc: Provenance record of fit-pointing.
    outputSource: fit/provenance
  database_out:
    type: File?
    label: Calibration database
    doc: The updated SQLite calibration database (with upload and a file database).
    outputSource: upload_corrections/database_out
  upload_receipt:
    type: File?
    label: Upload receipt
    doc: pointing-correction.upload-receipt.json - products per telescope, skipped telescopes.
    outputSource: upload_corrections/receipt
