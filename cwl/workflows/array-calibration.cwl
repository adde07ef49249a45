cwlVersion: v1.2
class: Workflow
label: Array calibration - inter- and cross-calibration of the telescopes from shower events
doc: |
  Use cases UC-120-2.32 (inter-calibration) and UC-120-2.33 (cross-calibration).
  array-pair-stats runs once per DL2 file (scatter over the observation blocks); the pair
  statistics of all blocks are gathered into array-inter-calibration (relative throughput
  within each telescope type) and array-cross-calibration (scale of each type relative to
  the reference type, using the inter-calibration once). When `upload` is true, both results
  are stored in a calibration database, one product per telescope: the inter-calibration
  first, then the cross-calibration into the database the first upload wrote (a SQLite file
  given as `database` or created, or a live server by `db_url`). Flat: every step is a
  CommandLineTool.

requirements:
  ScatterFeatureRequirement: {}
  MultipleInputFeatureRequirement: {}

inputs:
  dl2_files:
    type: File[]
    label: DL2 files, one per observation block
    doc: ctapipe DL2 HDF5 files of the same subarray, each a different observation block.
  pair_stats_names:
    type: string[]
    label: Basenames of the pair statistics files
    doc: One per DL2 file, in the same order, all different, ending .h5 (e.g. obs101.pairs.h5).
  max_separation:
    type: float?
    label: Largest pair separation [m]
    doc: Telescope pairs farther apart on the ground are not used (default 350).
  min_intensity:
    type: float?
    label: Minimum sqrt(A1 A2) [p.e.]
    doc: Pair-symmetric amplitude cut of same-type pairs (default 300).
  min_energy:
    type: float?
    label: Minimum sqrt(E1 E2) [TeV]
    doc: Pair-symmetric energy cut of the energy pairs (default 1).
  min_events:
    type: int?
    label: Minimum events per pair
    doc: Pairs with fewer selected events are left out of both fits (default 10).
  reference_type:
    type: string?
    label: Reference telescope type
    doc: Type whose geometric-mean throughput is 1 in the cross-calibration (default LST).
  upload:
    type: boolean
    default: false
    label: Upload to the calibration database
    doc: Store the inter- and cross-calibration per telescope in the calibration database.
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
  pair_stats_step:
    run: ../tools/array-pair-stats.cwl
    scatter: [dl2_file, output_name]
    scatterMethod: dotproduct
    in:
      dl2_file: dl2_files
      output_name: pair_stats_names
      max_separation: max_separation
      min_intensity: min_intensity
      min_energy: min_energy
    out: [pair_stats, pair_table, provenance]
  inter_step:
    run: ../tools/array-inter-calibration.cwl
    in:
      pair_stats: pair_stats_step/pair_stats
      min_events: min_events
    out: [inter_table, inter_covariance, inter_hdf5, provenance]
  cross_step:
    run: ../tools/array-cross-calibration.cwl
    in:
      pair_stats: pair_stats_step/pair_stats
      inter_calibration: inter_step/inter_table
      reference_type: reference_type
      min_events: min_events
    out: [cross_table, cross_types, cross_hdf5, provenance]
  upload_inter:
    run: ../tools/db-upload.cwl
    when: $(inputs.enabled)
    in:
      enabled: upload
      kind:
        default: array-inter-calibration
      receipt_name:
        default: array-inter-calibration.upload-receipt.json
      files:
        source: [inter_step/inter_table]
        linkMerge: merge_flattened
      product_provenance: inter_step/provenance
      database: database
      db_url: db_url
      recorded_at: recorded_at
    out: [database_out, receipt]
  upload_cross:
    run: ../tools/db-upload.cwl
    when: $(inputs.enabled)
    in:
      enabled: upload
      kind:
        default: array-cross-calibration
      receipt_name:
        default: array-cross-calibration.upload-receipt.json
      files:
        source: [cross_step/cross_table, cross_step/cross_types]
        linkMerge: merge_flattened
      product_provenance: cross_step/provenance
      # the database the inter-calibration upload wrote (with db_url: none, the server is shared)
      database: upload_inter/database_out
      db_url: db_url
      recorded_at: recorded_at
    out: [database_out, receipt]

outputs:
  pair_stats:
    type: File[]
    label: Pair statistics files
    doc: One pair statistics file per DL2 file (pair_stats_names).
    outputSource: pair_stats_step/pair_stats
  inter_table:
    type: File
    label: Inter-calibration table (ECSV)
    doc: Relative throughput per telescope within its type.
    outputSource: inter_step/inter_table
  inter_covariance:
    type: File
    label: Inter-calibration covariance (ECSV)
    doc: Covariance of ln c between telescopes.
    outputSource: inter_step/inter_covariance
  inter_hdf5:
    type: File
    label: Inter-calibration (HDF5)
    doc: /array/calibration/inter tables.
    outputSource: inter_step/inter_hdf5
  inter_provenance:
    type: File
    label: Provenance of array-inter-calibration
    doc: JSON provenance record of the inter-calibration step.
    outputSource: inter_step/provenance
  cross_table:
    type: File
    label: Cross-calibration per telescope (ECSV)
    doc: Throughput relative to the reference type per telescope.
    outputSource: cross_step/cross_table
  cross_types:
    type: File
    label: Cross-calibration per type (ECSV)
    doc: Scale of each type relative to the reference type.
    outputSource: cross_step/cross_types
  cross_hdf5:
    type: File
    label: Cross-calibration (HDF5)
    doc: /array/calibration/cross tables.
    outputSource: cross_step/cross_hdf5
  cross_provenance:
    type: File
    label: Provenance of array-cross-calibration
    doc: JSON provenance record of the cross-calibration step.
    outputSource: cross_step/provenance
  database_out:
    type: File?
    label: Calibration database
    doc: The updated SQLite calibration database (with upload and a file database).
    outputSource: upload_cross/database_out
  inter_receipt:
    type: File?
    label: Inter-calibration upload receipt
    doc: array-inter-calibration.upload-receipt.json - products per telescope.
    outputSource: upload_inter/receipt
  cross_receipt:
    type: File?
    label: Cross-calibration upload receipt
    doc: array-cross-calibration.upload-receipt.json - products per telescope.
    outputSource: upload_cross/receipt
