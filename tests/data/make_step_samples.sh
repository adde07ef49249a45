#!/bin/sh
# Regenerate the small step products used by the CWL jobs (run from the repository root):
#   sh tests/data/make_step_samples.sh
set -e
tmp=$(mktemp -d)
.venv/bin/calibpipe-tasks compute-macobac --co2-file tests/data/scripps_monthly_in_situ_co2_mlo.csv \
  --until 2023-01-15 --output-dir "$tmp"
cp "$tmp/macobac.ecsv" tests/data/macobac_sample.ecsv
.venv/bin/calibpipe-tasks create-mdp --meteo tests/data/meteo_north_era5like.ecsv --output-dir "$tmp"
cp "$tmp/mdp.ecsv" tests/data/mdp_north_sample.ecsv
rm -rf "$tmp"
