cwlVersion: v1.2
class: CommandLineTool
label: Download the Scripps monthly Mauna Loa CO2 record
doc: |
  HTTPS download of the Scripps CO2 Program monthly in-situ Mauna Loa record
  (monthly_in_situ_co2_mlo.csv), checked with the reader compute-macobac uses.
  Exit codes: 0 success, 2 bad usage, 3 refused or not the record,
  100 temporary failure (network, service busy) after the retries.

baseCommand: [calibpipe-tasks, fetch-co2]

requirements:
  NetworkAccess:
    networkAccess: true

hints:
  DockerRequirement:
    dockerPull: calibpipe-tasks:0.1.0
  ResourceRequirement:
    coresMin: 1
    ramMin: 192
    outdirMin: 64
    tmpdirMin: 64

inputs:
  url:
    type: string?
    label: Record URL
    doc: URL of the CSV (default the Scripps CO2 Program's monthly_in_situ_co2_mlo.csv).
    inputBinding:
      prefix: --url
  max_retries:
    type: int?
    label: Retries
    doc: Retries after network errors, time-outs and HTTP 408/429/5xx before exit 100 (default 5).
    inputBinding:
      prefix: --max-retries
  retry_wait:
    type: double?
    label: First retry wait
    doc: Seconds before the first retry, doubled before each next one (default 10).
    inputBinding:
      prefix: --retry-wait

outputs:
  co2_record:
    type: File
    label: Scripps monthly CO2 record
    doc: monthly_in_situ_co2_mlo.csv, the input of compute-macobac.
    format: https://www.iana.org/assignments/media-types/text/csv
    outputBinding:
      glob: monthly_in_situ_co2_mlo.csv
  provenance:
    type: File
    label: Provenance record
    doc: JSON provenance of this run (URL, last month of the record, output with sha256).
    format: https://www.iana.org/assignments/media-types/application/json
    outputBinding:
      glob: fetch-co2.provenance.json

successCodes: [0]
temporaryFailCodes: [100]
permanentFailCodes: [2, 3]
