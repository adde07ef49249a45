cwlVersion: v1.2
class: CommandLineTool
label: Validate a SimPipe molecular-atmosphere exchange set
doc: |
  Basic data quality check of the files handed to the Simulation Pipeline: the
  exchange manifest against its JSON Schema, size and sha256 of every listed
  file, the simtools JSON parameter records, the column contracts of the
  simtools ECSV assets (columns, units, descriptions, meta, no NaN), physical
  sanity (density and thickness decreasing with altitude, n-1 > 0, optical depth
  increasing with altitude and decreasing with wavelength) and agreement of the
  native atmprof / atm_trans files with the assets. A manifest with a clear-night
  assessment (clear_night) is checked against its record; a night that is not clear
  is reported (a warning line, the report's clear_night field) with exit 0.
  Exit codes: 0 valid, 2 bad usage, 3 the first violation (one line naming the
  file and the problem), 100 temporary failure.

baseCommand: [calibpipe-tasks, validate-exchange]

hints:
  DockerRequirement:
    dockerPull: calibpipe-tasks:0.1.0
  ResourceRequirement:
    coresMin: 1
    ramMin: 256
    outdirMin: 64
    tmpdirMin: 64

inputs:
  manifest:
    type: File
    label: Exchange manifest
    doc: The manifest JSON of the set (atmosphere_exchange_<id>.json).
    format: https://www.iana.org/assignments/media-types/application/json
    inputBinding:
      prefix: --manifest
  files:
    type: File[]
    label: Files of the exchange set
    doc: |
      Every file the manifest lists (simtools ECSV assets and JSON records,
      atmprof_<id>.dat, atm_trans_<id>.dat); matched to the manifest by basename.
    inputBinding:
      prefix: --file
  clear_night_record:
    type: File?
    label: Clear-night assessment record
    doc: clear_night.json named by the manifest's clear_night block (when it has one).
    format: https://www.iana.org/assignments/media-types/application/json
    inputBinding:
      prefix: --file

outputs:
  report:
    type: File
    label: Validation report
    doc: JSON report of a valid set - files with sha256, what was checked, a summary.
    format: https://www.iana.org/assignments/media-types/application/json
    outputBinding:
      glob: exchange_validation.json
  provenance:
    type: File
    label: Provenance record
    doc: JSON provenance of this run (inputs and outputs with sha256, versions, times).
    format: https://www.iana.org/assignments/media-types/application/json
    outputBinding:
      glob: validate-exchange.provenance.json

successCodes: [0]
temporaryFailCodes: [100]
permanentFailCodes: [2, 3]
