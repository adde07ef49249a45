cwlVersion: v1.2
class: CommandLineTool
label: Relative throughput of the telescopes of each type from shower events (UC-120-2.32)
doc: |
  Gathers the pair statistics of any number of observation blocks and fits per telescope type
  ln c of every telescope by weighted linear least squares of the mean ln amplitude ratios of
  the pairs, with a gauge (reference telescope c = 1, or the geometric mean of the type = 1);
  full covariance (sandwich with the events shared between pairs), chi2/ndf, validity window,
  obs_ids. Pairs with too few events are dropped with a log line. Never modifies its inputs.
  Exit codes: 0 success, 2 bad usage, 3 invalid input data (e.g. the same observation twice,
  a reference telescope without pairs), 100 temporary failure.

baseCommand: [calibpipe-tasks, array-inter-calibration]

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
    doc: array_pair_stats.h5 of array-pair-stats, one per observation block.
    inputBinding:
      prefix: --input
  quantity:
    type: string?
    label: Quantity
    doc: intensity (default) or energy - which same-type pairs to fit.
    inputBinding:
      prefix: --quantity
  reference_telescope:
    type:
      - "null"
      - type: array
        items: int
        inputBinding:
          prefix: --reference-telescope
    label: Reference telescopes
    doc: One per type at most (its c = 1); types without one use the type mean.
    inputBinding:
      position: 1
  min_events:
    type: int?
    label: Minimum events per pair
    doc: Pairs with fewer selected events are left out (default 10, at least 2).
    inputBinding:
      prefix: --min-events

outputs:
  inter_table:
    type: File
    label: Inter-calibration table (ECSV)
    doc: One row per telescope - coefficient, errors, pairs, events, time range, status.
    outputBinding:
      glob: array_inter_calibration.ecsv
  inter_covariance:
    type: File
    label: Covariance of ln c (ECSV)
    doc: Long form, per pair of telescopes with a result.
    outputBinding:
      glob: array_inter_calibration_covariance.ecsv
  inter_hdf5:
    type: File
    label: Inter-calibration (HDF5)
    doc: Both tables under /array/calibration/inter.
    outputBinding:
      glob: array_inter_calibration.h5
  provenance:
    type: File
    label: Provenance record
    doc: JSON provenance of this run (inputs and outputs with sha256, versions, times).
    format: https://www.iana.org/assignments/media-types/application/json
    outputBinding:
      glob: array-inter-calibration.provenance.json

successCodes: [0]
temporaryFailCodes: [100]
permanentFailCodes: [2, 3]
