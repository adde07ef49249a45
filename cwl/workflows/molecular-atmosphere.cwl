cwlVersion: v1.2
class: Workflow
label: Molecular atmosphere of a night for the Simulation Pipeline (UC-120-1.2, 1.3, 1.7)
doc: |
  From a night's meteorological files (GDAS or ERA5, GRIB or netCDF) and the Scripps
  CO2 record to the validated SimPipe exchange set:
  ingest-meteo -> compute-macobac -> create-mdp -> select-reference-model ->
  create-atmospheric-model -> validate-exchange, and, when `upload` is true,
  db-upload of the validated set into a calibration database (a SQLite file given as
  `database` or created, or a live server by `db_url`).
  With the optional `fram_files` (FRAM aerosol optical depths, ACADA FITS) it also
  runs ingest-fram -> assess-clear-night (UC-120-1.12) and the exchange manifest
  records the night's verdict; a night that is not clear is still delivered, marked,
  and validate-exchange reports it. Without them the products are as before.
  Flat (every step a CommandLineTool; optional steps by CWL v1.2 `when`, which
  CTADIRAC's translator passes to the engine unchanged; the FRAM steps' `when` is a
  one-line JavaScript null test, evaluated by the engine), so CTADIRAC's CWL
  translator accepts it.

requirements:
  MultipleInputFeatureRequirement: {}
  # the `when` of the two FRAM steps tests an optional input for null (a parameter
  # reference cannot give a boolean from a File[]?)
  InlineJavascriptRequirement: {}

