cwlVersion: v1.2
class: Workflow
label: Molecular atmosphere of a campaign of nights for the Simulation Pipeline (UC-120-1.2, 1.3, 1.7)
doc: |
  A season of nights at once: from the meteorological files covering the campaign
  (GDAS or ERA5, GRIB or netCDF) and the Scripps CO2 record to the validated SimPipe
  exchange set of every night, plus one index product.
  plan-campaign reads the files' time axes only and schedules the nights that have
  data; a night without data fails alone (its reason in the index) and the others
  are delivered. The chain of molecular-atmosphere.cwl then runs once per scheduled
  night, scattered over the nights (ingest-meteo -> compute-macobac with the CO2
  months up to the night -> create-mdp -> select-reference-model ->
  create-atmospheric-model -> validate-exchange), and index-campaign gathers the
  nights into campaign_index.json / .ecsv and one night_<date>/ directory per
  delivered night (exchange set, manifest, validation report, provenance records).
  Flat (every step a CommandLineTool, scatter on steps), so CTADIRAC's CWL translator
  accepts it; each night's jobs are independent, so Toil's Slurm batch system or the
  WMS runs the nights in parallel.

requirements:
  ScatterFeatureRequirement: {}
  MultipleInputFeatureRequirement: {}
  # the index step's input of every night's exchange files: one flat list
  StepInputExpressionRequirement: {}
  InlineJavascriptRequirement: {}

inputs:
  dates:
    type: string[]
    label: Nights
    doc: The nights of the campaign (YYYY-MM-DD, each the astronomical night starting that evening).
  meteo_files:
    type: File[]
    label: Meteorological files
    doc: GRIB or netCDF files of one source (GDAS or ERA5) covering the campaign.
  site:
    type: string
    label: Site
    doc: CTAO site, North or South.
  grid_selection:
    type:
      - "null"
      - type: enum
        symbols: [nearest, box]
    label: Grid point selection
    doc: The grid point nearest to the site (default) or the 2x2 box around it.
  co2_file:
    type: File
    label: Scripps monthly CO2 record
    doc: monthly_in_situ_co2_mlo.csv of the Scripps CO2 Program (fetch-co2).
  min_times:
    type: int?
    label: Meteorological times per night
    doc: Analysis times a night needs inside its window to be scheduled (default 1).

steps:
  plan_campaign:
    run: ../tools/plan-campaign.cwl
    in:
      dates: dates
      meteo_files: meteo_files
      site: site
      min_times: min_times
    out: [plan, nights, provenance]
  ingest_meteo:
    run: ../tools/ingest-meteo.cwl
    scatter: date
    in:
      meteo_files: meteo_files
      site: site
      date: plan_campaign/nights
      grid_selection: grid_selection
    out: [meteo, provenance]
  compute_macobac:
    run: ../tools/compute-macobac.cwl
    # each night with the CO2 months that had ended by its date, as if processed then
    scatter: until
    in:
      co2_file: co2_file
      until: plan_campaign/nights
    out: [macobac, provenance]
  create_mdp:
    run: ../tools/create-mdp.cwl
    scatter: meteo
    in:
      meteo: ingest_meteo/meteo
    out: [mdp, provenance]
  select_reference:
    run: ../tools/select-reference-model.cwl
    scatter: mdp
    in:
      mdp: create_mdp/mdp
    out: [selection, reference_model, provenance]
  atmospheric_model:
    run: ../tools/create-atmospheric-model.cwl
    scatter: [meteo, macobac, reference_model, selection]
    scatterMethod: dotproduct
    in:
      meteo: ingest_meteo/meteo
      macobac: compute_macobac/macobac
      reference_model: select_reference/reference_model
      selection: select_reference/selection
    out: [exchange_manifest, exchange_files, provenance]
  validate_exchange:
    run: ../tools/validate-exchange.cwl
    scatter: [manifest, files]
    scatterMethod: dotproduct
    in:
      manifest: atmospheric_model/exchange_manifest
      files: atmospheric_model/exchange_files
    out: [report, provenance]
  index_campaign:
    run: ../tools/index-campaign.cwl
    in:
      plan: plan_campaign/plan
      manifests: atmospheric_model/exchange_manifest
      reports: validate_exchange/report
      exchange_files:
        # one list per night, flattened (the tool takes File[]: what a WMS job stages);
        # null-safe: CTADIRAC's translator evaluates step expressions before the run
        source: atmospheric_model/exchange_files
        valueFrom: "$(self === null ? [] : [].concat.apply([], self))"
      step_provenance:
        source:
          - ingest_meteo/provenance
          - compute_macobac/provenance
          - create_mdp/provenance
          - select_reference/provenance
          - atmospheric_model/provenance
          - validate_exchange/provenance
        linkMerge: merge_flattened
    out: [index, index_table, nights, provenance]

outputs:
  plan:
    type: File
    label: Campaign plan
    doc: campaign_plan.json - the nights scheduled or without data, and why; the files.
    outputSource: plan_campaign/plan
  index:
    type: File
    label: Campaign index
    doc: campaign_index.json - per night delivered or failed, reason, validity, files with sha256.
    outputSource: index_campaign/index
  index_table:
    type: File
    label: Campaign index table
    doc: campaign_index.ecsv - one row per night.
    outputSource: index_campaign/index_table
  nights:
    type: Directory[]
    label: Night directories
    doc: night_<date>/ per delivered night - the complete SimPipe exchange set with its manifest, validation report and provenance.
    outputSource: index_campaign/nights
