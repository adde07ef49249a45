cwlVersion: v1.2
class: CommandLineTool
label: Download GDAS (ds083.2) analyses for a site and a night from NCAR GDEX
doc: |
  Submits a subset request for NCAR dataset ds083.2 (d083002) to GDEX (formerly RDA) -
  HGT, TMP and R H on the isobaric levels 1000-10 hPa, the 6-hourly analyses that cover
  the astronomical night of a date (or a UTC window), over a box around the site -
  waits for it, downloads the GRIB2 files and concatenates them in time order into
  gdas.grib2 for ingest-meteo. The GDEX token comes from the credentials file only.
  Exit codes: 0 success, 2 bad usage, 3 refused token/request or bad reply,
  100 temporary failure (network, service busy, request not ready) after the retries.

baseCommand: [calibpipe-tasks, fetch-gdas]

requirements:
  NetworkAccess:
    networkAccess: true

hints:
  DockerRequirement:
    dockerPull: calibpipe-tasks:0.1.0
  ResourceRequirement:
    coresMin: 1
    ramMin: 256
    outdirMin: 64
    tmpdirMin: 64

inputs:
  credentials:
    type: File
    label: GDEX token file
    doc: A file holding the GDEX API token (from the GDEX user profile).
    inputBinding:
      prefix: --credentials
  site:
    type: string?
    label: Site name
    doc: CTAO site, North or South (aliases LaPalma, Paranal); or give latitude/longitude.
    inputBinding:
      prefix: --site
  latitude:
    type: double?
    label: Site latitude
    doc: Site latitude in degrees (with longitude, instead of site).
    inputBinding:
      prefix: --latitude
  longitude:
    type: double?
    label: Site longitude
    doc: Site longitude in degrees, east positive (with latitude, instead of site).
    inputBinding:
      prefix: --longitude
  half_width:
    type: double?
    label: Area half-width
    doc: Half-width of the box around the site in degrees, rounded out to the 1 deg grid (default 1).
    inputBinding:
      prefix: --half-width
  date:
    type: string?
    label: Night
    doc: The astronomical night starting in the evening of this local date (YYYY-MM-DD).
    inputBinding:
      prefix: --date
  start:
    type: string?
    label: Window start
    doc: UTC start of an explicit time window (YYYY-MM-DDTHH:MM), with end, instead of date.
    inputBinding:
      prefix: --start
  end:
    type: string?
    label: Window end
    doc: UTC end of an explicit time window (YYYY-MM-DDTHH:MM).
    inputBinding:
      prefix: --end
  url:
    type: string?
    label: GDEX API URL
    doc: Base URL of the GDEX API (default https://gdex.ucar.edu/api).
    inputBinding:
      prefix: --url
  max_retries:
    type: int?
    label: Retries
    doc: Retries after network errors, time-outs and HTTP 408/429/5xx before exit 100 (default 5).
    inputBinding:
      prefix: --max-retries
  retry_wait:
    type: double?
    label: First retry wait
    doc: Seconds before the first retry, doubled before each next one (default 10).
    inputBinding:
      prefix: --retry-wait
  poll_interval:
    type: double?
    label: First status poll wait
    doc: Seconds between the first checks of the request status, growing by 1.5 (default 30).
    inputBinding:
      prefix: --poll-interval
  max_wait:
    type: double?
    label: Longest wait for the request
    doc: Exit 100 if GDEX has not prepared the request after this many seconds (default 21600).
    inputBinding:
      prefix: --max-wait
  request_id:
    type: string?
    label: Earlier GDEX request
    doc: Resume this GDEX request (named by an earlier exit 100) instead of submitting a new one.
    inputBinding:
      prefix: --request-id

outputs:
  gdas:
    type: File
    label: GDAS GRIB2 file
    doc: The night's 6-hourly GDAS analyses (HGT, TMP, RH on isobaric levels) as one GRIB2 file.
    outputBinding:
      glob: gdas.grib2
  provenance:
    type: File
    label: Provenance record
    doc: JSON provenance of this run (request, GDEX request id and files, outputs with sha256).
    format: https://www.iana.org/assignments/media-types/application/json
    outputBinding:
      glob: fetch-gdas.provenance.json

successCodes: [0]
temporaryFailCodes: [100]
permanentFailCodes: [2, 3]
