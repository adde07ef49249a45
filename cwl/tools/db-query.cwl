cwlVersion: v1.2
class: CommandLineTool
label: Get the calibration product valid at a time
doc: |
  Finds, for a kind and a target (site or telescope), the product whose validity contains
  the given time with the highest version (optionally as the database stood at a past time)
  and writes its files back out, byte-identical to what was uploaded (checked against their
  stored sha256), with a JSON description and the product's provenance record.
  Exit codes: 0 success, 2 bad usage, 3 nothing valid or corrupt stored data,
  100 temporary failure (database unreachable).

baseCommand: [calibpipe-tasks, db-query]

hints:
  DockerRequirement:
    dockerPull: calibpipe-tasks:0.1.0
  ResourceRequirement:
    coresMin: 1
    ramMin: 192
    outdirMin: 64
    tmpdirMin: 64

inputs:
  kind:
    type: string
    label: Product kind
    doc: |
      One of atmospheric-profile, atmospheric-extinction, atmospheric-model, macobac,
      reference-selection, clear-night, muon-throughput, muon-psf.
    inputBinding:
      prefix: --kind
  target:
    type: string
    label: Target
    doc: Site (North/South), telescope (tel_NNN) or global.
    inputBinding:
      prefix: --target
  at:
    type: string
    label: Time
    doc: The time the product must be valid at (UTC, ISO 8601).
    inputBinding:
      prefix: --at
  as_of:
    type: string?
    label: As of
    doc: Answer as the database stood at this past time (UTC), ignoring later uploads.
    inputBinding:
      prefix: --as-of
  database:
    type: File?
    label: Database
    doc: SQLite calibration database (read only).
    inputBinding:
      prefix: --database
  db_url:
    type: string?
    label: Live database URL
    doc: sqlite:////abs/path.sqlite or postgresql+psycopg://user@host:port/dbname.
    inputBinding:
      prefix: --db-url

outputs:
  product:
    type: Directory
    label: Product files
    doc: The product's files as uploaded (for a manifest - the manifest and its files).
    outputBinding:
      glob: calibration-product
  result:
    type: File
    label: Product description
    doc: JSON - id, kind, target, validity, version, status, checksums, meta.
    format: https://www.iana.org/assignments/media-types/application/json
    outputBinding:
      glob: query-result.json
  product_provenance:
    type: File?
    label: Provenance of the product
    doc: The provenance record stored with the product, if one was uploaded.
    format: https://www.iana.org/assignments/media-types/application/json
    outputBinding:
      glob: calibration-product.provenance.json
  provenance:
    type: File
    label: Provenance record
    doc: JSON provenance of this run (inputs and outputs with sha256, versions, times).
    format: https://www.iana.org/assignments/media-types/application/json
    outputBinding:
      glob: db-query.provenance.json

successCodes: [0]
temporaryFailCodes: [100]
permanentFailCodes: [2, 3]
