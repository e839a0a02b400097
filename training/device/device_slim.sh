#!/usr/bin/env bash
# The device tool copies the working tree (tracked files included) plus the carry, 64 MiB in all, and the tracked
# tree alone is over that (ONNX models, bench caches). A training call needs none of those but the detector (the
# detector-agreement term reads resources/models/detector.onnx, 15 MB), so before it:
#   bash training/device/device_slim.sh stash    moves every tracked file the job does not need
#                                                (resources/models/*.onnx but detector.onnx, and everything under
#                                                docs/: results, sheets, bench caches) to /tmp/gsc-device-stash
#   (the device tool's run ... )
#   bash training/device/device_slim.sh restore  moves them back (or, if the stash is gone, git restores them
#                                                from HEAD)
# It refuses to stash a file with uncommitted changes, so restore can always fall back to HEAD.
set -euo pipefail
cd "$(dirname "$0")/../.."
STASH=${STASH:-/tmp/gsc-device-stash}
mode=${1:?stash or restore}
list() { git ls-files -- 'resources/models/*.onnx' 'docs/*' | grep -vx 'resources/models/detector.onnx'; }
case "$mode" in
  stash)
    changed=$(list | xargs git status --porcelain -- | head -5)
    [ -z "$changed" ] || { echo "device_slim: commit these first (restore falls back to HEAD): $changed" >&2; exit 1; }
    mkdir -p "$STASH"
    list > "$STASH/files.txt"
    while read -r f; do mkdir -p "$STASH/$(dirname "$f")"; mv "$f" "$STASH/$f"; done < "$STASH/files.txt"
    echo "device_slim: stashed $(wc -l < "$STASH/files.txt") files; tracked tree now $(git ls-files -z | xargs -0 du -cb 2>/dev/null | tail -1 | cut -f1) bytes" ;;
  restore)
    if [ -f "$STASH/files.txt" ]; then
      while read -r f; do [ -e "$STASH/$f" ] && { mkdir -p "$(dirname "$f")"; mv "$STASH/$f" "$f"; }; done < "$STASH/files.txt"
      rm -rf "$STASH"
    fi
    git ls-files --deleted -- resources/models docs | xargs -r git checkout --
    echo "device_slim: restored; git status of those paths: $(git status --porcelain -- resources/models docs | wc -l) changes" ;;
  *) echo "device_slim: stash or restore" >&2; exit 2 ;;
esac
