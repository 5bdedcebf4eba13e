#!/usr/bin/env bash
# Build smtpdiag.app for macOS (11 Big Sur or newer), sign, notarize, and make a .dmg.
#
#     bash packaging/macos/build.sh                 unsigned (ad-hoc) app + dmg, for testing
#     SMTPDIAG_CODESIGN_IDENTITY="Developer ID Application: Name (TEAMID)" \
#     SMTPDIAG_NOTARY_PROFILE=smtpdiag-notary \
#         bash packaging/macos/build.sh             signed, notarized, stapled: for customers
#
# gives
#     dist/smtpdiag.app
#     dist/smtpdiag-<version>-macos-<arch>.dmg
#
# Needs: Xcode command line tools (codesign, hdiutil, xcrun notarytool/stapler) and
# a python.org or Homebrew Python 3.11+ (PYTHON=...).  The app is built for the
# architecture of this Mac (arm64 or x86_64); build on each for both, or set
# SMTPDIAG_TARGET_ARCH=universal2 with a universal2 Python (python.org installer)
# and universal2 wheels.
#
# Notarization profile, once per machine (an app-specific password of the Apple ID):
#     xcrun notarytool store-credentials smtpdiag-notary \
#         --apple-id you@example.com --team-id TEAMID --password abcd-efgh-ijkl-mnop
#
# What the steps do:
#  1. build environment (build/venv-macos) with smtpdiag + packaging/requirements-build.txt
#  2. PyInstaller with packaging/smtpdiag.spec: the spec's BUNDLE step makes smtpdiag.app
#     from packaging/macos/Info.plist and smtpdiag.icns; with SMTPDIAG_CODESIGN_IDENTITY
#     PyInstaller signs every binary and then the app with
#         codesign -s "$SMTPDIAG_CODESIGN_IDENTITY" --force --timestamp --options=runtime \
#                  --entitlements packaging/macos/entitlements.plist ...
#     (hardened runtime, required for notarization); without it, ad-hoc ("-") signing.
#  3. verification: codesign --verify --deep --strict, and the app's --version
#  4. notarization of the app (zip via ditto), then stapling the ticket to the app
#  5. the dmg (hdiutil, with an /Applications link), signed, notarized and stapled too
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
[ "$(uname -s)" = Darwin ] || { echo "build: this is the macOS build; on Linux use packaging/build.sh" >&2; exit 1; }
PY="${PYTHON:-python3}"
VENV="${SMTPDIAG_BUILD_VENV:-$ROOT/build/venv-macos}"
DIST="$ROOT/dist"
WORK="$ROOT/build/pyinstaller-macos"
IDENTITY="${SMTPDIAG_CODESIGN_IDENTITY:-}"
NOTARY_PROFILE="${SMTPDIAG_NOTARY_PROFILE:-}"
ENTITLEMENTS="$ROOT/packaging/macos/entitlements.plist"

say() { printf '\033[1mbuild:\033[0m %s\n' "$*" >&2; }
die() { printf 'build: error: %s\n' "$*" >&2; exit 1; }

# 1. build environment
"$PY" -c 'import sys; assert sys.version_info >= (3, 11)' || die "need Python 3.11+ (PYTHON=...)"
[ -x "$VENV/bin/python" ] || "$PY" -m venv "$VENV"
VPY="$VENV/bin/python"
"$VPY" -m pip install -q --disable-pip-version-check --upgrade pip
rm -rf "$ROOT/build/lib"
"$VPY" -m pip install -q --disable-pip-version-check -r packaging/requirements-build.txt "$ROOT[gui]"
"$VPY" -m pip install -q --disable-pip-version-check --no-deps --force-reinstall "$ROOT"
if compgen -G "resources/translations/*/LC_MESSAGES/*.po" >/dev/null && [ -f scripts/i18n.py ]; then
  "$VPY" scripts/i18n.py compile
  "$VPY" -m pip install -q --disable-pip-version-check --no-deps --force-reinstall "$ROOT"
fi
VERSION="$("$VPY" -c 'from importlib.metadata import version; print(version("smtpdiag"))')"
ARCH="${SMTPDIAG_TARGET_ARCH:-$(uname -m)}"

# 2. PyInstaller -> dist/smtpdiag.app (signed by PyInstaller when IDENTITY is set)
say "PyInstaller: smtpdiag $VERSION ($ARCH)${IDENTITY:+, signed by $IDENTITY}"
mkdir -p "$WORK"
export SMTPDIAG_CODESIGN_IDENTITY="$IDENTITY"
(cd "$WORK" && "$VENV/bin/pyinstaller" --noconfirm --clean --log-level WARN \
    --distpath "$DIST" --workpath "$WORK" "$ROOT/packaging/smtpdiag.spec")
APP="$DIST/smtpdiag.app"
[ -d "$APP" ] || die "PyInstaller made no $APP"

# 3. verify
codesign --verify --deep --strict --verbose=2 "$APP"
got="$("$APP/Contents/MacOS/smtpdiag" --version)"
[ "$got" = "smtpdiag $VERSION" ] || die "smtpdiag.app --version printed '$got'"
if [ -n "$IDENTITY" ]; then
  codesign --display --verbose=2 "$APP" 2>&1 | grep -q "flags=.*runtime" || die "hardened runtime is not on"
fi
say "app: $APP ($(du -sh "$APP" | cut -f1))"

notarize() {  # notarize FILE: submit, wait, fail with the log if Apple says no
  local file="$1" result id
  result="$(xcrun notarytool submit "$file" --keychain-profile "$NOTARY_PROFILE" --wait --output-format plist)"
  id="$(/usr/libexec/PlistBuddy -c 'Print :id' /dev/stdin <<<"$result")"
  if [ "$(/usr/libexec/PlistBuddy -c 'Print :status' /dev/stdin <<<"$result")" != Accepted ]; then
    xcrun notarytool log "$id" --keychain-profile "$NOTARY_PROFILE" >&2 || true
    die "notarization of $file was not accepted (submission $id)"
  fi
}

# 4. notarize and staple the app
if [ -n "$IDENTITY" ] && [ -n "$NOTARY_PROFILE" ]; then
  say "notarizing the app"
  ditto -c -k --keepParent "$APP" "$WORK/smtpdiag-notarize.zip"
  notarize "$WORK/smtpdiag-notarize.zip"
  xcrun stapler staple "$APP"
  xcrun stapler validate "$APP"
  spctl --assess --type execute --verbose=2 "$APP"
elif [ -n "$IDENTITY" ]; then
  say "SMTPDIAG_NOTARY_PROFILE not set: signed but not notarized (Gatekeeper will refuse it on other Macs)"
else
  say "not signed (ad-hoc): fine on this Mac; other Macs need right-click > Open"
fi

# 5. the disk image
DMG="$DIST/smtpdiag-$VERSION-macos-$ARCH.dmg"
STAGE="$WORK/dmg"
rm -rf "$STAGE" "$DMG"
mkdir -p "$STAGE"
ditto "$APP" "$STAGE/smtpdiag.app"
ln -s /Applications "$STAGE/Applications"
hdiutil create -quiet -volname "smtpdiag $VERSION" -srcfolder "$STAGE" -fs HFS+ -format UDZO -ov "$DMG"
if [ -n "$IDENTITY" ]; then
  codesign -s "$IDENTITY" --timestamp "$DMG"
  if [ -n "$NOTARY_PROFILE" ]; then
    say "notarizing the disk image"
    notarize "$DMG"
    xcrun stapler staple "$DMG"
  fi
fi
say "disk image: $DMG ($(du -h "$DMG" | cut -f1))"
echo "$DMG"
