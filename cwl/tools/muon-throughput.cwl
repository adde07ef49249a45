cwlVersion: v1.2
class: CommandLineTool
label: Optical throughput per telescope from muon rings (UC-120-2.2)
doc: |
  Joins the ctapipe DL1 muon tables of one or many runs to their trigger times
  on (obs_id, event_id, tel_id), applies the quality selection (common cuts and
  cuts per telescope type), and aggregates the ring optical efficiencies per
  telescope in chunks of time or ring count: sigma-clipped mean, median, std,
  standard error, number of rings, time range, obs_ids. Writes an ECSV table and
  an HDF5 file with /dl1/monitoring/telescope/calibration/optical_throughput/muon/tel_NNN
  (readable by ctapipe.io.read_table). Never modifies its inputs.
  Exit codes: 0 success, 2 bad usage, 3 invalid input data, 100 temporary failure.

baseCommand: [calibpipe-tasks, muon-throughput]

hints:
  DockerRequirement:
    dockerPull: calibpipe-tasks:0.1.0
  ResourceRequirement:
    coresMin: 1
    ramMin: 512
    outdirMin: 64
    tmpdirMin: 64

inputs:
  muon_files:
    type: File[]
    label: DL1 muon files
    doc: ctapipe HDF5 files with /dl1/event/telescope/muon/tel_NNN and trigger tables (same subarray).
    inputBinding:
      prefix: --input
  chunk_duration:
    type: float?
    label: Chunk length [s]
    doc: Aggregate in chunks of this many seconds (default 1800); exclusive with chunk_rings.
    inputBinding:
      prefix: --chunk-duration
  chunk_rings:
    type: int?
    label: Rings per chunk
    doc: Aggregate in chunks of this many consecutive rings per telescope instead of by time.
    inputBinding:
      prefix: --chunk-rings
  chunk_start:
    type: string?
    label: First chunk start (ISO UTC)
    doc: Start of the first time chunk; default the first ring's time.
    inputBinding:
      prefix: --chunk-start
  sigma:
    type: float?
    label: Sigma-clipping threshold
    doc: Rings farther than this many standard deviations from the median are rejected (default 3).
    inputBinding:
      prefix: --sigma
  cut:
    type:
      - "null"
      - type: array
        items: string
        inputBinding:
          prefix: --cut
    label: Common quality cuts
    doc: ctapipe QualityQuery expressions on muon table columns; replace the defaults.
    inputBinding:
      position: 1
  type_cut:
    type:
      - "null"
      - type: array
        items: string
        inputBinding:
          prefix: --type-cut
    label: Quality cuts per telescope type
    doc: PATTERN=EXPR items (e.g. MST_*=muonefficiency_impact < 5.2); replace the defaults.
    inputBinding:
      position: 1

outputs:
  throughput_table:
    type: File
    label: Optical throughput table (ECSV)
    doc: One row per telescope and chunk; telescopes without rings passing the cuts get a row saying so.
    outputBinding:
      glob: muon_throughput.ecsv
  throughput_monitoring:
    type: File
    label: Optical throughput monitoring file (HDF5)
    doc: ctapipe HDF5 with /dl1/monitoring/telescope/calibration/optical_throughput/muon/tel_NNN.
    outputBinding:
      glob: muon_throughput.h5
  provenance:
    type: File
    label: Provenance record
    doc: JSON provenance of this run (inputs and outputs with sha256, versions, times).
    format: https://www.iana.org/assignments/media-types/application/json
    outputBinding:
      glob: muon-throughput.provenance.json

successCodes: [0]
temporaryFailCodes: [100]
permanentFailCodes: [2, 3]
