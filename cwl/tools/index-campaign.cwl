cwlVersion: v1.2
class: CommandLineTool
label: Index a molecular-atmosphere campaign - each night's exchange set or its failure
doc: |
  Gathers a campaign's nights: the plan, each scheduled night's exchange manifest,
  exchange files and validation report, and the steps' provenance records. Matches
  manifests to nights by their validity window, reports to manifests and files to
  manifest entries by sha256, and the provenance chain of each night by sha256. Writes
  campaign_index.json (per night: delivered or failed, the reason, window, product id,
  validity, the exchange files with sha256), campaign_index.ecsv and per delivered
  night a directory night_<date>/ with its complete exchange set, manifest, report and
  provenance records.
  Exit codes: 0 success (also when some nights failed), 2 bad usage, 3 inputs that do
  not belong together, 100 temporary failure.

baseCommand: [calibpipe-tasks, index-campaign]

hints:
  DockerRequirement:
    dockerPull: calibpipe-tasks:0.1.0
  ResourceRequirement:
    coresMin: 1
    ramMin: 256
    # the nights' exchange sets are copied into the night directories (about 2 MiB a night)
    outdirMin: 1024
    tmpdirMin: 64

inputs:
  plan:
    type: File
    label: Campaign plan
    doc: campaign_plan.json of plan-campaign.
    inputBinding:
      prefix: --plan
  manifests:
    type: File[]
    label: Exchange manifests
    doc: The scheduled nights' exchange manifests (atmosphere_exchange_<id>.json).
    inputBinding:
      prefix: --manifests
  reports:
    type: File[]
    label: Validation reports
    doc: The nights' validate-exchange reports (exchange_validation.json).
    inputBinding:
      prefix: --reports
  exchange_files:
    type: File[]
    label: Exchange files
    doc: The nights' exchange files (any order; matched to the manifests by name and sha256).
    inputBinding:
      prefix: --exchange-files
  step_provenance:
    type: File[]?
    label: Provenance records
    doc: Provenance records of the nights' steps (copied into each night's directory).
    inputBinding:
      prefix: --provenance

outputs:
  index:
    type: File
    label: Campaign index
    doc: campaign_index.json - per night delivered or failed, reason, validity, files with sha256.
    format: https://www.iana.org/assignments/media-types/application/json
    outputBinding:
      glob: campaign_index.json
  index_table:
    type: File
    label: Campaign index table
    doc: campaign_index.ecsv - one row per night (status, product id, validity, reason).
    outputBinding:
      glob: campaign_index.ecsv
  nights:
    type: Directory[]
    label: Night directories
    doc: night_<date>/ per delivered night - exchange set, manifest, validation report, provenance.
    outputBinding:
      glob: night_*
  provenance:
    type: File
    label: Provenance record
    doc: JSON provenance of this run (inputs and outputs with sha256, versions, times per night).
    format: https://www.iana.org/assignments/media-types/application/json
    outputBinding:
      glob: index-campaign.provenance.json

successCodes: [0]
temporaryFailCodes: [100]
permanentFailCodes: [2, 3]
