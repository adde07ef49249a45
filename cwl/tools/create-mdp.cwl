cwlVersion: v1.2
class: CommandLineTool
label: Molecular density profile (MDP) of a night
doc: |
  Number density of moist air (CIPM-2007 real gas) from the normalised meteorological
  table, each profile interpolated in ln N onto a fixed altitude grid starting at the
  site's ground, averaged over the night's times and grid points with the standard
  deviation per level. The grid stops at the top of the data (meta data_top_altitude_km);
  levels below the ground are dropped; column `extrapolated` marks levels below the
  lowest meteorological level. Exit codes: 0 success, 2 bad usage, 3 invalid input
  data, 100 temporary failure.

baseCommand: [calibpipe-tasks, create-mdp]

hints:
  DockerRequirement:
    dockerPull: calibpipe-tasks:0.1.0
  ResourceRequirement:
    coresMin: 1
    ramMin: 256
    outdirMin: 64
    tmpdirMin: 64

inputs:
  meteo:
    type: File
    label: Meteorological table
    doc: The normalised meteorological table (meteo.ecsv) written by ingest-meteo.
    inputBinding:
      prefix: --meteo
  grid_step:
    type: float?
    label: Grid step [km]
    doc: Altitude step of the MDP grid above the ground level (default 0.5 km).
    inputBinding:
      prefix: --grid-step
  top:
    type: float?
    label: Highest grid altitude [km]
    doc: Highest altitude of the grid if the data reach it (default 30 km).
    inputBinding:
      prefix: --top
  humidity_phase:
    type:
      - "null"
      - type: enum
        symbols: [mixed, water, ice]
    label: Humidity convention
    doc: Saturation the relative humidity refers to (default mixed, as ERA5/GDAS).
    inputBinding:
      prefix: --humidity-phase
  plot:
    type: boolean?
    label: Write the plot
    doc: Also write mdp.png (the profile with its spread).
    inputBinding:
      prefix: --plot

outputs:
  mdp:
    type: File
    label: Molecular density profile
    doc: ECSV - altitude [km], number_density and number_density_std [1/cm3], extrapolated.
    outputBinding:
      glob: mdp.ecsv
  mdp_plot:
    type: File?
    label: MDP plot
    doc: PNG of the MDP with its spread (only with plot).
    format: https://www.iana.org/assignments/media-types/image/png
    outputBinding:
      glob: mdp.png
  provenance:
    type: File
    label: Provenance record
    doc: JSON provenance of this run (inputs and outputs with sha256, versions, times).
    format: https://www.iana.org/assignments/media-types/application/json
    outputBinding:
      glob: create-mdp.provenance.json

successCodes: [0]
temporaryFailCodes: [100]
permanentFailCodes: [2, 3]
