#!/usr/bin/env bash
# Runs the comparison on both corpora (random tokens, real shapes), with encodings on
# (random tokens, N = 100 to 10,000) and on the adversarial sets, keeps the tables in
# docs/bench/, and draws docs/redaction-throughput.svg from the first two. Takes about
# 15 minutes; run it on an otherwise idle machine (pinned to one core when `taskset`
# is there). Arguments (a list of N) go to the first two runs.
set -euo pipefail
cd "$(dirname "$0")"
mkdir -p ../docs/bench
pin=()
command -v taskset >/dev/null && pin=(taskset -c 0)
./run.sh --build
"${pin[@]}" ./target/release/bench-hyperscan "$@" | tee ../docs/bench/random.md
"${pin[@]}" ./target/release/bench-hyperscan --shapes "$@" | tee ../docs/bench/shapes.md
"${pin[@]}" ./target/release/bench-hyperscan --enc 100 1000 10000 | tee ../docs/bench/random-enc.md
"${pin[@]}" ./target/release/bench-hyperscan --adversarial | tee ../docs/bench/adversarial.md
python3 plot.py ../docs/bench/random.md ../docs/bench/shapes.md > ../docs/redaction-throughput.svg
echo "wrote docs/redaction-throughput.svg"
