cwlVersion: v1.2
class: Workflow
label: Muon calibration - optical throughput and optical PSF of each telescope
doc: |
  Use cases UC-120-2.2 (optical throughput) and UC-120-2.10 (optical PSF).
  process-muons runs once per input run (scatter over the DL1 image files and
  their output names, dotproduct); the muon files of all runs are gathered into
  muon-throughput and muon-psf. Flat: every step is a CommandLineTool.

requirements:
  ScatterFeatureRequirement: {}

inputs:
  dl1_images:
    type: File[]
    label: DL1 image files, one per run
    doc: ctapipe HDF5 DL1 files with camera images and trigger tables, all of the same subarray.
  muon_file_names:
    type: string[]
    label: Output basenames of the muon files
    doc: One per DL1 file, in the same order, all different (e.g. run201.muon.h5).
  pedestal:
    type: float?
    label: Pedestal noise rms [p.e.]
    doc: Per-pixel noise rms in the intensity likelihood of process-muons (default 1.1).
  chunk_duration:
    type: float?
    label: Throughput chunk length [s]
    doc: Aggregate the throughput in chunks of this many seconds (default 1800).
  chunk_start:
    type: string?
    label: First chunk start (ISO UTC)
    doc: Start of the first throughput chunk; default the first ring's time.
  psf_radius_bins:
    type: int?
    label: PSF radius bins
    doc: Number of ring radius bins of the PSF fit (default 8).
  psf_min_rings_per_bin:
    type: int?
    label: PSF minimum rings per bin
    doc: Radius bins with fewer rings are left out of the PSF fit (default 10).

steps:
  process_muons:
    run: ../tools/process-muons.cwl
    scatter: [dl1_images, output_name]
    scatterMethod: dotproduct
    in:
      dl1_images: dl1_images
      output_name: muon_file_names
      pedestal: pedestal
    out: [muon_file]
  muon_throughput:
    run: ../tools/muon-throughput.cwl
    in:
      muon_files: process_muons/muon_file
      chunk_duration: chunk_duration
      chunk_start: chunk_start
    out: [throughput_table, throughput_monitoring, provenance]
  muon_psf:
    run: ../tools/muon-psf.cwl
    in:
      muon_files: process_muons/muon_file
      radius_bins: psf_radius_bins
      min_rings_per_bin: psf_min_rings_per_bin
    out: [psf_table, psf_bins, psf_monitoring, provenance]

outputs:
  muon_files:
    type: File[]
    label: DL1 muon files
    doc: One ctapipe DL1 muon file per run (muon parameters, trigger tables, subarray).
    outputSource: process_muons/muon_file
  throughput_table:
    type: File
    label: Optical throughput table (ECSV)
    doc: Optical throughput per telescope and chunk.
    outputSource: muon_throughput/throughput_table
  throughput_monitoring:
    type: File
    label: Optical throughput monitoring file (HDF5)
    doc: /dl1/monitoring/telescope/calibration/optical_throughput/muon/tel_NNN tables.
    outputSource: muon_throughput/throughput_monitoring
  throughput_provenance:
    type: File
    label: Provenance of muon-throughput
    doc: JSON provenance record of the throughput step.
    outputSource: muon_throughput/provenance
  psf_table:
    type: File
    label: Optical PSF table (ECSV)
    doc: Width-radius fit per telescope.
    outputSource: muon_psf/psf_table
  psf_bins:
    type: File
    label: Binned width versus radius (ECSV)
    doc: The points of the PSF fit.
    outputSource: muon_psf/psf_bins
  psf_monitoring:
    type: File
    label: Optical PSF monitoring file (HDF5)
    doc: /dl1/monitoring/telescope/optical_psf/muon/tel_NNN tables.
    outputSource: muon_psf/psf_monitoring
  psf_provenance:
    type: File
    label: Provenance of muon-psf
    doc: JSON provenance record of the PSF step.
    outputSource: muon_psf/provenance
