cwlVersion: v1.2
class: CommandLineTool
label: Muon ring parameters from DL1 images (ctapipe MuonProcessor)
doc: |
  Cleans the camera images of a ctapipe DL1 file, fits muon rings and their
  intensity (ctapipe MuonRingFitter + MuonIntensityFitter, optical efficiency
  in the 300-600 nm band by default) with quality cuts per telescope type, and
  writes a new ctapipe DL1 file with /dl1/event/telescope/muon/tel_NNN, the
  trigger tables and the subarray description (ctapipe DataWriter layout).
  Input to muon-throughput (UC-120-2.2) and muon-psf (UC-120-2.10).
  Exit codes: 0 success, 2 bad usage, 3 invalid input data, 100 temporary failure.

baseCommand: [calibpipe-tasks, process-muons]

requirements:
  InlineJavascriptRequirement: {}

hints:
  DockerRequirement:
    dockerPull: calibpipe-tasks:0.1.0
  ResourceRequirement:
    coresMin: "$(inputs.workers || 1)"
    # measured (bench/bench_resources.py, BENCHMARKS.md): 290 MiB + 10 MiB per MiB of DL1 for
    # one worker, +551 MiB per further worker; declared with a margin
    ramMin: "$(Math.ceil(512 + 600 * ((inputs.workers || 1) - 1) + 12 * inputs.dl1_images.size / 1048576))"
    outdirMin: "$(Math.ceil(64 + inputs.dl1_images.size / 1048576))"
    tmpdirMin: 64

inputs:
  dl1_images:
    type: File
    label: DL1 file with camera images
    doc: ctapipe HDF5 DL1 file with /dl1/event/telescope/images/tel_NNN and trigger tables.
    inputBinding:
      prefix: --input
  output_name:
    type: string
    default: muons.dl1.h5
    label: Output basename
    doc: Basename of the muon DL1 file written; give each run its own when scattering.
    inputBinding:
      prefix: --output-name
  pedestal:
    type: float?
    label: Pedestal noise rms [p.e.]
    doc: Per-pixel noise rms used in the intensity likelihood (default 1.1 p.e.).
    inputBinding:
      prefix: --pedestal
  camera_coefficients:
    type: File?
    label: Camera calibration coefficients
    doc: |
      HDF5 product of compute-camera-coefficients: each pixel's pedestal noise
      (pedestal_noise_pe, p.e.) of the chunk valid at each event replaces the one
      pedestal number (recorded as PEDESTAL_* attributes of the muon tables).
    inputBinding:
      prefix: --camera-coefficients
  coefficients_channel:
    type:
      - "null"
      - type: enum
        symbols: [high, low]
    label: Gain channel of the coefficients
    doc: Gain channel whose pedestal noise is taken from camera_coefficients (default high).
    inputBinding:
      prefix: --coefficients-channel
  pedestal_from_image:
    type: boolean?
    label: Pedestal noise from the image
    doc: Estimate each image's pedestal noise from its pixels far from the ring (pedestal is the fallback).
    inputBinding:
      prefix: --pedestal-from-image
  min_wavelength:
    type: float?
    label: Lower wavelength [nm]
    doc: Lower end of the Cherenkov band the efficiency refers to (default 300 nm).
    inputBinding:
      prefix: --min-wavelength
  max_wavelength:
    type: float?
    label: Upper wavelength [nm]
    doc: Upper end of the Cherenkov band the efficiency refers to (default 600 nm).
    inputBinding:
      prefix: --max-wavelength
  hole_radius:
    type:
      - "null"
      - type: array
        items: string
        inputBinding:
          prefix: --hole-radius
    label: Mirror hole radius per type
    doc: PATTERN=METRES items, e.g. MST_*=0.59 (default ctapipe's LST 0.74, MST 0.59, SST_1M 0.38).
    inputBinding:
      position: 1
  image_cut:
    type:
      - "null"
      - type: array
        items: string
        inputBinding:
          prefix: --image-cut
    label: Image cuts per type
    doc: PATTERN=EXPR ctapipe QualityQuery expressions on dl1_params before the ring fit.
    inputBinding:
      position: 1
  ring_cut:
    type:
      - "null"
      - type: array
        items: string
        inputBinding:
          prefix: --ring-cut
    label: Ring cuts per type
    doc: PATTERN=EXPR ctapipe QualityQuery expressions on the fitted ring.
    inputBinding:
      position: 1
  workers:
    type: int?
    label: Worker processes
    doc: Processes for the intensity fits (default 1; a second one pays only on long runs).
    inputBinding:
      prefix: --workers

outputs:
  muon_file:
    type: File
    label: DL1 muon file
    doc: ctapipe HDF5 with /dl1/event/telescope/muon/tel_NNN, trigger tables and subarray.
    outputBinding:
      glob: $(inputs.output_name)
  provenance:
    type: File
    label: Provenance record
    doc: JSON provenance of this run (inputs and outputs with sha256, versions, times).
    format: https://www.iana.org/assignments/media-types/application/json
    outputBinding:
      glob: process-muons.provenance.json

successCodes: [0]
temporaryFailCodes: [100]
permanentFailCodes: [2, 3]
