cwlVersion: v1.2
class: CommandLineTool
label: Merge pixel-statistics files of one observation (ctapipe-merge --attach-monitoring)
doc: |
  ctapipe's own merge tool in its monitoring-only strategy: attaches the
  pixel-statistics tables of several files of the same observation block
  (sky pedestal image, flat-field image, flat-field peak time) into one HDF5
  file with the subarray: the input of compute-camera-coefficients. Not
  rewritten here: the command is ctapipe's.
  Exit codes: 0 success, non-zero failure (ctapipe's tool exit codes).

baseCommand: [ctapipe-merge, --attach-monitoring, --monitoring]

arguments:
  - --provenance-log=ctapipe-merge-statistics.provenance.json
  - --output=merged_pixel_statistics.h5

hints:
  DockerRequirement:
    dockerPull: calibpipe-tasks:0.1.0
  ResourceRequirement:
    coresMin: 1
    ramMin: 512
    outdirMin: 64
    tmpdirMin: 64

inputs:
  statistics:
    type: File[]
    label: Pixel-statistics files
    doc: Outputs of ctapipe-calculate-pixel-statistics for the same observation block.
    inputBinding:
      position: 1

outputs:
  merged:
    type: File
    label: Merged pixel statistics (HDF5)
    doc: One HDF5 file with every pixel_statistics table of the inputs and the subarray.
    outputBinding:
      glob: merged_pixel_statistics.h5
  provenance:
    type: File
    label: Provenance record
    doc: ctapipe's JSON provenance of this run (activity, inputs, outputs, configuration).
    format: https://www.iana.org/assignments/media-types/application/json
    outputBinding:
      glob: ctapipe-merge-statistics.provenance.json

successCodes: [0]
temporaryFailCodes: [100]
permanentFailCodes: [1, 2, 3]
