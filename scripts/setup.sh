#!/usr/bin/env bash
# One command on a fresh Debian machine: install what is missing, build (release), start the server.
#   ./scripts/setup.sh [serve options, e.g. --listen 0.0.0.0:7701 --region FI]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/deps.sh
switchboard_install_deps
echo "==> building (release)"
swift build -c release --product switchboard
echo "==> starting: .build/release/switchboard serve $*"
echo "    data in ./switchboard-data; operator token in ./switchboard-data/operator.token"
exec .build/release/switchboard serve "$@"
