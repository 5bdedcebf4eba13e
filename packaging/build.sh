#!/usr/bin/env bash
# Build the installable smtpdiag for this Linux computer:
#
#     bash packaging/build.sh
#
# gives
#     dist/smtpdiag/                                  the app folder (run dist/smtpdiag/smtpdiag)
#     dist/smtpdiag-<version>-linux-<arch>.tar.gz     the same folder, for customers
#
# Steps: a private build environment (build/venv; PYTHON=python3.x picks the
# interpreter, SMTPDIAG_BUILD_VENV another place), smtpdiag pip-installed into it
# from this tree together with packaging/requirements-build.txt, translations
# compiled, PyInstaller with packaging/smtpdiag.spec, a check that every shipped
# library finds what it links to, a smoke test, the desktop files, the tarball.
#
# Options:
#     --no-tarball      stop after dist/smtpdiag/
#     --offline         install nothing (reuse build/venv as it is)
#
# Windows: packaging/windows/build.ps1.  macOS: packaging/macos/build.sh.
# docs/packaging.md says more.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PY="${PYTHON:-python3}"
VENV="${SMTPDIAG_BUILD_VENV:-$ROOT/build/venv}"
DIST="$ROOT/dist"
WORK="$ROOT/build/pyinstaller"
tarball=1
install=1
for arg in "$@"; do
  case "$arg" in
    --no-tarball) tarball=0 ;;
    --offline) install=0 ;;
    -h|--help) sed -n '2,22p' "$0" >&2; exit 0 ;;
    *) echo "build.sh: unknown option $arg" >&2; exit 64 ;;
  esac
done

# Everything goes to standard error as lines labelled "build:"; standard output stays empty.
if [ -t 2 ]; then bold=$'\033[1m' plain=$'\033[0m'; else bold="" plain=""; fi
say() { printf '%sbuild:%s %s\n' "$bold" "$plain" "$*" >&2; }
die() { printf '%sbuild: error:%s %s\n' "$bold" "$plain" "$*" >&2; exit 1; }

case "$(uname -s)" in
  Linux) ;;
  Darwin) die "on macOS use packaging/macos/build.sh" ;;
  *) die "on Windows use packaging/windows/build.ps1" ;;
esac

# --- 1. the interpreter ---------------------------------------------------------------
"$PY" - <<'EOF' || die "need Python 3.11+ built with a shared libpython (pyenv: PYTHON_CONFIGURE_OPTS=--enable-shared pyenv install 3.11); set PYTHON=..."
import sys, sysconfig
assert sys.version_info >= (3, 11), sys.version
assert sysconfig.get_config_var("Py_ENABLE_SHARED"), "no shared libpython"
EOF

# --- 2. system libraries that Qt's X11/Wayland plugins link to ---------------------------
# PyInstaller copies the ones it finds into the bundle, so that customers whose system
# lacks e.g. libxcb-cursor0 still get a window.  Debian/Ubuntu names; elsewhere install
# the equivalents by hand (the check in step 6 names anything missing).
QT_SYSTEM_LIBS=(libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-shape0 libxcb-xinerama0
                libxcb-randr0 libxcb-render-util0 libxcb-image0 libxcb-xkb1 libxkbcommon0
                libxkbcommon-x11-0 libfontconfig1 libdbus-1-3 libglib2.0-0 libegl1 libgl1
                libopengl0 libwayland-client0 libwayland-cursor0 libwayland-egl1)
if [ "$install" = 1 ] && command -v dpkg-query >/dev/null 2>&1; then
  missing=()
  for p in "${QT_SYSTEM_LIBS[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
    say "installing system libraries for Qt: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null 2>&1 || {
      $sudo apt-get update -qq >/dev/null
      $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    }
  fi
fi

# --- 3. the build environment ------------------------------------------------------------
if [ ! -x "$VENV/bin/python" ]; then
  [ "$install" = 1 ] || die "--offline, but there is no build environment in $VENV"
  say "creating the build environment $VENV"
  "$PY" -m venv "$VENV"
fi
VPY="$VENV/bin/python"
mkdir -p "$ROOT/build"
PIPLOG="$ROOT/build/pip.log"
pip_install() {
  "$VPY" -m pip install --disable-pip-version-check "$@" >>"$PIPLOG" 2>&1 || {
    tail -30 "$PIPLOG" >&2; die "pip install $* failed (whole log: $PIPLOG)"; }
}
: >"$PIPLOG"
if [ "$install" = 1 ]; then
  say "installing smtpdiag and the build tools into $VENV"
  pip_install --upgrade pip
  # Old in-tree setuptools output could slip deleted modules into the wheel.
  rm -rf "$ROOT/build/lib" "$ROOT"/build/bdist.*
  pip_install -r packaging/requirements-build.txt "$ROOT[gui]"
  # Always this tree's code, even when the version number did not change.
  pip_install --no-deps --force-reinstall "$ROOT"
fi

# --- 4. translations -----------------------------------------------------------------------
# (*.po -> *.mo next to them, as scripts/i18n.py documents; then reinstall so the
# installed package, which the bundle is made from, has them)
if [ "$install" = 1 ] && [ -f scripts/i18n.py ] &&
   compgen -G "resources/translations/*/LC_MESSAGES/*.po" >/dev/null; then
  say "compiling translations"
  "$VPY" scripts/i18n.py compile | sed 's/^/build: compiled /' >&2
  pip_install --no-deps --force-reinstall "$ROOT"
