#!/bin/sh
# Put smtpdiag into the application menu (and `smtpdiag` on the PATH) from this folder.
#
#     ./install-desktop-entry.sh              for you: ~/.local/share, ~/.local/bin
#     sudo ./install-desktop-entry.sh --system  for everyone: /usr/local/share, /usr/local/bin
#     ./install-desktop-entry.sh --uninstall  [--system]   take it out again
#
# Other options: --prefix DIR (install into DIR/share and DIR/bin), --no-link (no
# `smtpdiag` command on the PATH).  The folder this script is in stays where it is:
# the menu entry points to it, so move the folder first, then run this script (again).
set -eu

APP_ID=org.smtpdiag.smtpdiag
HERE=$(CDPATH= cd -- "$(dirname -- "$0")" && pwd -P)
PROGRAM="$HERE/smtpdiag"

scope=user
prefix=""
link=1
action=install
while [ $# -gt 0 ]; do
  case "$1" in
    --system) scope=system ;;
    --prefix) [ $# -ge 2 ] || { echo "$0: --prefix needs a folder" >&2; exit 64; }
              prefix=$2; scope=prefix; shift ;;
    --prefix=*) prefix=${1#--prefix=}; scope=prefix ;;
    --no-link) link=0 ;;
    --uninstall) action=uninstall ;;
    -h|--help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "$0: unknown option $1 (see --help)" >&2; exit 64 ;;
  esac
  shift
done

case "$scope" in
  user)   data=${XDG_DATA_HOME:-$HOME/.local/share}; bin=$HOME/.local/bin ;;
  system) data=/usr/local/share; bin=/usr/local/bin ;;
  prefix) data=$prefix/share; bin=$prefix/bin ;;
esac

desktop="$data/applications/$APP_ID.desktop"
metainfo="$data/metainfo/$APP_ID.metainfo.xml"
icon_svg="$data/icons/hicolor/scalable/apps/$APP_ID.svg"
icon_png="$data/icons/hicolor/256x256/apps/$APP_ID.png"

refresh_caches() {
  if command -v update-desktop-database >/dev/null 2>&1; then
    update-desktop-database -q "$data/applications" 2>/dev/null || true
  fi
  if command -v gtk-update-icon-cache >/dev/null 2>&1 && [ -f "$data/icons/hicolor/index.theme" ]; then
    gtk-update-icon-cache -q -t -f "$data/icons/hicolor" 2>/dev/null || true
  fi
  touch "$data/icons/hicolor" 2>/dev/null || true  # tells desktops the icons changed
}

if [ "$action" = uninstall ]; then
  rm -f "$desktop" "$metainfo" "$icon_svg" "$icon_png"
  if [ -L "$bin/smtpdiag" ]; then
    rm -f "$bin/smtpdiag"
  fi
  refresh_caches
  echo "smtpdiag was taken out of the menu ($data)."
  exit 0
fi

[ -x "$PROGRAM" ] || { echo "$0: $PROGRAM is missing; run this script from the smtpdiag folder" >&2; exit 1; }
case "$PROGRAM" in
  *[\"\`\$\\]*)
    echo "$0: the folder's path contains \" \` \$ or \\; move it (e.g. to ~/Applications/smtpdiag) and try again" >&2
    exit 1 ;;
esac
# Exec= needs quotes around a path with spaces; TryExec= takes the path as it is.
case "$PROGRAM" in
  *" "*) exec_value="\"$PROGRAM\"" ;;
  *) exec_value=$PROGRAM ;;
esac

mkdir -p "$data/applications" "$data/metainfo" "$(dirname "$icon_svg")" "$(dirname "$icon_png")"
sed -e "s|^Exec=smtpdiag|Exec=$exec_value|" -e "s|^TryExec=smtpdiag\$|TryExec=$PROGRAM|" \
    "$HERE/share/applications/$APP_ID.desktop" > "$desktop.tmp"
mv "$desktop.tmp" "$desktop"
chmod 644 "$desktop"
cp "$HERE/share/metainfo/$APP_ID.metainfo.xml" "$metainfo"
cp "$HERE/share/icons/hicolor/scalable/apps/$APP_ID.svg" "$icon_svg"
cp "$HERE/share/icons/hicolor/256x256/apps/$APP_ID.png" "$icon_png"
chmod 644 "$metainfo" "$icon_svg" "$icon_png"

if [ "$link" = 1 ]; then
  mkdir -p "$bin"
  if [ -e "$bin/smtpdiag" ] && [ ! -L "$bin/smtpdiag" ]; then
    echo "$0: $bin/smtpdiag exists and is not a link; left as it is" >&2
  else
    ln -sfn "$PROGRAM" "$bin/smtpdiag"
  fi
fi
refresh_caches

if command -v desktop-file-validate >/dev/null 2>&1; then
  desktop-file-validate "$desktop" || echo "$0: warning: desktop-file-validate complained about $desktop" >&2
fi

echo "smtpdiag is in the application menu ($desktop)."
if [ "$link" = 1 ]; then
  case ":$PATH:" in
    *":$bin:"*) echo "In a terminal: smtpdiag check mail.example.com" ;;
    *) echo "In a terminal: $bin/smtpdiag check mail.example.com ($bin is not on your PATH)" ;;
  esac
fi
