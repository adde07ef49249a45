cwlVersion: v1.2
class: CommandLineTool
label: Variance images of sky-pedestal events (ctapipe-process with VarianceExtractor)
doc: |
  ctapipe's own ctapipe-process on R1/DL0 waveforms, keeping only events of type
  SKY_PEDESTAL (EventTypeFilter) and taking as DL1 image the variance of each pixel's
  waveform (CameraCalibrator.image_extractor_type = VarianceExtractor); no image
  parameters. The output is the input of track-stars (give the R1/DL0 file as its
  pointing file: ctapipe-process does not copy /dl0/monitoring/telescope/pointing).
  Exit codes: 0 success; anything else is a failure of ctapipe-process.

baseCommand: [ctapipe-process]

requirements:
  InitialWorkDirRequirement:
    listing:
      - entryname: variance-images.yaml
        entry: |
          CameraCalibrator:
            image_extractor_type: VarianceExtractor
          EventTypeFilter:
            allowed_types: [SKY_PEDESTAL]
          DataWriter:
            write_dl1_images: true
            write_dl1_parameters: false

hints:
  DockerRequirement:
    dockerPull: calibpipe-tasks:0.1.0
  ResourceRequirement:
    coresMin: 1
    ramMin: 512
    outdirMin: 64
    tmpdirMin: 64

arguments:
  - --config=variance-images.yaml
  - --output=variance_images.dl1.h5
  - --provenance-log=variance-images.provenance.log
  - --log-level=WARN

inputs:
  waveforms:
    type: File
    label: R1/DL0 event file
    doc: ctapipe HDF5 (or any file ctapipe's EventSource reads) with waveforms of sky-pedestal events.
    inputBinding:
      prefix: --input=
      separate: false

outputs:
  variance_images:
    type: File
    label: DL1 variance images
    doc: ctapipe DL1 HDF5 with /dl1/event/telescope/images/tel_NNN = waveform variances of sky-pedestal events.
    outputBinding:
      glob: variance_images.dl1.h5
  provenance:
    type: File
    label: ctapipe provenance log
    doc: ctapipe-process's provenance log of this run.
    outputBinding:
      glob: variance-images.provenance.log

successCodes: [0]
temporaryFailCodes: [100]
permanentFailCodes: [1, 2, 3]
