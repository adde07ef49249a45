cwlVersion: v1.2
class: CommandLineTool
label: Ingest meteorological data (GDAS or ERA5) for a site and a night
doc: |
  Reads GDAS/FNL analyses (NCAR ds083.2 style GRIB2) or ERA5 pressure-level data
  (GRIB edition 1/2, netCDF in the classic or the new CDS layout; the format is
  detected from the content), keeps the grid point nearest to the site or the
  2x2 box around it and the times inside the astronomical night (Sun below -18 deg)
  of the given date or an explicit UTC window, and writes the normalised
  meteorological table meteo.ecsv (time, grid point, pressure, geopotential height,
  geometric altitude, temperature, relative humidity).
  Exit codes: 0 success, 2 bad usage, 3 invalid input data, 100 temporary failure.

baseCommand: [calibpipe-tasks, ingest-meteo]

requirements:
  InlineJavascriptRequirement: {}

hints:
  DockerRequirement:
    dockerPull: calibpipe-tasks:0.1.0
  ResourceRequirement:
    coresMin: 1
    # measured (bench/bench_resources.py, BENCHMARKS.md): 96 MiB + 9 MiB per MiB of GRIB,
    # + 62 MiB per MiB of netCDF (packed values decoded); declared with a margin
    ramMin: "$(Math.ceil(256 + inputs.meteo_files.reduce(function (s, f) { return s + f.size * (f.nameext === '.nc' ? 64 : 10); }, 0) / 1048576))"
    outdirMin: 64
    tmpdirMin: 64

inputs:
  meteo_files:
    type: File[]
    label: Meteorological files
    doc: GRIB or netCDF files of one source (GDAS or ERA5); several files may span the night.
    inputBinding:
      prefix: --meteo-files
  site:
    type: string?
    label: Site name
    doc: CTAO site North or South (aliases LaPalma, Paranal); or give latitude/longitude.
    inputBinding:
      prefix: --site
  latitude:
    type: double?
    label: Site latitude
    doc: Site latitude in degrees (instead of site).
    inputBinding:
      prefix: --latitude
  longitude:
    type: double?
    label: Site longitude
    doc: Site longitude in degrees, east positive (instead of site).
    inputBinding:
      prefix: --longitude
  altitude:
    type: double?
    label: Site altitude
    doc: Site altitude in metres above sea level (with latitude/longitude; default 0).
    inputBinding:
      prefix: --altitude
  date:
    type: string?
    label: Night date
    doc: The astronomical night starting in the evening of this date (YYYY-MM-DD) at the site.
    inputBinding:
      prefix: --date
  start:
    type: string?
    label: Window start
    doc: Start of an explicit time window, UTC (YYYY-MM-DDTHH:MM), instead of date.
    inputBinding:
      prefix: --start
  end:
    type: string?
    label: Window end
    doc: End of an explicit time window, UTC (YYYY-MM-DDTHH:MM), instead of date.
    inputBinding:
      prefix: --end
  allow_daytime:
    type: boolean?
    label: Accept a daytime window
    doc: Accept an explicit window in which the Sun never goes below -18 degrees.
    inputBinding:
      prefix: --allow-daytime
  grid_selection:
    type:
      - "null"
      - type: enum
        symbols: [nearest, box]
    label: Grid point selection
    doc: >-
      The grid point nearest to the site (default; a site outside the file's grid is taken
      within half a grid step of its edge, e.g. a one-point extraction) or the 2x2 box of
      points around it.
    inputBinding:
      prefix: --grid-selection

outputs:
  meteo:
    type: File
    label: Normalised meteorological table
    doc: ECSV, one row per time, grid point and pressure level (see io/meteo_table.py).
    outputBinding:
      glob: meteo.ecsv
  provenance:
    type: File
    label: Provenance record
    doc: JSON provenance of this run (inputs and outputs with sha256, versions, times).
    format: https://www.iana.org/assignments/media-types/application/json
    outputBinding:
      glob: ingest-meteo.provenance.json

successCodes: [0]
temporaryFailCodes: [100]
permanentFailCodes: [2, 3]
