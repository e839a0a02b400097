#!/bin/bash
# Judging frames no report uses and no model trained on: 39 colour photographs shipped in three Debian bookworm
# packages (mate-backgrounds 1.26.0-1, opencv-doc 4.6.0+dfsg-12, python3-skimage 0.19.3-8), each scaled so its long
# side is at most 768 (Lanczos), saved as PNG. The list and each source file's sha256 are in debian-photos-39.txt;
# a source whose hash differs stops the script. Usage: bash training/eval/debian_photos.sh OUT_DIR
set -euo pipefail
out=${1:?usage: debian_photos.sh OUT_DIR}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && apt-get download mate-backgrounds=1.26.0-1 opencv-doc=4.6.0+dfsg-12 python3-skimage=0.19.3-8 >/dev/null)
for deb in "$work"/*.deb; do dpkg-deb -x "$deb" "$work/x"; done
mkdir -p "$out"
grep -v '^#' "$here/debian-photos-39.txt" | while read -r sha path; do
  src="$work/x/$path"
  echo "$sha  $src" | sha256sum --check --quiet || { echo "gsc: $path: sha256 differs" >&2; exit 1; }
  /usr/bin/python3 - "$src" "$out" <<'PY'
import os, sys
from PIL import Image
src, out = sys.argv[1:]
im = Image.open(src).convert('RGB')
s = 768 / max(im.size)
if s < 1:
    im = im.resize((round(im.width * s), round(im.height * s)), Image.LANCZOS)
im.save(os.path.join(out, os.path.splitext(os.path.basename(src))[0] + '.png'))
PY
done
echo "$(ls "$out" | wc -l) photos in $out"
