#!/usr/bin/env bash
# Trains the shipped default model (models/default) from the labelled pool in ../shared/data.
# Deterministic: rerunning it on the same data gives byte-identical model files.
# Needs the train extra: python -m pip install -e '.[train]'
#
# Left out of training, on purpose (see models/README.md):
# - base-model generators (GPT-2 era, davinci, falcon-7b) and flan-t5: their text is *less*
#   varied than human text while chat models' is *more*; one linear model cannot learn both
#   directions, and chat output is what corpora are filling up with;
# - Binoculars/pubmed: its human side is lower-cased, pre-tokenized text ("( cyp ) ,"), a
#   formatting artifact that a detector would learn instead of authorship.
# Both are evaluated on the shipped model afterwards, as data it never saw.
set -euo pipefail
DATA="${DATA:-../shared/data}"
OUT="${1:-models/default}"
auditor train "$DATA"/*.jsonl.gz --out "$OUT" --name auditor-default-2026.11 \
  --group-field domain --report-field source --report-field generator \
  --exclude source=Binoculars/pubmed \
  --exclude generator=gpt2-xl --exclude generator=opt-2.7b --exclude generator=gpt-neo-2.7B \
  --exclude generator=gpt-j-6B --exclude generator=gpt-neox-20b --exclude generator=davinci \
  --exclude generator=flan-t5-xxl
