cwlVersion: v1.2
class: CommandLineTool
label: Array (shower-event) throughput vs muon throughput per telescope (UC-120-2.32, UC-120-2.2)
doc: |
  Compares, per telescope, the throughput of an array inter-calibration (or cross-calibration)
  with the muon-ring throughput of the same period: the muon chunks overlapping the array
  calibration's validity window (widened by time_margin) are pooled by ring count, both
  throughputs are normalised in one gauge (divided by their geometric mean over the telescopes
  of the type - or, for a cross-calibration, of the reference type - that have both values),
  then ratio, ln ratio, its error and the pull per telescope and chi2/ndf per gauge group.
  Telescopes in only one product or without muon rings in the period get a row with a status;
  products of different arrays or without any muon chunk in the period are exit 3.
  Never modifies its inputs.
  Exit codes: 0 success, 2 bad usage, 3 invalid input data, 100 temporary failure.

baseCommand: [calibpipe-tasks, compare-array-muon-throughput]

hints:
  DockerRequirement:
    dockerPull: calibpipe-tasks:0.1.0
  ResourceRequirement:
    coresMin: 1
    # measured 104 MiB on the job's inputs with the plot (ECSV tables of one value per telescope)
    ramMin: 256
    outdirMin: 64
    tmpdirMin: 64

inputs:
  array_calibration:
    type: File
    label: Array calibration table (ECSV)
    doc: array_inter_calibration.ecsv of array-inter-calibration, or array_cross_calibration.ecsv.
    inputBinding:
      prefix: --array-calibration
  array_covariance:
    type: File?
    label: Covariance of ln c (ECSV)
    doc: array_inter_calibration_covariance.ecsv; without it the telescopes are taken as independent.
    inputBinding:
      prefix: --array-covariance
  muon_throughput:
    type: File
    label: Muon throughput table (ECSV)
    doc: muon_throughput.ecsv of muon-throughput.
    inputBinding:
      prefix: --muon-throughput
  time_margin:
    type: double?
    label: Time margin [s]
    doc: Muon chunks up to this long before or after the array validity window count (default 0).
    inputBinding:
      prefix: --time-margin
  plot:
    type: boolean?
    label: Write the plot
    doc: Also write array_muon_comparison.png (normalised throughputs and pulls per telescope).
    inputBinding:
      prefix: --plot

outputs:
  comparison_table:
    type: File
    label: Comparison table (ECSV)
    doc: One row per telescope - normalised throughputs, ratio, ln ratio and error, pull, status.
    outputBinding:
      glob: array_muon_comparison.ecsv
  comparison_plot:
    type: File?
    label: Comparison plot (PNG)
    doc: Written when plot is true.
    format: https://www.iana.org/assignments/media-types/image/png
    outputBinding:
      glob: array_muon_comparison.png
  provenance:
    type: File
    label: Provenance record
    doc: JSON provenance of this run (inputs and outputs with sha256, versions, times).
    format: https://www.iana.org/assignments/media-types/application/json
    outputBinding:
      glob: compare-array-muon-throughput.provenance.json

successCodes: [0]
temporaryFailCodes: [100]
permanentFailCodes: [2, 3]
