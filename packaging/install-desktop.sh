#!/bin/sh
# Adds nnbuilder to the desktop's application menu for the current user: the
# .desktop entry (Exec pointing at this folder's nnbuilder) and the icon.
# Run it from the unpacked bundle: ./install-desktop.sh
# Undo: rm ~/.local/share/applications/nnbuilder.desktop \
#          ~/.local/share/icons/hicolor/256x256/apps/nnbuilder.png
set -eu
here=$(cd "$(dirname "$0")" && pwd)
data=${XDG_DATA_HOME:-$HOME/.local/share}
mkdir -p "$data/applications" "$data/icons/hicolor/256x256/apps"
cp "$here/nnbuilder.png" "$data/icons/hicolor/256x256/apps/nnbuilder.png"
# Exec takes the bundle's absolute path, quoted and escaped as the desktop
# entry specification says (it may contain spaces, quotes or %).
exec_path=$(printf '%s' "$here/nnbuilder" | sed 's/[\\"`$]/\\\\&/g; s/%/%%/g')
{ grep -v '^Exec=' "$here/nnbuilder.desktop"; printf 'Exec="%s" gui %%f\n' "$exec_path"; } \
    > "$data/applications/nnbuilder.desktop"
command -v update-desktop-database >/dev/null 2>&1 && update-desktop-database -q "$data/applications" || true
echo "installed $data/applications/nnbuilder.desktop (runs $here/nnbuilder)"
