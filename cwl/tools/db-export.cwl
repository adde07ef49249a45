cwlVersion: v1.2
class: CommandLineTool
label: Export calibration products to files with an index
doc: |
  Writes a selection of products (by kind, target, validity overlap, status) to the
  directory calibration-export - one sub-directory per product id with its files as
  uploaded, the provenance records, and index.json describing every product.
  Exit codes: 0 success, 2 bad usage, 3 corrupt stored data, 100 temporary failure.

baseCommand: [calibpipe-tasks, db-export]

hints:
  DockerRequirement:
    dockerPull: calibpipe-tasks:0.1.0
  ResourceRequirement:
    coresMin: 1
    ramMin: 192
    outdirMin: 64
    tmpdirMin: 64

inputs:
  kinds:
    type:
      - "null"
      - type: array
        items: string
        inputBinding:
          prefix: --kind
    label: Kinds
    doc: Product kinds to export (default all).
  targets:
    type:
      - "null"
      - type: array
        items: string
        inputBinding:
          prefix: --target
    label: Targets
    doc: Sites / telescopes to export (default all).
  valid_from:
    type: string?
    label: Window start
    doc: Keep products valid after this time (UTC).
    inputBinding:
      prefix: --valid-from
  valid_to:
    type: string?
    label: Window end
    doc: Keep products valid before this time (UTC).
    inputBinding:
      prefix: --valid-to
  status:
    type: string?
    label: Status
    doc: current, superseded or all (default).
    inputBinding:
      prefix: --status
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
  export:
    type: Directory
    label: Exported products
    doc: One directory per product id with its files, provenance records, and index.json.
    outputBinding:
      glob: calibration-export
  provenance:
    type: File
    label: Provenance record
    doc: JSON provenance of this run (inputs and outputs with sha256, versions, times).
    format: https://www.iana.org/assignments/media-types/application/json
    outputBinding:
      glob: db-export.provenance.json

successCodes: [0]
temporaryFailCodes: [100]
permanentFailCodes: [2, 3]
