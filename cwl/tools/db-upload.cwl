cwlVersion: v1.2
class: CommandLineTool
label: Upload a calibration product into the calibration database
doc: |
  Stores one calibration product (its files, or an exchange manifest with all the files
  it lists, each checked against its sha256) with kind, target, validity, version and the
  provenance record of the step that made it, in one transaction. Re-uploading identical
  content is a no-op returning the existing id; a new version with an overlapping validity
  marks the older one superseded. Given a database File, a copy is updated and output as
  calibration.sqlite (the input is never modified); without one a new database is created;
  with db_url a live database (SQLite or PostgreSQL) is updated in place. Place it at the end
  of a workflow, chaining database_out into the next upload.
  Telescope kinds (muon-throughput, muon-psf, array-*-calibration): tables with a tel_id column, as the
  muon and array steps write them for all telescopes, become one product per telescope (target tel_NNN,
  validity from the rows' time_start/time_end) in one transaction; the receipt lists the
  products and the telescopes skipped for want of a result.
  Exit codes: 0 success, 2 bad usage, 3 invalid input data (e.g. checksum mismatch),
  100 temporary failure (database unreachable or busy).

baseCommand: [calibpipe-tasks, db-upload]

hints:
  DockerRequirement:
    dockerPull: calibpipe-tasks:0.1.0
  ResourceRequirement:
    coresMin: 1
    ramMin: 256
    outdirMin: 64
    tmpdirMin: 64

inputs:
  kind:
    type: string
    label: Product kind
    doc: |
      One of atmospheric-profile, atmospheric-extinction, atmospheric-model (manifest),
      macobac, reference-selection, clear-night, muon-throughput, muon-psf,
      pointing-correction, camera-coefficients, array-inter-calibration,
      array-cross-calibration.
    inputBinding:
      prefix: --kind
  files:
    type:
      - "null"
      - type: array
        items: File
        inputBinding:
          prefix: --file
    label: Product files
    doc: The product's file(s); with a manifest, the files it lists.
  manifest:
    type: File?
    label: Exchange manifest
    doc: JSON object with a files list of {name, sha256}; the product is it plus its files.
    inputBinding:
      prefix: --manifest
  product_provenance:
    type: File?
    label: Provenance of the product
    doc: The <step>.provenance.json written by the step that made the product.
    inputBinding:
      prefix: --provenance
  target:
    type: string?
    label: Target
    doc: Site (North/South), telescope (tel_NNN) or global; default from the product's meta.
    inputBinding:
      prefix: --target
  valid_from:
    type: string?
    label: Start of validity
    doc: UTC, ISO 8601; default from the product's meta.
    inputBinding:
      prefix: --valid-from
  valid_to:
    type: string?
    label: End of validity
    doc: UTC, ISO 8601, excluded; default from the product's meta.
    inputBinding:
      prefix: --valid-to
  receipt_name:
    type: string
    default: upload-receipt.json
    label: Receipt file name
    doc: File name of the upload receipt; give each upload of a workflow its own.
    inputBinding:
      prefix: --receipt
  recorded_at:
    type: string?
    label: Upload time
    doc: Upload time recorded in the database (UTC, ISO 8601); default now. Set it for reproducible database files.
    inputBinding:
      prefix: --recorded-at
  database:
    type: File?
    label: Database to update
    doc: SQLite calibration database; a copy is updated and output. Default - a new database.
    inputBinding:
      prefix: --database
  db_url:
    type: string?
    label: Live database URL
    doc: sqlite:////abs/path.sqlite or postgresql+psycopg://user@host:port/dbname, updated in place.
    inputBinding:
      prefix: --db-url

outputs:
  database_out:
    type: File?
    label: Updated calibration database
    doc: The SQLite database with the product; absent when db_url is given.
    outputBinding:
      glob: calibration.sqlite
  receipt:
    type: File
    label: Upload receipt
    doc: JSON - product id, version, created or existing, superseded ids, validity, file checksums.
    format: https://www.iana.org/assignments/media-types/application/json
    outputBinding:
      glob: $(inputs.receipt_name)
  provenance:
    type: File
    label: Provenance record
    doc: JSON provenance of this run (inputs and outputs with sha256, versions, times).
    format: https://www.iana.org/assignments/media-types/application/json
    outputBinding:
      glob: db-upload.provenance.json

successCodes: [0]
temporaryFailCodes: [100]
permanentFailCodes: [2, 3]
