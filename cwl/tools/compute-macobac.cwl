cwlVersion: v1.2
class: CommandLineTool
label: 12-MACOBAC - 12-month average CO2 background concentration
doc: |
  Mean of the last 12 valid monthly values of the Scripps Mauna Loa in-situ CO2
  record (column 5, ppm), as CTAO's CalibPipe uses for the refractive index and
  Rayleigh scattering of the molecular atmosphere (use case UC-120-1.2).
  Exit codes: 0 success, 2 bad usage, 3 invalid input data, 100 temporary failure.

baseCommand: [calibpipe-tasks, compute-macobac]

hints:
  DockerRequirement:
    dockerPull: calibpipe-tasks:0.1.0
  ResourceRequirement:
    coresMin: 1
    ramMin: 128
    outdirMin: 64
    tmpdirMin: 64

inputs:
  co2_file:
    type: File
    label: Scripps monthly CO2 record
    doc: The Scripps CO2 Program monthly Mauna Loa in-situ CSV (monthly_in_situ_co2_mlo.csv).
    inputBinding:
      prefix: --co2-file
  until:
    type: string?
    label: Last date to use
    doc: Use only months that ended on or before this date (YYYY-MM-DD); default all.
    inputBinding:
      prefix: --until

outputs:
  macobac:
    type: File
    label: 12-MACOBAC table
    doc: ECSV with one row - co2_concentration [ppm], months used, estimation date.
    outputBinding:
      glob: macobac.ecsv
  provenance:
    type: File
    label: Provenance record
    doc: JSON provenance of this run (inputs and outputs with sha256, versions, times).
    format: https://www.iana.org/assignments/media-types/application/json
    outputBinding:
      glob: compute-macobac.provenance.json

successCodes: [0]
temporaryFailCodes: [100]
permanentFailCodes: [2, 3]
