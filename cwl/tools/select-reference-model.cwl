cwlVersion: v1.2
class: CommandLineTool
label: Select the reference atmosphere model (UC-120-1.3)
doc: |
  Picks the season of the site whose reference molecular number density at 15 km is
  closest to the night's MDP. The reference set is a directory (default: the CTAO
  CalibPipe v0 set shipped with the package). Writes the selection as ECSV and JSON and
  a copy of the chosen model (reference_model.ecsv) for create-atmospheric-model. Falls
  back to the calendar season only with calendar_fallback. Exit codes: 0 success,
  2 bad usage, 3 invalid input data (e.g. MDP below 15 km, site missing in the set),
  100 temporary failure.

baseCommand: [calibpipe-tasks, select-reference-model]

hints:
  DockerRequirement:
    dockerPull: calibpipe-tasks:0.1.0
  ResourceRequirement:
    coresMin: 1
    ramMin: 256
    outdirMin: 64
    tmpdirMin: 64

inputs:
  mdp:
    type: File
    label: Molecular density profile
    doc: The night's MDP (mdp.ecsv from create-mdp).
    inputBinding:
      prefix: --mdp
  reference_dir:
    type: Directory?
    label: Reference set
    doc: Directory of ref_density_at_15km_* and reference_atmo_model_* ECSV files (default CTAO v0).
    inputBinding:
      prefix: --reference-dir
  site:
    type: string?
    label: Site
    doc: Site name (North, South); default the MDP's site.
    inputBinding:
      prefix: --site
  calendar_fallback:
    type: boolean?
    label: Calendar fallback
    doc: Use the calendar season when the MDP does not reach 15 km.
    inputBinding:
      prefix: --calendar-fallback
  date:
    type: string?
    label: Date for the calendar season
    doc: YYYY-MM-DD (default the MDP's window start); used only by the calendar fallback.
    inputBinding:
      prefix: --date

outputs:
  selection_table:
    type: File
    label: Selection table
    doc: ECSV with one row per season - reference density, distance, chosen flag, model file.
    outputBinding:
      glob: reference_selection.ecsv
  selection:
    type: File
    label: Selection record
    doc: JSON - season, version, method, densities at 15 km, distance, model file.
    format: https://www.iana.org/assignments/media-types/application/json
    outputBinding:
      glob: reference_selection.json
  reference_model:
    type: File
    label: Chosen reference model
    doc: Byte copy of the chosen reference_atmo_model_* ECSV.
    outputBinding:
      glob: reference_model.ecsv
  provenance:
    type: File
    label: Provenance record
    doc: JSON provenance of this run (inputs and outputs with sha256, versions, times).
    format: https://www.iana.org/assignments/media-types/application/json
    outputBinding:
      glob: select-reference-model.provenance.json

successCodes: [0]
temporaryFailCodes: [100]
permanentFailCodes: [2, 3]
