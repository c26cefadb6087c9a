#!/usr/bin/env bash
# Installs Debian's libhyperscan-dev if it is missing, then runs the comparison.
# Arguments go to the binary: `--enc` (encodings on) and a list of N.
set -euo pipefail
cd "$(dirname "$0")"
if ! [ -e /usr/include/hs/hs.h ]; then
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo=sudo
    $sudo apt-get install -y libhyperscan-dev
fi
cargo run --release --quiet -- "$@"
