cwlVersion: v1.2
class: CommandLineTool
label: Optical PSF per telescope from muon ring width versus radius (UC-120-2.10)
doc: |
  Bins each telescope's muon rings (after the same quality selection as
  muon-throughput) in ring radius, takes the sigma-clipped mean width and its
  standard error per bin, and fits width = intercept + slope * radius by
  weighted least squares (weights 1/sem^2, errors from the covariance, reduced
  chi-square). Writes an ECSV table, the binned points, and an HDF5 file with
  /dl1/monitoring/telescope/optical_psf/muon/tel_NNN.
  Exit codes: 0 success, 2 bad usage, 3 invalid input data, 100 temporary failure.

baseCommand: [calibpipe-tasks, muon-psf]

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
  radius_bins:
    type: int?
    label: Number of radius bins
    doc: Bins of ring radius in the radius range (default 8).
    inputBinding:
      prefix: --radius-bins
  radius_range:
    type: float[]?
    label: Radius range [deg]
    doc: Two numbers, MIN and MAX ring radius binned (default 0.9 1.3).
    inputBinding:
      prefix: --radius-range
  min_rings_per_bin:
    type: int?
    label: Minimum rings per bin
    doc: Bins with fewer rings (after clipping) are left out of the fit (default 10).
    inputBinding:
      prefix: --min-rings-per-bin
  reference_radius:
    type: float?
    label: Reference radius [deg]
    doc: Radius at which the fitted width is reported with its error (default 1.1).
    inputBinding:
      prefix: --reference-radius
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
  psf_table:
    type: File
    label: Optical PSF table (ECSV)
    doc: One row per telescope - intercept, slope, their errors and covariance, chi2, width at the reference radius.
    outputBinding:
      glob: muon_psf.ecsv
  psf_bins:
    type: File
    label: Binned width versus radius (ECSV)
    doc: The per-bin sigma-clipped mean widths and standard errors that were fitted.
    outputBinding:
      glob: muon_psf_bins.ecsv
  psf_monitoring:
    type: File
    label: Optical PSF monitoring file (HDF5)
    doc: ctapipe HDF5 with /dl1/monitoring/telescope/optical_psf/muon/tel_NNN.
    outputBinding:
      glob: muon_psf.h5
  provenance:
    type: File
    label: Provenance record
    doc: JSON provenance of this run (inputs and outputs with sha256, versions, times).
    format: https://www.iana.org/assignments/media-types/application/json
    outputBinding:
      glob: muon-psf.provenance.json

successCodes: [0]
temporaryFailCodes: [100]
permanentFailCodes: [2, 3]