inputs:
  meteo_files:
    type: File[]
    label: Meteorological files
    doc: GRIB or netCDF files of one source (GDAS or ERA5) spanning the night.
  site:
    type: string
    label: Site
    doc: CTAO site, North or South.
  date:
    type: string
    label: Night date
    doc: The astronomical night starting in the evening of this date (YYYY-MM-DD).
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
  until:
    type: string?
    label: Last date for 12-MACOBAC
    doc: Use only CO2 months that ended on or before this date (YYYY-MM-DD).
  product_id:
    type: string?
    label: Exchange set identifier
    doc: Identifier in the SimPipe file names (default <site>-<night start>).
  plots:
    type: boolean?
    label: Diagnostic plots
    doc: Write the MDP and model PNGs.
  fram_files:
    type: File[]?
    label: FRAM files (optional)
    doc: |
      ACADA FRAM aerosol optical depth FITS files of the night; when given, the night
      is assessed (clear / aerosol / variable / insufficient-data) and the verdict goes
      into the exchange manifest.
  upload:
    type: boolean
    default: false
    label: Upload to the calibration database
    doc: After validation, store the exchange set in the calibration database (db-upload).
  database:
    type: File?
    label: Calibration database file
    doc: SQLite database to add the product to (a copy is updated; default a new one).
  db_url:
    type: string?
    label: Calibration database URL
    doc: A live database (e.g. postgresql+psycopg://host/db) instead of a file.
  recorded_at:
    type: string?
    label: Upload time
    doc: Time stamp to record for the upload (UTC ISO 8601; default now).

steps:
  ingest_meteo:
    run: ../tools/ingest-meteo.cwl
    in:
      meteo_files: meteo_files
      site: site
      date: date
      grid_selection: grid_selection
    out: [meteo, provenance]
  compute_macobac:
    run: ../tools/compute-macobac.cwl
    in:
      co2_file: co2_file
      until: until
    out: [macobac, provenance]
  create_mdp:
    run: ../tools/create-mdp.cwl
    in:
      meteo: ingest_meteo/meteo
      plot: plots
    out: [mdp, mdp_plot, provenance]
  select_reference:
    run: ../tools/select-reference-model.cwl
    in:
      mdp: create_mdp/mdp
    out: [selection_table, selection, reference_model, provenance]
  ingest_fram:
    run: ../tools/ingest-fram.cwl
    when: $(inputs.fram_files !== null)
    in:
      fram_files: fram_files
      site: site
    out: [fram_table, provenance]
  assess_clear_night:
    run: ../tools/assess-clear-night.cwl
    when: $(inputs.fram_table !== null)
    in:
      fram_table: ingest_fram/fram_table
      date: date
      plot: plots
    out: [assessment_table, assessment_record, assessment_plot, provenance]
  atmospheric_model:
    run: ../tools/create-atmospheric-model.cwl
    in:
      meteo: ingest_meteo/meteo
      macobac: compute_macobac/macobac
      reference_model: select_reference/reference_model
      selection: select_reference/selection
      product_id: product_id
      plots: plots
      clear_night: assess_clear_night/assessment_record
    out: [profile, extinction, layer_fit, profile_plot, extinction_plot, exchange_manifest,
          exchange_files, provenance]
  validate_exchange:
    run: ../tools/validate-exchange.cwl
    in:
      manifest: atmospheric_model/exchange_manifest
      files: atmospheric_model/exchange_files
      clear_night_record: assess_clear_night/assessment_record
    out: [report, provenance]
  db_upload:
    run: ../tools/db-upload.cwl
    when: $(inputs.enabled)
    in:
      enabled: upload
      kind:
        default: atmospheric-model
      manifest: atmospheric_model/exchange_manifest
      files: atmospheric_model/exchange_files
      product_provenance: atmospheric_model/provenance
      # not a db-upload input: makes the upload wait for (and depend on) a passed validation
      validation: validate_exchange/report
      database: database
      db_url: db_url
      recorded_at: recorded_at
    out: [database_out, receipt]

outputs:
  meteo:
    type: File
    label: Meteorological table
    doc: meteo.ecsv - the night's normalised meteorological table.
    outputSource: ingest_meteo/meteo
  macobac:
    type: File
    label: 12-MACOBAC
    doc: macobac.ecsv - the 12-month average CO2 concentration.
    outputSource: compute_macobac/macobac
  mdp:
    type: File
    label: Molecular density profile
    doc: mdp.ecsv - the night's number density profile with its spread.
    outputSource: create_mdp/mdp
  mdp_plot:
    type: File?
    label: MDP plot
    doc: mdp.png (with plots).
    outputSource: create_mdp/mdp_plot
  selection:
    type: File
    label: Reference selection
    doc: reference_selection.json - chosen season, version and distance at 15 km.
    outputSource: select_reference/selection
  selection_table:
    type: File
    label: Reference selection table
    doc: reference_selection.ecsv.
    outputSource: select_reference/selection_table
  reference_model:
    type: File
    label: Chosen reference model
    doc: reference_model.ecsv - copy of the selected reference atmosphere.
    outputSource: select_reference/reference_model
  profile:
    type: File
    label: Atmospheric profile
    doc: model_profile.ecsv - the night's profile on CTAO's 55-level grid.
    outputSource: atmospheric_model/profile
  extinction:
    type: File
    label: Rayleigh extinction
    doc: model_extinction.ecsv - optical depth per wavelength and emission altitude.
    outputSource: atmospheric_model/extinction
  layer_fit:
    type: File
    label: 5-layer fit
    doc: model_layer_fit.ecsv - CORSIKA's 5-layer parameterisation of the thickness.
    outputSource: atmospheric_model/layer_fit
  profile_plot:
    type: File?
    label: Profile vs reference plot
    doc: model_profile_vs_reference.png (with plots).
    outputSource: atmospheric_model/profile_plot
  extinction_plot:
    type: File?
    label: Extinction plot
    doc: model_extinction.png (with plots).
    outputSource: atmospheric_model/extinction_plot
  exchange_manifest:
    type: File
    label: SimPipe exchange manifest
    doc: atmosphere_exchange_<id>.json - the manifest of the exchange set.
    outputSource: atmospheric_model/exchange_manifest
  exchange_files:
    type: File[]
    label: SimPipe exchange files
    doc: simtools ECSV assets and JSON records, atmprof_<id>.dat, atm_trans_<id>.dat.
    outputSource: atmospheric_model/exchange_files
  validation_report:
    type: File
    label: Validation report
    doc: exchange_validation.json - the data quality check of the exchange set.
    outputSource: validate_exchange/report
  fram_table:
    type: File?
    label: FRAM table
    doc: fram.ecsv - the normalised FRAM measurements (with fram_files).
    outputSource: ingest_fram/fram_table
  clear_night_table:
    type: File?
    label: Clear-night measurements
    doc: clear_night.ecsv - every FRAM measurement with its VAOD and status (with fram_files).
    outputSource: assess_clear_night/assessment_table
  clear_night_record:
    type: File?
    label: Clear-night assessment record
    doc: clear_night.json - verdict, reason, mean VAOD, stability, thresholds (with fram_files).
    outputSource: assess_clear_night/assessment_record
  clear_night_plot:
    type: File?
    label: Clear-night plot
    doc: clear_night.png - VAOD vs time with the verdict (with fram_files and plots).
    outputSource: assess_clear_night/assessment_plot
  database_out:
    type: File?
    label: Calibration database
    doc: The updated SQLite calibration database (with upload and a file database).
    outputSource: db_upload/database_out
  upload_receipt:
    type: File?
    label: Upload receipt
    doc: upload-receipt.json - product id, version, checksums (with upload).
    outputSource: db_upload/receipt
