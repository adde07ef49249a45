cwlVersion: v1.2
class: CommandLineTool
label: Download ERA5 pressure levels for a site and a night from the Copernicus CDS
doc: |
  Asks the Copernicus Climate Data Store (through cdsapi) for ERA5
  reanalysis-era5-pressure-levels - geopotential, temperature and relative humidity
  on all 37 pressure levels - for the hours that cover the astronomical night of a
  date (or a UTC window) over a box around the site, and writes era5.grib or era5.nc
  for ingest-meteo. The CDS key comes from the credentials file only.
  Exit codes: 0 success, 2 bad usage, 3 refused key/request or bad reply,
  100 temporary failure (network, service busy) after the retries.

baseCommand: [calibpipe-tasks, fetch-era5]

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
    label: CDS credentials
    doc: "A .cdsapirc-style file with the lines 'url: <API URL>' and 'key: <personal access token>'."
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
    doc: Half-width of the box around the site in degrees, rounded out to the 0.25 deg grid (default 0.5).
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
  format:
    type:
      - "null"
      - type: enum
        symbols: [grib, netcdf]
    label: File format
    doc: grib (writes era5.grib, the default) or netcdf (writes era5.nc).
    inputBinding:
      prefix: --format
  url:
    type: string?
    label: CDS API URL
    doc: Base URL of the CDS API; default the url of the credentials file, else https://cds.climate.copernicus.eu/api.
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

outputs:
  era5_grib:
    type: File?
    label: ERA5 GRIB file
    doc: The ERA5 pressure-level fields (z, t, r) as GRIB, when format is grib.
    outputBinding:
      glob: era5.grib
  era5_netcdf:
    type: File?
    label: ERA5 netCDF file
    doc: The ERA5 pressure-level fields (z, t, r) as netCDF, when format is netcdf.
    outputBinding:
      glob: era5.nc
  provenance:
    type: File
    label: Provenance record
    doc: JSON provenance of this run (request, service URL, outputs with sha256, versions, times).
    format: https://www.iana.org/assignments/media-types/application/json
    outputBinding:
      glob: fetch-era5.provenance.json

successCodes: [0]
temporaryFailCodes: [100]
permanentFailCodes: [2, 3]
