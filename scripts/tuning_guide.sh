#!/usr/bin/env bash
# Rerun the tuning-guide study and regenerate reports/tuning_guide/ (fits.parquet, guide.html, guide.md, guide_files/,
# recommendation.json) and the copy of the recommendation that `boostreg recommend` ships with.
# About 37 minutes on 2 cores (10,250 fits, measured 2026-12-06). Resumable: run it again after an interruption and stored fits are skipped.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .venv/bin/boostreg ] || bash scripts/setup.sh
mkdir -p reports/tuning_guide
.venv/bin/boostreg run studies/tuning_guide.toml --out runs/tuning_guide --no-report
.venv/bin/boostreg export runs/tuning_guide reports/tuning_guide/fits.parquet
.venv/bin/boostreg guide reports/tuning_guide/fits.parquet -o reports/tuning_guide/guide.html
cp reports/tuning_guide/recommendation.json boostreg/recommendation.json
.venv/bin/python benchmarks/fresh_check.py --summarize benchmarks/fresh_check.csv --write-recommendation  # keep the fresh hold-out record recommend --check quotes
