cwlVersion: v1.2
class: CommandLineTool
label: Contemporary molecular atmosphere model (UC-120-1.7)
doc: |
  The night's atmospheric profile on CTAO's 55-level grid (0-120 km; density real gas
  with humidity and CO2, thickness integrated from the top, Ciddor n-1 at 350 nm, T, p,
  pw/p; meteorological data up to their top, the selected reference model above, joined
  without a jump; below the data hydrostatic extrapolation with 6.5 K/km), the Rayleigh
  optical depth from the observation level to >= 50 emission altitudes for 200-1000 nm
  (Tomasi 2005 / Bucholtz 1995 with King factors), and CORSIKA's 5-layer fit of the
  thickness. Exit codes: 0 success, 2 bad usage, 3 invalid input data (e.g. data below
  15 km, MACOBAC without exactly one row), 100 temporary failure.

baseCommand: [calibpipe-tasks, create-atmospheric-model]

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
  macobac:
    type: File
    label: 12-MACOBAC
    doc: One-row CO2 table (macobac.ecsv) from compute-macobac.
    inputBinding:
      prefix: --macobac
  reference_model:
    type: File
    label: Reference model
    doc: The selected reference model (reference_model.ecsv from select-reference-model).
    inputBinding:
      prefix: --reference-model
  selection:
    type: File?
    label: Selection record
    doc: reference_selection.json, to record season and version in the products.
    inputBinding:
      prefix: --selection
  refractive_index_wavelength:
    type: float?
    label: Wavelength of n-1 [nm]
    doc: Vacuum wavelength of the profile's refractive index (default 350 nm).
    inputBinding:
      prefix: --refractive-index-wavelength
  emission_altitudes:
    type: float[]?
    label: Emission altitudes [km]
    doc: Altitudes a.s.l. of the optical-depth table (default 53 levels, ground+50 m to 100 km).
    inputBinding:
      prefix: --emission-altitudes
  fit_boundaries:
    type: float[]?
    label: Layer boundaries [km]
    doc: Lower boundaries of the 5 CORSIKA layers (default 0 4 10 40 100).
    inputBinding:
      prefix: --fit-boundaries
  product_id:
    type: string?
    label: Exchange set identifier
    doc: Identifier used in the SimPipe file names (default <site>-<window start>).
    inputBinding:
      prefix: --product-id
  plots:
    type: boolean?
    label: Write the plots
    doc: Also write model_profile_vs_reference.png and model_extinction.png.
    inputBinding:
      prefix: --plots
  clear_night:
    type: File?
    label: Clear-night assessment record
    doc: |
      clear_night.json of assess-clear-night for the same site and night; its verdict,
      reason, mean VAOD and checksum go into the exchange manifest (block clear_night).
      A night that is not clear is still delivered, marked. Without it the products
      are as before.
    format: https://www.iana.org/assignments/media-types/application/json
    inputBinding:
      prefix: --clear-night

outputs:
  profile:
    type: File
    label: Atmospheric profile
    doc: ECSV - altitude, density, thickness, refractive_index (n-1), temperature, pressure, pw/p.
    outputBinding:
      glob: model_profile.ecsv
  extinction:
    type: File
    label: Rayleigh extinction
    doc: ECSV long table - wavelength [nm], altitude [km], extinction (optical depth).
    outputBinding:
      glob: model_extinction.ecsv
  layer_fit:
    type: File
    label: 5-layer fit
    doc: ECSV - layer, height_min [km], a, b [g/cm2], c [km]; meta max_relative_residual.
    outputBinding:
      glob: model_layer_fit.ecsv
  profile_plot:
    type: File?
    label: Profile vs reference plot
    doc: PNG of the relative difference to the reference model per level (only with plots).
    format: https://www.iana.org/assignments/media-types/image/png
    outputBinding:
      glob: model_profile_vs_reference.png
  extinction_plot:
    type: File?
    label: Extinction plot
    doc: PNG of the optical depth versus wavelength at a few altitudes (only with plots).
    format: https://www.iana.org/assignments/media-types/image/png
    outputBinding:
      glob: model_extinction.png
  exchange_manifest:
    type: File
    label: SimPipe exchange manifest
    doc: |
      atmosphere_exchange_<id>.json - site, observation level, validity, data source,
      CO2, reference model, software versions, the 5-layer fit and sha256 of every file.
    format: https://www.iana.org/assignments/media-types/application/json
    outputBinding:
      glob: atmosphere_exchange_*.json
  exchange_files:
    type: File[]
    label: SimPipe exchange files
    doc: |
      simtools table assets atmospheric_profile_<id>.ecsv and
      atmospheric_transmission_<id>.ecsv with their JSON parameter records, the CORSIKA
      table atmprof_<id>.dat and the sim_telarray table atm_trans_<id>.dat.
    outputBinding:
      glob:
        - atmospheric_profile_*.ecsv
        - atmospheric_profile-*.json
        - atmospheric_transmission_*.ecsv
        - atmospheric_transmission-*.json
        - atmprof_*.dat
        - atm_trans_*.dat
  provenance:
    type: File
    label: Provenance record
    doc: JSON provenance of this run (inputs and outputs with sha256, versions, times).
    format: https://www.iana.org/assignments/media-types/application/json
    outputBinding:
      glob: create-atmospheric-model.provenance.json

successCodes: [0]
temporaryFailCodes: [100]
permanentFailCodes: [2, 3]
