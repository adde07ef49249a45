cwlVersion: v1.2
class: CommandLineTool
label: Plan a molecular-atmosphere campaign - which nights the meteorological files cover
doc: |
  Reads only the time axes (netCDF) or message headers (GRIB) of the meteorological
  files, computes each night's astronomical night window at the site (as ingest-meteo
  does for a date) and schedules the nights with at least min_times analysis times in
  their window. A night without data is listed with its reason (the campaign index
  reports it failed) and the other nights go on. Writes campaign_plan.json and the
  list of scheduled dates, which the campaign workflow scatters over.
  Exit codes: 0 success, 2 bad usage, 3 invalid input data (no night covered at all,
  an unreadable file), 100 temporary failure.

baseCommand: [calibpipe-tasks, plan-campaign]

requirements:
  InlineJavascriptRequirement: {}

hints:
  DockerRequirement:
    dockerPull: calibpipe-tasks:0.1.0
  ResourceRequirement:
    coresMin: 1
    ramMin: 256
    outdirMin: 16
    tmpdirMin: 16

inputs:
  dates:
    type: string[]
    label: Nights
    doc: The nights of the campaign (YYYY-MM-DD, each the night starting in that evening).
    inputBinding:
      prefix: --dates
  meteo_files:
    type: File[]
    label: Meteorological files
    doc: GRIB or netCDF files of one source (GDAS or ERA5) covering the campaign.
    inputBinding:
      prefix: --meteo-files
  site:
    type: string
    label: Site
    doc: CTAO site, North or South.
    inputBinding:
      prefix: --site
  min_times:
    type: int?
    label: Meteorological times per night
    doc: Analysis times a night needs inside its window to be scheduled (default 1).
    inputBinding:
      prefix: --min-times

outputs:
  plan:
    type: File
    label: Campaign plan
    doc: campaign_plan.json - every night (window, times, files, scheduled or no-data and why) and every file.
    format: https://www.iana.org/assignments/media-types/application/json
    outputBinding:
      glob: campaign_plan.json
  nights:
    type: string[]
    label: Scheduled nights
    doc: The dates of the nights with data, in campaign order (from scheduled_nights.json).
    outputBinding:
      glob: scheduled_nights.json
      loadContents: true
      outputEval: $(JSON.parse(self[0].contents))
  provenance:
    type: File
    label: Provenance record
    doc: JSON provenance of this run (inputs and outputs with sha256, versions, times).
    format: https://www.iana.org/assignments/media-types/application/json
    outputBinding:
      glob: plan-campaign.provenance.json

successCodes: [0]
temporaryFailCodes: [100]
permanentFailCodes: [2, 3]
