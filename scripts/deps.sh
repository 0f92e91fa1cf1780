#!/usr/bin/env bash
# Installs the Debian packages Switchboard needs, if any are missing.
# Sourced by setup.sh and test.sh; safe to run again.
set -euo pipefail

SWITCHBOARD_APT_PACKAGES=(
  pkg-config
  libsqlite3-dev      # GRDB's SQLite
  libedit-dev         # the admin shell's line editor
  libphonenumber-dev  # phone-number parsing
  libprotobuf-dev     # libphonenumber's dependency
  libicu-dev          # locale collation of the phonebook
  netcat-openbsd      # docs examples and smoke checks
  python3             # the Python client and its tests
  curl                # an independent HTTP client in the HTTP test server's tests
  ca-certificates     # https CSV sources
  libxml2             # FoundationXML (CardDAV's WebDAV XML)
)

switchboard_install_deps() {
  local missing=()
  for pkg in "${SWITCHBOARD_APT_PACKAGES[@]}" "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "==> installing: ${missing[*]}"
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
  if ! command -v swift >/dev/null 2>&1; then
    for dir in /opt/swift/usr/bin /opt/swift/bin; do
      [ -x "$dir/swift" ] && export PATH="$dir:$PATH"
    done
  fi
  command -v swift >/dev/null 2>&1 || {
    echo "error: the Swift 6.3 toolchain is not on PATH (see https://www.swift.org/install/linux/)" >&2
    exit 1
  }
}

# Radicale, the real CardDAV server the CardDAV tests run against (PyPI; tests only).
switchboard_install_radicale() {
  python3 -c 'import radicale' 2>/dev/null && return 0
  echo "==> installing radicale (pip)"
  python3 -m pip install --quiet 'radicale==3.9.0' 2>/dev/null \
    || python3 -m pip install --quiet --break-system-packages 'radicale==3.9.0'
}
