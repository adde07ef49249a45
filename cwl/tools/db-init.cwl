cwlVersion: v1.2
class: CommandLineTool
label: Create or upgrade a calibration database
doc: |
  Creates a new, empty SQLite calibration database (calibration.sqlite) with the newest
  schema (Alembic "upgrade head"), or, given a database File, upgrades a copy of it; with
  db_url, creates or upgrades the schema of a live database (SQLite or PostgreSQL) in place
  and outputs no database file.
  Exit codes: 0 success, 2 bad usage, 3 invalid input data, 100 temporary failure
  (database unreachable).

baseCommand: [calibpipe-tasks, db-init]

hints:
  DockerRequirement:
    dockerPull: calibpipe-tasks:0.1.0
  ResourceRequirement:
    coresMin: 1
    ramMin: 192
    outdirMin: 64
    tmpdirMin: 64

inputs:
  database:
    type: File?
    label: Database to upgrade
    doc: An existing SQLite calibration database; a copy is upgraded and output (never modified).
    inputBinding:
      prefix: --database
  db_url:
    type: string?
    label: Live database URL
    doc: |
      sqlite:////abs/path.sqlite or postgresql+psycopg://user@host:port/dbname, updated in
      place (give the password through ~/.pgpass rather than in the URL).
    inputBinding:
      prefix: --db-url

outputs:
  database_out:
    type: File?
    label: Calibration database
    doc: The new (or upgraded) SQLite database; absent when db_url is given.
    outputBinding:
      glob: calibration.sqlite
  receipt:
    type: File
    label: Schema receipt
    doc: JSON with the schema revision and the backend.
    format: https://www.iana.org/assignments/media-types/application/json
    outputBinding:
      glob: db-init.json
  provenance:
    type: File
    label: Provenance record
    doc: JSON provenance of this run (inputs and outputs with sha256, versions, times).
    format: https://www.iana.org/assignments/media-types/application/json
    outputBinding:
      glob: db-init.provenance.json

successCodes: [0]
temporaryFailCodes: [100]
permanentFailCodes: [2, 3]
