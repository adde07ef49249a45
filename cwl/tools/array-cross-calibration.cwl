cwlVersion: v1.2
class: CommandLineTool
label: Throughput scale per telescope type relative to a reference type (UC-120-2.33)
doc: |
  From the cross-type energy pairs of the pair statistics, each corrected once by the
  inter-calibration of its two telescopes, fits the throughput scale of every type relative
  to the reference type, and gives per telescope inter coefficient x type scale with errors
  through both stages (events shared between pairs counted once). The inter-calibration must
  come from the same observation blocks and reproduce from the pair statistics.
  Never modifies its inputs.
  Exit codes: 0 success, 2 bad usage, 3 invalid input data (e.g. inputs of other observation
  blocks), 100 temporary failure.

baseCommand: [calibpipe-tasks, array-cross-calibration]

hints:
  DockerRequirement:
    dockerPull: calibpipe-tasks:0.1.0
  ResourceRequirement:
    coresMin: 1
    ramMin: 256
    outdirMin: 64
    tmpdirMin: 64

inputs:
  pair_stats:
    type: File[]
    label: Pair statistics files
    doc: array_pair_stats.h5 of array-pair-stats, the same as for the inter-calibration.
    inputBinding:
      prefix: --input
  inter_calibration:
    type: File
    label: Inter-calibration table
    doc: array_inter_calibration.ecsv of array-inter-calibration.
    inputBinding:
      prefix: --inter-calibration
  reference_type:
    type: string?
    label: Reference telescope type
    doc: ctapipe type string or its first part if unique (default LST).
    inputBinding:
      prefix: --reference-type
  min_events:
    type: int?
    label: Minimum events per pair
    doc: Cross-type pairs with fewer selected events are left out (default 10, at least 2).
    inputBinding:
      prefix: --min-events

outputs:
  cross_table:
    type: File
    label: Cross-calibration per telescope (ECSV)
    doc: Coefficient relative to the reference type, errors, inter coefficient, type scale, status.
    outputBinding:
      glob: array_cross_calibration.ecsv
  cross_types:
    type: File
    label: Cross-calibration per type (ECSV)
    doc: Scale of each telescope type relative to the reference type, with errors.
    outputBinding:
      glob: array_cross_calibration_types.ecsv
  cross_hdf5:
    type: File
    label: Cross-calibration (HDF5)
    doc: Both tables under /array/calibration/cross.
    outputBinding:
      glob: array_cross_calibration.h5
  provenance:
    type: File
    label: Provenance record
    doc: JSON provenance of this run (inputs and outputs with sha256, versions, times).
    format: https://www.iana.org/assignments/media-types/application/json
    outputBinding:
      glob: array-cross-calibration.provenance.json

successCodes: [0]
temporaryFailCodes: [100]
permanentFailCodes: [2, 3]
