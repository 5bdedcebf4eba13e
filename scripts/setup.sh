#!/usr/bin/env bash
# One-step set-up on a fresh machine.
#   bash scripts/setup.sh run          install smtpdiag (with the window) and open the demo
#   bash scripts/setup.sh test         install the test dependencies and run every test
# Both create ./.venv (a private Python environment) and install what the
# system lacks for Qt's offscreen/X11 platform and for the network tests.
#   bash scripts/setup.sh system test  only the system packages of "test" (or "run"): for a CI
#                                      that brings its own Python (.github/workflows/ci.yml)
#   bash scripts/setup.sh list test    print those packages, one a line (installs nothing)
# This is the one list of system packages; Debian's names (Ubuntu's t64 renames are found).
set -euo pipefail
cd "$(dirname "$0")/.."
what="${1:-run}"
shift || true
kind="$what"
if [ "$what" = system ] || [ "$what" = list ]; then
  kind="${1:-run}"
  shift || true
fi
if [ "$kind" != run ] && [ "$kind" != test ]; then
  echo "usage: bash scripts/setup.sh run|test, or system|list run|test" >&2
  exit 64
fi

PY="${PYTHON:-python3}"
SYSTEM_PACKAGES=(libegl1 libgl1 libopengl0 libxkbcommon0 libxkbcommon-x11-0 libfontconfig1
                 libdbus-1-3 libglib2.0-0 libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1
                 libxcb-shape0 libxcb-xinerama0 fonts-dejavu-core)
if [ "$kind" = test ]; then
  # What the tests drive for real: firewall rules in network namespaces (nftables, iproute2,
  # util-linux's unshare), the PDF renderer (poppler-utils), real VPN daemons (openvpn; strongSwan's
  # charon needs its openssl plugin, which Debian ships only as a Recommends:
  # libstrongswan-standard-plugins), the packaging validators (desktop-file-utils, appstream),
  # the translation template check (gettext's xgettext), the HTML rendering (chromium) and
  # the certificate directory test (openssl rehash).
  SYSTEM_PACKAGES+=(nftables iproute2 util-linux poppler-utils openvpn strongswan-charon
                   strongswan-swanctl libstrongswan-standard-plugins desktop-file-utils appstream
                   gettext chromium openssl)
fi

installed() {
  dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"
}

# Debian 13 and Ubuntu 24.04 renamed some libraries for 64-bit time (libglib2.0-0 is
# libglib2.0-0t64 there, the old name only a virtual package): the name apt can install.
has_candidate() {
  apt-cache policy "$1" 2>/dev/null | grep -q "Candidate: [^(]"
}
apt_name() {
  if ! has_candidate "$1" && has_candidate "$1t64"; then
    echo "$1t64"
  else
    echo "$1"
  fi
}

install_system_packages() {
  command -v dpkg-query >/dev/null 2>&1 || return 0
  local wanted=() missing=()
  for p in "${SYSTEM_PACKAGES[@]}"; do
    installed "$p" || installed "${p}t64" || wanted+=("$p")
  done
  for p in "${wanted[@]}"; do missing+=("$(apt_name "$p")"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  echo "setup: installing system packages: ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  local log
  log=$(mktemp)
  if ! $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >"$log" 2>&1; then
    $sudo apt-get update -qq >"$log" 2>&1 || true
    missing=()  # the names again, from the fresh package lists
    for p in "${wanted[@]}"; do missing+=("$(apt_name "$p")"); done
    if ! $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >"$log" 2>&1; then
      # One package this distribution lacks (e.g. Ubuntu ships chromium only as a snap) must
      # not stop the others: install one by one and name what could not be had.  The tests
      # that need a missing tool say so when they skip.
      local failed=()
      for p in "${missing[@]}"; do
        $sudo apt-get install -y -qq --no-install-recommends "$p" >"$log" 2>&1 || failed+=("$p")
      done
      if [ ${#failed[@]} -gt 0 ]; then
        echo "setup: apt-get could not install: ${failed[*]} (the tests that need them will say so)" >&2
      fi
    fi
  fi
  rm -f "$log"
}

case "$what" in
  list)
    printf '%s\n' "${SYSTEM_PACKAGES[@]}"
    exit 0
    ;;
  system)
    install_system_packages
    exit 0
    ;;
esac

install_system_packages
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
pip_upgrade_log=$(mktemp)
.venv/bin/python -m pip install -q --upgrade pip >"$pip_upgrade_log" 2>&1 || { cat "$pip_upgrade_log" >&2; exit 1; }
rm -f "$pip_upgrade_log"
# pip's own notices (e.g. about this machine's index settings) are not the user's to act on:
# keep them, show them only when the install fails.
pip_install() {
  local log
  log=$(mktemp)
  if ! .venv/bin/python -m pip install -q --disable-pip-version-check "$@" >"$log" 2>&1; then
    cat "$log" >&2
    rm -f "$log"
    echo "setup: pip install $* failed" >&2
    return 1
  fi
  rm -f "$log"
}

# An editable install leaves the package as sources: compile them once, as installing a
# wheel does (where PYTHONDONTWRITEBYTECODE is set, Python would otherwise compile every
# module again at every start: ~90 ms of each 'smtpdiag check', and of each test's subprocess).
compile_package() {
  .venv/bin/python -m compileall -q smtpdiag >/dev/null 2>&1 || true
}

case "$what" in
  run)
    pip_install -e '.[gui]'
    compile_package
    echo "setup: installed; starting 'smtpdiag demo' (.venv/bin/smtpdiag)" >&2
    exec .venv/bin/smtpdiag demo "$@"
    ;;
  test)
    pip_install -e '.[test]'
    compile_package
    export QT_QPA_PLATFORM="${QT_QPA_PLATFORM:-offscreen}"
    exec .venv/bin/python -m pytest -n 2 -p no:cacheprovider "$@"
    ;;
  *)
    echo "usage: bash scripts/setup.sh run|test" >&2
    exit 64
    ;;
esac
