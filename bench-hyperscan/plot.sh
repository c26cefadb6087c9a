#!/usr/bin/env bash
# Runs the comparison on both corpora (random tokens, real shapes), keeps the tables
# in docs/bench/, and draws docs/redaction-throughput.svg from them. Takes several
# minutes; run it on an otherwise idle machine. Arguments (a list of N) go to both runs.
set -euo pipefail
cd "$(dirname "$0")"
mkdir -p ../docs/bench
./run.sh "$@" | tee ../docs/bench/random.md
./run.sh --shapes "$@" | tee ../docs/bench/shapes.md
python3 plot.py ../docs/bench/random.md ../docs/bench/shapes.md > ../docs/redaction-throughput.svg
echo "wrote docs/redaction-throughput.svg"
