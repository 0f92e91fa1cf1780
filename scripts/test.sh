#!/usr/bin/env bash
# One command runs every test: installs what is missing, builds, runs the Swift
# suites (real servers on loopback) and the Python client's tests.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/deps.sh
switchboard_install_deps
switchboard_install_radicale

echo "==> building (debug, with tests)"
swift build --build-tests

echo "==> Swift tests"
swift test --skip-build 2>&1 | tee /tmp/switchboard-swift-test.log
swift_status=${PIPESTATUS[0]}

echo "==> Python client tests"
set +e
(cd clients/python && SWITCHBOARD_BIN="$PWD/../../.build/debug/switchboard" python3 -m unittest discover -s tests -v) 2>&1 | tee /tmp/switchboard-python-test.log
python_status=${PIPESTATUS[0]}
set -e

swift_count=$(grep -oE 'Test run with [0-9]+ test' /tmp/switchboard-swift-test.log | tail -1 | grep -oE '[0-9]+' || echo 0)
python_count=$(grep -oE '^Ran [0-9]+ test' /tmp/switchboard-python-test.log | tail -1 | grep -oE '[0-9]+' || echo 0)

if [ "$swift_status" -ne 0 ] || [ "$python_status" -ne 0 ]; then
  echo "FAILED: swift=$swift_status python=$python_status"
  exit 1
fi
echo "swift: $swift_count tests, python: $python_count tests"
echo "tests: $((swift_count + python_count)) passed, 0 failed"
