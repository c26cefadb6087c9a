#!/usr/bin/env bash
# Installs Debian's libhyperscan-dev if it is missing, then runs the comparison.
# Arguments go to the binary: `--enc` (encodings on), `--shapes`, `--adversarial` and
# a list of N; `--build` alone only builds it.
set -euo pipefail
cd "$(dirname "$0")"
if ! [ -e /usr/include/hs/hs.h ]; then
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo=sudo
    $sudo apt-get install -y libhyperscan-dev
fi
if [ "${1:-}" = --build ]; then
    exec cargo build --release --quiet
fi
cargo run --release --quiet -- "$@"
