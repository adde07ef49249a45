cwlVersion: v1.2
class: CommandLineTool
label: Star positions in sky-pedestal variance images (pointing from stars, step 1)
doc: |
  Per telescope and time chunk of a ctapipe DL1 file of variance images
  (ctapipe-process with the VarianceExtractor on sky-pedestal events, event type 5)
  with the drive pointing at /dl0/monitoring/telescope/pointing/tel_NNN: the
  catalogue stars expected in the field (ctapipe's bundled Hipparcos catalogue,
  offline), their predicted positions through AltAz -> TelescopeFrame with
  atmospheric refraction (meteorological table of ingest-meteo when given, else the
  US Standard Atmosphere 1976 at the site altitude), and each star's measured
  position (PSF-template fit on baseline-subtracted stacked images) with covariance
  and flags. Writes star_positions.h5 (/dl1/monitoring/telescope/pointing/star_positions/tel_NNN
  and .../star_chunks/tel_NNN), star_positions.ecsv and star_chunks.ecsv. Never
  modifies its inputs.
  Exit codes: 0 success, 2 bad usage, 3 invalid input data, 100 temporary failure.

baseCommand: [calibpipe-tasks, track-stars]

hints:
  DockerRequirement:
    dockerPull: calibpipe-tasks:0.1.0
  ResourceRequirement:
    coresMin: 1
    ramMin: 768
    outdirMin: 64
    tmpdirMin: 64

inputs:
  variance_images:
    type: File
    label: DL1 variance images
    doc: ctapipe DL1 HDF5 with /dl1/event/telescope/images/tel_NNN of sky-pedestal events and the drive pointing.
    inputBinding:
      prefix: --input
  pointing:
    type: File?
    label: Drive pointing file
    doc: File with /dl0/monitoring/telescope/pointing/tel_NNN (default the input; give the R1/DL0 file after ctapipe-process).
    inputBinding:
      prefix: --pointing
  meteo:
    type: File?
    label: Meteorological table (ingest-meteo)
    doc: meteo.ecsv of ingest-meteo; pressure and temperature at the site for the refraction.
    inputBinding:
      prefix: --meteo
  catalogue:
    type: string?
    label: Star catalogue
    doc: Hipparcos (default) or Yale, both bundled with ctapipe.
    inputBinding:
      prefix: --catalogue
  magnitude_limit:
    type:
      - "null"
      - type: array
        items: string
        inputBinding:
          prefix: --magnitude-limit
    label: Magnitude limit per telescope type
    doc: TYPE=MAG items (defaults LST=7.5, MST=7.0, SST=6.0).
    inputBinding:
      position: 1
  psf_sigma:
    type:
      - "null"
      - type: array
        items: string
        inputBinding:
          prefix: --psf-sigma
    label: PSF sigma per telescope type [deg]
    doc: TYPE=DEG items (defaults LST=0.04, MST=0.06, SST=0.08).
    inputBinding:
      position: 1
  chunk_duration:
    type: float?
    label: Chunk length [s]
    doc: Length of a time chunk (default 60 s).
    inputBinding:
      prefix: --chunk-duration
  stack_size:
    type: int?
    label: Events per stack
    doc: Consecutive events averaged into one measurement (default the whole chunk).
    inputBinding:
      prefix: --stack-size

outputs:
  star_positions:
    type: File
    label: Star positions (HDF5)
    doc: ctapipe HDF5 with the star positions and chunks per telescope (input of fit-pointing).
    outputBinding:
      glob: star_positions.h5
  star_table:
    type: File
    label: Star positions (ECSV)
    doc: One row per star and stack, expected and measured positions with covariance and flag.
    outputBinding:
      glob: star_positions.ecsv
  chunk_table:
    type: File
    label: Chunks (ECSV)
    doc: One row per telescope and chunk with the refraction conditions and counts.
    outputBinding:
      glob: star_chunks.ecsv
  provenance:
    type: File
    label: Provenance record
    doc: JSON provenance of this run (inputs and outputs with sha256, versions, times).
    format: https://www.iana.org/assignments/media-types/application/json
    outputBinding:
      glob: track-stars.provenance.json

successCodes: [0]
temporaryFailCodes: [100]
permanentFailCodes: [2, 3]
