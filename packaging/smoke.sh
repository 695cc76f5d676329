#!/usr/bin/env bash
# Smoke test of the standalone bundle, run by `make dist`:
#   packaging/smoke.sh [BUNDLE]        (default dist/nnbuilder)
#
# A copy of the bundle runs in a temporary folder where no Python is
# installed: in a mount namespace (as root, or through a user namespace)
# every Python installation of this machine is hidden (pyenv, /usr/lib/python3*,
# /usr/local/lib/python3*, the python3 executables and libpython*.so, and the
# repository with its .venv), with an empty environment (env -i). There:
#   - `python3` does not run (so the check is real);
#   - `nnbuilder --version` answers (timed: start-up);
#   - `nnbuilder train iris.json --dataset iris --fit` reaches >= 0.9 test accuracy;
#   - `nnbuilder predict` reads the bundle's own Iris CSV;
#   - `nnbuilder export --format onnx` writes a file (when the command exists);
#   - `nnbuilder gui --self-test` opens the window offscreen, trains in its
#     worker process and closes with status 0 (timed: until the window shows);
#     while it runs, the libpython it mapped must be the bundle's own.
# Exit 0 when all of that held; else 1, naming what failed.
set -euo pipefail

if [ "${1:-}" = "--inside" ]; then  # the part that runs where Python is hidden
    work=$2
    cd "$work"
    app=$work/app/nnbuilder
    exec >"$work/inside.log" 2>&1
    set +e -x  # every step runs; the checks below say which failed
    ! python3 -c pass && echo ok >python_hidden
    for i in 1 2 3 4 5; do
        t0=$(date +%s%N)
        "$app" --version >version.txt
        echo $(( ($(date +%s%N) - t0) / 1000000 )) >>version_ms
    done
    "$app" train iris.json --dataset iris --fit -o trained.json --json >train.json
    "$app" predict trained.json "$work/app/_internal/nnbuilder/resources/data/iris.csv" -o predicted.csv
    if "$app" --help | grep -q '^ *export '; then
        "$app" export trained.json --format onnx -o trained.onnx
    fi
    t0=$(date +%s%N)
    QT_QPA_PLATFORM=offscreen "$app" gui --self-test 2>gui.log &
    pid=$!
    while kill -0 "$pid" 2>/dev/null && ! grep -q "window shown" gui.log; do sleep 0.02; done
    echo $(( ($(date +%s%N) - t0) / 1000000 )) >window_ms
    grep -F libpython "/proc/$pid/maps" | awk '{print $6}' | sort -u >libpython_maps || true
    status=0
    wait "$pid" || status=$?
    echo $(( ($(date +%s%N) - t0) / 1000000 )) >gui_total_ms
    echo "$status" >gui_status
    exit 0
fi

repo=$(cd "$(dirname "$0")/.." && pwd)
bundle=$(realpath "${1:-$repo/dist/nnbuilder}")
[ -x "$bundle/nnbuilder" ] || { echo "smoke: no bundle at $bundle (run make dist)" >&2; exit 1; }
work=$(mktemp -d /tmp/nnbuilder-smoke.XXXXXX)
trap 'rm -rf "$work"' EXIT
cp -a "$bundle" "$work/app"
cp "$repo/resources/examples/iris.json" "$work/iris.json"
cp "$0" "$work/smoke.sh"
mkdir -m 700 "$work/home" "$work/run"

# Every Python installation on this machine, to hide.
hide_dirs=()
built_with=$(readlink -f "$repo/.venv/bin/python" 2>/dev/null || true)  # e.g. a pyenv Python
for d in "${PYENV_ROOT:-$HOME/.pyenv}" ${built_with:+"$(dirname "$(dirname "$built_with")")"} \
         /usr/lib/python3* /usr/local/lib/python3* "$repo"; do
    case $d in /|/usr|/usr/local) continue ;; esac  # a system Python: hidden file by file below
    for h in "${hide_dirs[@]}"; do case $d/ in "$h"/*) continue 2 ;; esac; done  # already hidden
    [ -d "$d" ] && hide_dirs+=("$d")
done
hide_files=()
for f in /usr/bin/python3* /usr/local/bin/python3* /usr/lib/*/libpython3* /usr/local/lib/libpython3*; do
    [ -e "$f" ] && hide_files+=("$f")
done
mounts=""  # files first: some are links into the folders
for f in "${hide_files[@]}"; do mounts+="mount --bind /dev/null '$f'; "; done
for d in "${hide_dirs[@]}"; do mounts+="mount -t tmpfs -o ro none '$d'; "; done
inside=(env -i PATH=/usr/bin:/bin HOME="$work/home" XDG_RUNTIME_DIR="$work/run" LANG=C.UTF-8
        bash "$work/smoke.sh" --inside "$work")
