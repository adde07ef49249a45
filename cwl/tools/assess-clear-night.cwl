cwlVersion: v1.2
class: CommandLineTool
label: Clear-night assessment from FRAM VAOD (UC-120-1.12)
doc: |
  For the astronomical night of the date at the site of the FRAM table: zenith-angle
  cut, vertical AOD with the Kasten & Young (1989) air mass, stratospheric background
  removed, referred to the reference wavelength, VAOD-error cut, isolated-outlier
  rejection; weighted mean VAOD, chi-square of a constant, excess rms (Paule-Mandel,
  Q-profile limits), drift; verdict clear / aerosol / variable / insufficient-data with
  its reason and every threshold. Writes clear_night.ecsv, clear_night.json and with
  plot clear_night.png.
  Exit codes: 0 success, 2 bad usage, 3 invalid input data, 100 temporary failure.

baseCommand: [calibpipe-tasks, assess-clear-night]

hints:
  DockerRequirement:
    dockerPull: calibpipe-tasks:0.1.0
  ResourceRequirement:
    coresMin: 1
    ramMin: 384
    outdirMin: 64
    tmpdirMin: 64

inputs:
  fram_table:
    type: File
    label: FRAM table
    doc: fram.ecsv written by ingest-fram (carries the site).
    inputBinding:
      prefix: --fram
  date:
    type: string
    label: Night date
    doc: The astronomical night starting in the evening of this date (YYYY-MM-DD).
    inputBinding:
      prefix: --date
  plot:
    type: boolean?
    label: Write the plot
    doc: Also write clear_night.png (VAOD vs time with the verdict).
    inputBinding:
      prefix: --plot
  max_zenith:
    type: double?
    label: Zenith-angle cut [deg]
    doc: Measurements farther from the zenith are not used (default 70).
    inputBinding:
      prefix: --max-zenith
  max_clear_vaod:
    type: double?
    label: Largest clear VAOD
    doc: Largest mean tropospheric VAOD of a clear night (default 0.04).
    inputBinding:
      prefix: --max-clear-vaod
  max_excess_rms:
    type: double?
    label: Largest excess rms
    doc: Largest excess rms of the VAOD over the night still stable (default 0.01).
    inputBinding:
      prefix: --max-excess-rms
  max_drift:
    type: double?
    label: Largest drift
    doc: Largest change of the VAOD over the night still stable (default 0.02).
    inputBinding:
      prefix: --max-drift
  reference_wavelength:
    type: double?
    label: Reference wavelength [nm]
    doc: Wavelength every VAOD is referred to (default 420).
    inputBinding:
      prefix: --reference-wavelength
  stratospheric_aod:
    type: double?
    label: Stratospheric AOD
    doc: Stratospheric background VAOD at its wavelength (default 0.005 at 420 nm).
    inputBinding:
      prefix: --stratospheric-aod

outputs:
  assessment_table:
    type: File
    label: Measurements with VAOD and status (ECSV)
    doc: Every measurement with air mass, VAOD, its error and why it was used or not.
    outputBinding:
      glob: clear_night.ecsv
  assessment_record:
    type: File
    label: Night record (JSON)
    doc: Site, night window, counts, mean VAOD, stability statistics, verdict, reason, thresholds.
    format: https://www.iana.org/assignments/media-types/application/json
    outputBinding:
      glob: clear_night.json
  assessment_plot:
    type: File?
    label: VAOD vs time (PNG)
    doc: Written when plot is true.
    format: https://www.iana.org/assignments/media-types/image/png
    outputBinding:
      glob: clear_night.png
  provenance:
    type: File
    label: Provenance record
    doc: JSON provenance of this run (inputs and outputs with sha256, versions, times).
    format: https://www.iana.org/assignments/media-types/application/json
    outputBinding:
      glob: assess-clear-night.provenance.json

successCodes: [0]
temporaryFailCodes: [100]
permanentFailCodes: [2, 3]