fi

VERSION="$("$VPY" -c 'from importlib.metadata import version; print(version("smtpdiag"))')"
ARCH="$(uname -m)"

# --- 5. PyInstaller ------------------------------------------------------------------------
say "PyInstaller: smtpdiag $VERSION"
mkdir -p "$WORK"
started=$(date +%s)
# Run from build/ so that the source tree can never shadow the installed package.
# Its own output goes to build/pyinstaller.log; its warnings are shown labelled, except the
# ones nobody can act on: ctypes libraries of other systems (Windows' ole32, shell32, ...)
# that dependencies look up only when they run there.
PYILOG="$ROOT/build/pyinstaller.log"
(cd "$WORK" && "$VENV/bin/pyinstaller" --noconfirm --clean --log-level WARN \
    --distpath "$DIST" --workpath "$WORK" "$ROOT/packaging/smtpdiag.spec") >"$PYILOG" 2>&1 || {
  tail -40 "$PYILOG" >&2; die "PyInstaller failed (whole log: $PYILOG)"; }
grep -E "WARNING|ERROR" "$PYILOG" |
  grep -v -E "Library (ole32|shell32|oleaut32|user32|kernel32|advapi32|crypt32|secur32|ws2_32|Security|CoreFoundation) required via ctypes not found" |
  sed 's/^[0-9]* //; s/^/build: pyinstaller: /' >&2 || true
APP="$DIST/smtpdiag"
say "PyInstaller took $(( $(date +%s) - started )) s"

# --- 6. nothing smtpdiag imports may be missing, every library must find its own ------------
# PyInstaller's warnings list modules it could not find or was told to leave out; one
# imported by smtpdiag itself (not optionally) would fail in the frozen app.
"$VPY" - "$WORK/smtpdiag/warn-smtpdiag.txt" <<'PYTHON' ||
import re, sys
bad = []
for line in open(sys.argv[1], encoding="utf-8"):
    m = re.match(r"(missing|excluded) module named (\S+) - imported by (.*)", line.strip())
    if not m:
        continue
    for importer in m.group(3).split(", "):
        name, _, how = importer.partition(" (")
        if name.startswith("smtpdiag") and (m.group(1) == "excluded" or "top-level" in how):
            bad.append(f"{m.group(1)} module {m.group(2)}, imported by {importer}")
if bad:
    sys.exit("\n".join(bad))
PYTHON
  die "smtpdiag imports modules the bundle lacks (above; EXCLUDES in packaging/smtpdiag.spec?)"

unresolved="$(
  find "$APP" -type f \( -name '*.so' -o -name '*.so.*' \) -print0 |
  while IFS= read -r -d '' lib; do
    dir="$(dirname "$lib")"
    LD_LIBRARY_PATH="$APP/_internal:$APP/_internal/PySide6/Qt/lib:$dir" ldd "$lib" 2>/dev/null |
      grep 'not found' | sed "s|^|${lib#"$APP"/}: |" || true
  done
)"
if [ -n "$unresolved" ]; then
  printf '%s\n' "$unresolved" >&2
  die "some bundled libraries miss a dependency (install it on this build machine and rebuild)"
fi

# --- 7. smoke test ---------------------------------------------------------------------------
got="$("$APP/smtpdiag" --version)"
[ "$got" = "smtpdiag $VERSION" ] || die "dist/smtpdiag/smtpdiag --version printed '$got'"

# --- 8. desktop integration files, next to the program ----------------------------------------
install -Dm644 resources/linux/org.smtpdiag.smtpdiag.desktop "$APP/share/applications/org.smtpdiag.smtpdiag.desktop"
install -Dm644 resources/linux/org.smtpdiag.smtpdiag.metainfo.xml "$APP/share/metainfo/org.smtpdiag.smtpdiag.metainfo.xml"
install -Dm644 resources/icons/smtpdiag.svg "$APP/share/icons/hicolor/scalable/apps/org.smtpdiag.smtpdiag.svg"
install -Dm644 resources/icons/smtpdiag-256.png "$APP/share/icons/hicolor/256x256/apps/org.smtpdiag.smtpdiag.png"
install -Dm755 packaging/linux/install-desktop-entry.sh "$APP/install-desktop-entry.sh"
install -Dm644 packaging/linux/README.txt "$APP/README.txt"

size_mb() { du -sb "$1" | awk '{printf "%.1f", $1 / 1048576}'; }
say "app folder: $APP ($(size_mb "$APP") MB unpacked)"

# --- 9. the tarball ------------------------------------------------------------------------------
if [ "$tarball" = 1 ]; then
  TARBALL="$DIST/smtpdiag-$VERSION-linux-$ARCH.tar.gz"
  epoch="${SOURCE_DATE_EPOCH:-$(git -C "$ROOT" log -1 --format=%ct 2>/dev/null || date +%s)}"
  tar -C "$DIST" --sort=name --owner=0 --group=0 --numeric-owner --mtime="@$epoch" \
      -cf - smtpdiag | gzip -n > "$TARBALL.tmp"
  mv "$TARBALL.tmp" "$TARBALL"
  say "done; the tarball is $TARBALL ($(size_mb "$TARBALL") MB)"
else
  say "done; the app is $APP/smtpdiag"
fi