if [ "$(id -u)" = 0 ] && unshare -m true 2>/dev/null; then
    how="a mount namespace hiding ${#hide_dirs[@]} folders and ${#hide_files[@]} files"
    unshare -m --propagation private bash -c "$mounts"' exec "$@"' _ "${inside[@]}" || true
elif unshare -rm true 2>/dev/null; then
    how="a user and mount namespace hiding ${#hide_dirs[@]} folders and ${#hide_files[@]} files"
    unshare -rm --propagation private bash -c "$mounts"' exec "$@"' _ "${inside[@]}" || true
else
    how="env -i only (no mount namespace here: the Python installations stay visible)"
    "${inside[@]}" || true
fi

failed=0
check() {  # check NAME CONDITION-COMMAND...
    local name=$1; shift
    if "$@"; then echo "smoke: ok    $name"; else echo "smoke: FAIL  $name"; failed=1; fi
}
ms() { sort -n "$1" | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }  # the median
read_file() { cat "$work/$1" 2>/dev/null || true; }

echo "smoke: ran $bundle ($(du -sh "$bundle" | cut -f1)) from $work/app in $how"
check "python3 does not run there" test -f "$work/python_hidden"
check "--version: $(read_file version.txt)" grep -q '^nnbuilder [0-9]' "$work/version.txt"
acc=$(sed -n 's/.*"test_accuracy": \([0-9.eE+-]*\).*/\1/p' "$work/train.json" 2>/dev/null || true)
check "train iris --fit: test accuracy ${acc:-missing} >= 0.9" awk -v a="${acc:-0}" 'BEGIN {exit !(a >= 0.9)}'
rows=$( (wc -l <"$work/predicted.csv") 2>/dev/null || echo 0)
check "predict on the bundle's iris.csv: $((rows > 0 ? rows - 1 : 0)) rows" test "$rows" -eq 151
if [ -e "$work/trained.onnx" ] || grep -q ' export ' "$work/inside.log"; then
    check "export --format onnx" test -s "$work/trained.onnx"
fi
check "gui --self-test: exit status $(read_file gui_status)" test "$(read_file gui_status)" = 0
check "the window trained in its worker process" grep -q "trained [0-9]* steps" "$work/gui.log"
maps=$(read_file libpython_maps)
check "libpython mapped from the bundle only: ${maps//$work\/app/BUNDLE}" \
    bash -c '[ -n "$1" ] && ! grep -v "^$2/" <<<"$1"' _ "$maps" "$work/app"
# Lean: what the spec leaves out stayed out (its Python modules are listed
# by PyInstaller's archive viewer, which runs here, outside the namespace).
viewer=$(command -v pyi-archive_viewer || echo "$repo/.venv/bin/pyi-archive_viewer")
"$viewer" -r -b "$bundle/nnbuilder" >"$work/contents.txt" 2>/dev/null || true
if [ ! -s "$work/contents.txt" ]; then
    echo "smoke: (no pyi-archive_viewer ran here: the bundle's Python modules were not listed)"
else
    heavy=$(grep -oE '^ *(torch|onnxruntime|pytest|_pytest|hypothesis|importlinter|PyInstaller)(\.|$)' \
        "$work/contents.txt" | tr -d ' .' | sort -u | tr '\n' ' ' || true)
    check "no test oracle or tool inside (torch, onnxruntime, pytest...)${heavy:+: found $heavy}" \
        test -z "$heavy"
    check "onnx inside (export)" grep -qE '^ *onnx$' "$work/contents.txt"
fi
cut=$(cd "$bundle/_internal" && ls -d PySide6/Qt/translations \
    PySide6/Qt/lib/libQt6{Network,Qml,Quick,WebEngineCore}.so.6 2>/dev/null | tr '\n' ' ' || true)
check "no Qt translations, QtNetwork, QtQml, QtQuick${cut:+: found $cut}" test -z "$cut"

if [ "$failed" = 0 ]; then
    echo "smoke: start-up (--version, median of 5): $(ms "$work/version_ms") ms;" \
         "window shown offscreen after $(read_file window_ms) ms;" \
         "self-test (open, train, close) $(read_file gui_total_ms) ms"
else
    echo "smoke: what ran where Python was hidden (the end of its log):" >&2
    cat "$work/inside.log" "$work/gui.log" 2>/dev/null | tail -n 40 | sed 's/^/  /' >&2
fi
exit "$failed"
