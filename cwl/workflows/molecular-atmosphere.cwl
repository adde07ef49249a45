cwlVersion: v1.2
class: Workflow
label: Molecular atmosphere of a night (UC-120-1.2, 1.3, 1.7) - draft without ingest/exchange
doc: |
  Draft chain from a normalised meteorological table and the Scripps CO2 record:
  compute-macobac -> create-mdp -> select-reference-model -> create-atmospheric-model.
  The full workflow adds ingest-meteo before and validate-exchange after (assembled at merge).
  Flat: every step is a CommandLineTool, as the WMS translator needs.

inputs:
  meteo:
    type: File
    label: Meteorological table
    doc: Normalised meteorological table (meteo.ecsv) of the night.
  co2_file:
    type: File
    label: Scripps monthly CO2 record
    doc: monthly_in_situ_co2_mlo.csv of the Scripps CO2 Program.
  until:
    type: string?
    label: Last date for 12-MACOBAC
    doc: Use only CO2 months that ended on or before this date (YYYY-MM-DD).
  plots:
    type: boolean?
    label: Diagnostic plots
    doc: Write the MDP and model PNGs.

steps:
  macobac:
    run: ../tools/compute-macobac.cwl
    in:
      co2_file: co2_file
      until: until
    out: [macobac, provenance]
  mdp:
    run: ../tools/create-mdp.cwl
    in:
      meteo: meteo
      plot: plots
    out: [mdp, mdp_plot, provenance]
  select:
    run: ../tools/select-reference-model.cwl
    in:
      mdp: mdp/mdp
    out: [selection_table, selection, reference_model, provenance]
  model:
    run: ../tools/create-atmospheric-model.cwl
    in:
      meteo: meteo
      macobac: macobac/macobac
      reference_model: select/reference_model
      selection: select/selection
      plots: plots
    out: [profile, extinction, layer_fit, profile_plot, extinction_plot, provenance]

outputs:
  macobac:
    type: File
    label: 12-MACOBAC
    doc: macobac.ecsv
    outputSource: macobac/macobac
  mdp:
    type: File
    label: Molecular density profile
    doc: mdp.ecsv
    outputSource: mdp/mdp
  mdp_plot:
    type: File?
    label: MDP plot
    doc: mdp.png (with plots)
    outputSource: mdp/mdp_plot
  selection:
    type: File
    label: Reference selection
    doc: reference_selection.json
    outputSource: select/selection
  selection_table:
    type: File
    label: Reference selection table
    doc: reference_selection.ecsv
    outputSource: select/selection_table
  reference_model:
    type: File
    label: Chosen reference model
    doc: reference_model.ecsv
    outputSource: select/reference_model
  profile:
    type: File
    label: Atmospheric profile
    doc: model_profile.ecsv
    outputSource: model/profile
  extinction:
    type: File
    label: Rayleigh extinction
    doc: model_extinction.ecsv
    outputSource: model/extinction
  layer_fit:
    type: File
    label: 5-layer fit
    doc: model_layer_fit.ecsv
    outputSource: model/layer_fit
  profile_plot:
    type: File?
    label: Profile vs reference plot
    doc: model_profile_vs_reference.png (with plots)
    outputSource: model/profile_plot
  extinction_plot:
    type: File?
    label: Extinction plot
    doc: model_extinction.png (with plots)
    outputSource: model/extinction_plot
