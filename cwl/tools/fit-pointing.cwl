cwlVersion: v1.2
class: CommandLineTool
label: Pointing corrections from star positions (pointing from stars, step 2)
doc: |
  Per telescope and chunk of star_positions.h5 (track-stars): the pointing
  correction (delta_alt, delta_az, optionally a camera rotation) by weighted least
  squares (inverse covariance weights) through the full AltAz -> TelescopeFrame
  transformation, with covariance, chi2/ndf, the numbers of stars and points, and
  is_valid with the reason in status (no stars, too few, bad chi2: never valid
  without stars). Writes pointing_corrections.h5
  (/dl1/monitoring/telescope/pointing/star_tracking/tel_NNN) and
  pointing_corrections.ecsv. Never modifies its inputs.
  Exit codes: 0 success, 2 bad usage, 3 invalid input data, 100 temporary failure.

baseCommand: [calibpipe-tasks, fit-pointing]

hints:
  DockerRequirement:
    dockerPull: calibpipe-tasks:0.1.0
  ResourceRequirement:
    coresMin: 1
    ramMin: 512
    outdirMin: 64
    tmpdirMin: 64

inputs:
  star_positions:
    type: File
    label: Star positions
    doc: star_positions.h5 written by track-stars.
    inputBinding:
      prefix: --input
  fit_rotation:
    type: boolean?
    label: Fit a camera rotation
    doc: Also fit a rotation of the camera about the optical axis.
    inputBinding:
      prefix: --fit-rotation
  plot:
    type: boolean?
    label: Write the diagnostic plot
    doc: Also write pointing_corrections.png (camera with expected and measured stars, correction vs time).
    inputBinding:
      prefix: --plot
  min_stars:
    type: int?
    label: Minimum number of stars
    doc: Fewer distinct stars make the chunk's correction invalid (default 3).
    inputBinding:
      prefix: --min-stars
  max_reduced_chi2:
    type: float?
    label: Maximum chi2/ndf
    doc: A larger chi2/ndf makes the correction invalid (default 5).
    inputBinding:
      prefix: --max-reduced-chi2

outputs:
  corrections_table:
    type: File
    label: Pointing corrections (ECSV)
    doc: One row per telescope and chunk, with units on every column.
    outputBinding:
      glob: pointing_corrections.ecsv
  corrections_monitoring:
    type: File
    label: Pointing corrections (HDF5)
    doc: ctapipe HDF5 with /dl1/monitoring/telescope/pointing/star_tracking/tel_NNN.
    outputBinding:
      glob: pointing_corrections.h5
  plot_file:
    type: File?
    label: Diagnostic plot (PNG)
    doc: Camera with expected and measured star positions and the correction vs time (with plot).
    format: https://www.iana.org/assignments/media-types/image/png
    outputBinding:
      glob: pointing_corrections.png
  provenance:
    type: File
    label: Provenance record
    doc: JSON provenance of this run (inputs and outputs with sha256, versions, times).
    format: https://www.iana.org/assignments/media-types/application/json
    outputBinding:
      glob: fit-pointing.provenance.json

successCodes: [0]
temporaryFailCodes: [100]
permanentFailCodes: [2, 3]
