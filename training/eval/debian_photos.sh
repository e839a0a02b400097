#!/bin/bash
# Judging frames no report uses and no model trained on: colour photographs shipped in Debian bookworm packages, each
# scaled so its long side is at most 768 (Lanczos), saved as PNG (named after the file, or after the wallpaper folder
# for Plasma's <name>/contents/images/<size>.jpg). A list names the packages with their versions ("# packages:" line)
# and each photo's sha256 and path; a source whose hash differs stops the script.
#   debian-photos-39.txt: 39 photos (mate-backgrounds, opencv-doc, python3-skimage), session 22
#   debian-photos-23.txt: 23 more (lomiri-wallpapers-16.04 / -20.04, plasma-workspace-wallpapers), session 23
#   debian-photos-27.txt: 49 from 13 other packages (kphotoalbum, tuxpaint-data, tuxtype-data, ...), session 27
#   debian-photos-28.txt: 48 from 14 other packages (lxqt-themes, Qt 5 and Kivy examples, texlive docs, ...), session 28
#   debian-photos-29.txt: 37 from 13 other packages (focuswriter, budgie faces, libjxl-testdata, labelme examples, ...), session 29
#   debian-photos-30.txt: 37 from 19 other packages (endless-sky-data, Go libraries' test images, darktable, libvips-doc, ...), session 30
#   debian-photos-31.txt: 38 from 11 other packages (scratch, libelementary-data, krank, jQuery plugin examples, forensics-samples-files, ...), session 31
#   debian-photos-34.txt: 5 from 5 other packages (allegro5-doc, python3-pyglet, libjs-cropper, libjs-slimbox, mrpt-common), session 34
#   debian-photos-35.txt: 38 from 13 other packages (darknet, libdlib19.1, kalzium-data, endless-sky-high-dpi, gnome-taquin, pinpoint, ...), session 35
#   debian-photos-36.txt: 53 unused ones of endless-sky-high-dpi, libdlib19.1 and gnome-taquin, session 36 (set 32, round 1)
#   debian-photos-36b.txt: 56 more of endless-sky-high-dpi and kalzium-data, session 36 (set 32, round 2)
#   debian-photos-37.txt: 42 more of endless-sky-high-dpi, session 37 (the luma search from C = 4)
#   debian-photos-37b.txt: 42 more of endless-sky-high-dpi, session 37 (the luma search from C = 4, round 2)
#   debian-photos-38.txt: 50 more of endless-sky-high-dpi, session 38 (the fine luma plane's dead zone)
#   debian-photos-39-priors.txt: the last 50 unused of endless-sky-high-dpi, session 39 (set 33, trained entropy-model starts)
#   debian-photos-40.txt: 58 from gcompris-qt-data (erase's 33 animals, every 2nd of explore_monuments' 49), session 40
#   debian-photos-40b.txt: the other 48 of gcompris-qt-data (24 monuments, 15 world and 9 farm animals), session 40 (round 2)
#   debian-photos-40c.txt: 27 more of gcompris-qt-data (details, clickgame, explore_world_music), session 40 (round 3)
#   debian-photos-41.txt: 58 from 19 packages (krank, kphotoalbum, opencv-doc, tuxpaint-data, ...; photos no list used), session 41 (set 34)
#   debian-photos-41b.txt: 37 more from 11 packages (krank, opencv-doc, kphotoalbum, renpy-demo, ...), session 41 (set 35; judged set 36 in session 42)
#   debian-photos-42.txt: 58 from 18 other packages (coreboot-utils-doc, libvisp-doc, castle-game-engine-doc, luma docs, ...), session 42 (set 37)
# A path BUNDLE.rcc:MEMBER names a file inside a Qt resource bundle (rcc_files.py); its photo is named BUNDLE-MEMBER.
# Usage: bash training/eval/debian_photos.sh OUT_DIR [LIST]   (LIST defaults to debian-photos-39.txt)
set -euo pipefail
out=${1:?usage: debian_photos.sh OUT_DIR [LIST]}
here=$(cd "$(dirname "$0")" && pwd)
list=${2:-$here/debian-photos-39.txt}
packages=$(sed -n 's/^# packages: //p' "$list")
[ -n "$packages" ] || { echo "gsc: $list: no '# packages:' line" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# shellcheck disable=SC2086  # one word per package=version
(cd "$work" && apt-get download $packages >/dev/null)
for deb in "$work"/*.deb; do dpkg-deb -x "$deb" "$work/x"; done
mkdir -p "$out"
grep -v '^#' "$list" | while read -r sha path; do
  case $path in
    *.rcc:*)
      mkdir -p "$work/rcc"
      src="$work/rcc/$(basename "${path%%:*}" .rcc)-$(basename "${path#*:}")"
      /usr/bin/python3 "$here/rcc_files.py" "$work/x/${path%%:*}" "${path#*:}" "$src" ;;
    *) src="$work/x/$path" ;;
  esac
  echo "$sha  $src" | sha256sum --check --quiet || { echo "gsc: $path: sha256 differs" >&2; exit 1; }
  /usr/bin/python3 - "$src" "$out" <<'PY'
import os, sys
from PIL import Image
src, out = sys.argv[1:]
parts = src.split('/')
name = parts[-4] if parts[-3:-1] == ['contents', 'images'] else os.path.splitext(parts[-1])[0]
im = Image.open(src).convert('RGB')
s = 768 / max(im.size)
if s < 1:
    im = im.resize((round(im.width * s), round(im.height * s)), Image.LANCZOS)
im.save(os.path.join(out, name + '.png'))
PY
done
echo "$(ls "$out" | wc -l) photos in $out"
