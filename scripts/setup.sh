#!/usr/bin/env bash
# One-step set-up on a fresh machine.
#   bash scripts/setup.sh run    install smtpdiag (with the window) and open the demo
#   bash scripts/setup.sh test   install the test dependencies and run every test
# Both create ./.venv (a private Python environment) and install what the
# system lacks for Qt's offscreen/X11 platform and for the network tests.
set -euo pipefail
cd "$(dirname "$0")/.."
what="${1:-run}"
shift || true

PY="${PYTHON:-python3}"
SYSTEM_PACKAGES=(libegl1 libgl1 libopengl0 libxkbcommon0 libxkbcommon-x11-0 libfontconfig1
                 libdbus-1-3 libglib2.0-0 libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1
                 libxcb-shape0 libxcb-xinerama0 fonts-dejavu-core)
if [ "$what" = test ]; then
  SYSTEM_PACKAGES+=(nftables iproute2 poppler-utils openvpn strongswan-charon strongswan-swanctl
                   desktop-file-utils appstream)
fi

install_system_packages() {
  command -v dpkg-query >/dev/null 2>&1 || return 0
  local missing=()
  for p in "${SYSTEM_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  echo "setup: installing system packages: ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null 2>&1 || {
    $sudo apt-get update -qq >/dev/null
    $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  }
}

install_system_packages
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip >/dev/null
case "$what" in
  run)
    .venv/bin/python -m pip install -q -e '.[gui]'
    exec .venv/bin/smtpdiag demo "$@"
    ;;
  test)
    .venv/bin/python -m pip install -q -e '.[test]'
    export QT_QPA_PLATFORM="${QT_QPA_PLATFORM:-offscreen}"
    exec .venv/bin/python -m pytest -n 2 -p no:cacheprovider "$@"
    ;;
  *)
    echo "usage: bash scripts/setup.sh run|test" >&2
    exit 64
    ;;
esac
