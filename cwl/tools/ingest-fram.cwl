cwlVersion: v1.2
class: CommandLineTool
label: Ingest FRAM aerosol optical depths (ACADA FITS) for a site (UC-120-1.12)
doc: |
  Reads ACADA FRAM FITS files (binary table with DATATYPE FRAM: timestamp, ra/dec or
  alt/az, aod, aod_err, peak_wavelength; scalar or vector-valued rows), flattens them
  to one row per measurement, computes the apparent zenith angle at the site (site
  table of the project, no network) and writes the normalised table fram.ecsv with
  units. Unusable measurements (NaN, non-positive error, AOD below -5 errors) are
  dropped and counted. Never modifies its inputs.
  Exit codes: 0 success, 2 bad usage, 3 invalid input data, 100 temporary failure.

baseCommand: [calibpipe-tasks, ingest-fram]

hints:
  DockerRequirement:
    dockerPull: calibpipe-tasks:0.1.0
  ResourceRequirement:
    coresMin: 1
    ramMin: 384
    outdirMin: 64
    tmpdirMin: 64

inputs:
  fram_files:
    type: File[]
    label: FRAM FITS files
    doc: ACADA FRAM monitoring FITS files of one FRAM (several may span the night).
    inputBinding:
      prefix: --fram-files
  site:
    type: string
    label: Site name
    doc: CTAO site North or South (aliases LaPalma, Paranal).
    inputBinding:
      prefix: --site

outputs:
  fram_table:
    type: File
    label: Normalised FRAM table (ECSV)
    doc: One row per measurement, time-sorted, with units (see docs/clear-night.md).
    outputBinding:
      glob: fram.ecsv
  provenance:
    type: File
    label: Provenance record
    doc: JSON provenance of this run (inputs and outputs with sha256, versions, times).
    format: https://www.iana.org/assignments/media-types/application/json
    outputBinding:
      glob: ingest-fram.provenance.json

successCodes: [0]
temporaryFailCodes: [100]
permanentFailCodes: [2, 3]
