cwlVersion: v1.2
class: CommandLineTool
label: Pair statistics of one DL2 file for the array inter- and cross-calibration (UC-120-2.32, 2.33)
doc: |
  Reads a ctapipe DL2 file (one observation block) once, in chunks of events, finds the
  telescope pairs within max_separation, selects per pair the events seen at similar impact
  distance with a pair-symmetric size cut on sqrt(x1 x2) (image amplitude for same-type pairs,
  per-telescope energy for any pair), and writes per pair the sufficient statistics of
  ln(x1/x2) with the cross moments of pairs sharing events. Never modifies its input.
  Exit codes: 0 success, 2 bad usage, 3 invalid input data, 100 temporary failure.

baseCommand: [calibpipe-tasks, array-pair-stats]

requirements:
  InlineJavascriptRequirement: {}

hints:
  DockerRequirement:
    dockerPull: calibpipe-tasks:0.1.0
  ResourceRequirement:
    coresMin: 1
    ramMin: "$(Math.ceil(448 + 4 * inputs.dl2_file.size / 1048576))"
    outdirMin: 64
    tmpdirMin: 64

inputs:
  dl2_file:
    type: File
    label: DL2 file
    doc: ctapipe DL2 HDF5 with triggers, Hillas parameters, per-telescope energy and impact tables.
    inputBinding:
      prefix: --input
  output_name:
    type: string
    default: array_pair_stats.h5
    label: Output basename
    doc: Basename of the statistics file, ending .h5 (table .ecsv); one per block when scattering.
    inputBinding:
      prefix: --output-name
  max_separation:
    type: float?
    label: Largest pair separation [m]
    doc: Telescope pairs farther apart on the ground are not used (default 350).
    inputBinding:
      prefix: --max-separation
  equidistance_cut:
    type: float?
    label: Equidistance cut of intensity pairs
    doc: Maximum |d1 - d2| / (d1 + d2) of the impact distances (default 0.05).
    inputBinding:
      prefix: --equidistance-cut
  energy_equidistance_cut:
    type: float?
    label: Equidistance cut of energy pairs
    doc: Maximum |d1 - d2| / (d1 + d2) in energy channels (default 0.03).
    inputBinding:
      prefix: --energy-equidistance-cut
  min_intensity:
    type: float?
    label: Minimum sqrt(A1 A2) [p.e.]
    doc: Pair-symmetric amplitude cut of same-type pairs (default 300).
    inputBinding:
      prefix: --min-intensity
  min_energy:
    type: float?
    label: Minimum sqrt(E1 E2) [TeV]
    doc: Pair-symmetric energy cut (default 1), well above the threshold of both types.
    inputBinding:
      prefix: --min-energy
  same_type_quantity:
    type: string?
    label: Same-type quantity
    doc: intensity (default), energy or both.
    inputBinding:
      prefix: --same-type-quantity

outputs:
  pair_stats:
    type: File
    label: Pair statistics (HDF5)
    doc: Per channel sums of ln ratios, histogram, cross moments of shared events, telescopes.
    outputBinding:
      glob: $(inputs.output_name)
  pair_table:
    type: File
    label: Pair statistics table (ECSV)
    doc: One row per pair and quantity, with units and descriptions.
    outputBinding:
      glob: "*.ecsv"
  provenance:
    type: File
    label: Provenance record
    doc: JSON provenance of this run (inputs and outputs with sha256, versions, times).
    format: https://www.iana.org/assignments/media-types/application/json
    outputBinding:
      glob: array-pair-stats.provenance.json

successCodes: [0]
temporaryFailCodes: [100]
permanentFailCodes: [2, 3]
