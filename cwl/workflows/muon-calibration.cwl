cwlVersion: v1.2
class: Workflow
label: Muon calibration - optical throughput and optical PSF of each telescope
doc: |
  Use cases UC-120-2.2 (optical throughput) and UC-120-2.10 (optical PSF).
  process-muons runs once per input run (scatter over the DL1 image files and
  their output names, dotproduct); the muon files of all runs are gathered into
  muon-throughput and muon-psf. When `upload` is true, both results are stored in a
  calibration database, one product per telescope (db-upload splits the tables by
  tel_id; telescopes without a result are skipped): the throughput first, then the
  PSF into the database the first upload wrote (a SQLite file given as `database` or
  created, or a live server by `db_url`). Flat: every step is a CommandLineTool.

requirements:
  ScatterFeatureRequirement: {}
  MultipleInputFeatureRequirement: {}

inputs:
  dl1_images:
    type: File[]
    label: DL1 image files, one per run
    doc: ctapipe HDF5 DL1 files with camera images and trigger tables, all of the same subarray.
  muon_file_names:
    type: string[]
    label: Output basenames of the muon files
    doc: One per DL1 file, in the same order, all different (e.g. run201.muon.h5).
  pedestal:
    type: float?
    label: Pedestal noise rms [p.e.]
    doc: Per-pixel noise rms in the intensity likelihood of process-muons (default 1.1).
  chunk_duration:
    type: float?
    label: Throughput chunk length [s]
    doc: Aggregate the throughput in chunks of this many seconds (default 1800).
  chunk_start:
    type: string?
    label: First chunk start (ISO UTC)
    doc: Start of the first throughput chunk; default the first ring's time.
  psf_radius_bins:
    type: int?
    label: PSF radius bins
    doc: Number of ring radius bins of the PSF fit (default 8).
  psf_min_rings_per_bin:
    type: int?
    label: PSF minimum rings per bin
    doc: Radius bins with fewer rings are left out of the PSF fit (default 10).
  upload:
    type: boolean
    default: false
    label: Upload to the calibration database
    doc: Store the throughput and PSF results per telescope in the calibration database (db-upload).
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
    doc: Time stamp to record for the uploads (UTC ISO 8601; default now).

steps:
  process_muons:
    run: ../tools/process-muons.cwl
    scatter: [dl1_images, output_name]
    scatterMethod: dotproduct
    in:
      dl1_images: dl1_images
      output_name: muon_file_names
      pedestal: pedestal
    out: [muon_file]
  muon_throughput:
    run: ../tools/muon-throughput.cwl
    in:
      muon_files: process_muons/muon_file
      chunk_duration: chunk_duration
      chunk_start: chunk_start
    out: [throughput_table, throughput_monitoring, provenance]
  muon_psf:
    run: ../tools/muon-psf.cwl
    in:
      muon_files: process_muons/muon_file
      radius_bins: psf_radius_bins
      min_rings_per_bin: psf_min_rings_per_bin
    out: [psf_table, psf_bins, psf_monitoring, provenance]
  upload_throughput:
    run: ../tools/db-upload.cwl
    when: $(inputs.enabled)
    in:
      enabled: upload
      kind:
        default: muon-throughput
      receipt_name:
        default: muon-throughput.upload-receipt.json
      files:
        source: [muon_throughput/throughput_table]
        linkMerge: merge_flattened
      product_provenance: muon_throughput/provenance
      database: database
      db_url: db_url
      recorded_at: recorded_at
    out: [database_out, receipt]
  upload_psf:
    run: ../tools/db-upload.cwl
    when: $(inputs.enabled)
    in:
      enabled: upload
      kind:
        default: muon-psf
      receipt_name:
        default: muon-psf.upload-receipt.json
      files:
        source: [muon_psf/psf_table, muon_psf/psf_bins]
        linkMerge: merge_flattened
      product_provenance: muon_psf/provenance
      # the database the throughput upload wrote (with db_url: none, the server is shared)
      database: upload_throughput/database_out
      db_url: db_url
      recorded_at: recorded_at
    out: [database_out, receipt]

outputs:
  muon_files:
    type: File[]
    label: DL1 muon files
    doc: One ctapipe DL1 muon file per run (muon parameters, trigger tables, subarray).
    outputSource: process_muons/muon_file
  throughput_table:
    type: File
    label: Optical throughput table (ECSV)
    doc: Optical throughput per telescope and chunk.
    outputSource: muon_throughput/throughput_table
  throughput_monitoring:
    type: File
    label: Optical throughput monitoring file (HDF5)
    doc: /dl1/monitoring/telescope/calibration/optical_throughput/muon/tel_NNN tables.
    outputSource: muon_throughput/throughput_monitoring
  throughput_provenance:
    type: File
    label: Provenance of muon-throughput
    doc: JSON provenance record of the throughput step.
    outputSource: muon_throughput/provenance
  psf_table:
    type: File
    label: Optical PSF table (ECSV)
    doc: Width-radius fit per telescope.
    outputSource: muon_psf/psf_table
  psf_bins:
    type: File
    label: Binned width versus radius (ECSV)
    doc: The points of the PSF fit.
    outputSource: muon_psf/psf_bins
  psf_monitoring:
    type: File
    label: Optical PSF monitoring file (HDF5)
    doc: /dl1/monitoring/telescope/optical_psf/muon/tel_NNN tables.
    outputSource: muon_psf/psf_monitoring
  psf_provenance:
    type: File
    label: Provenance of muon-psf
    doc: JSON provenance record of the PSF step.
    outputSource: muon_psf/provenance
  database_out:
    type: File?
    label: Calibration database
    doc: The updated SQLite calibration database (with upload and a file database).
    outputSource: upload_psf/database_out
  throughput_receipt:
    type: File?
    label: Throughput upload receipt
    doc: muon-throughput.upload-receipt.json - products per telescope, skipped telescopes.
    outputSource: upload_throughput/receipt
  psf_receipt:
    type: File?
    label: PSF upload receipt
    doc: muon-psf.upload-receipt.json - products per telescope, skipped telescopes.
    outputSource: upload_psf/receipt
