"""A look for a ship rule: one photo encoded and decoded by two model sets at each C, laid out as rows of original | A | B
at full size, then the same rows cropped about the photo's centre at 2x (nearest), saved as JPEG q92 4:4:4.
Usage: /usr/bin/python3 training/eval/look_ab.py PHOTO OUT.jpg --sets 33,34 --channels 2,16"""
import argparse
import os
import subprocess
import tempfile

from PIL import Image, ImageDraw

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def decode(photo, model_set, c, work):
    packet = os.path.join(work, f'{model_set}-{c}.bin')
    out = os.path.join(work, f'{model_set}-{c}.png')
    for cmd in (['encode', photo, '-o', packet, '--channels', str(c), '--model-set', str(model_set)], ['decode', packet, '-o', out]):
        subprocess.run(['node', os.path.join(REPO, 'bin', 'gsc.mjs'), *cmd], check=True, capture_output=True)
    return Image.open(out).convert('RGB'), os.path.getsize(packet)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('photo')
    ap.add_argument('out')
    ap.add_argument('--sets', default='33,34')
    ap.add_argument('--channels', default='2,16')
    a = ap.parse_args()
    sets = [int(s) for s in a.sets.split(',')]
    original = Image.open(a.photo).convert('RGB')
    w, h = original.size
    rows = []
    with tempfile.TemporaryDirectory() as work:
        for c in (int(x) for x in a.channels.split(',')):
            pics = [(original, 'original')]
            for s in sets:
                img, n = decode(a.photo, s, c, work)
                pics.append((img, f'set {s}, C = {c}, {n} B'))
            rows.append(pics)
    cw, ch = w // 2, h // 2
    box = ((w - cw) // 2, (h - ch) // 2, (w - cw) // 2 + cw, (h - ch) // 2 + ch)
    zoomed = [[(p.crop(box).resize((w, h), Image.NEAREST), label + ', 2x') for p, label in row] for row in rows]
    allrows = rows + zoomed
    sheet = Image.new('RGB', (w * len(allrows[0]), h * len(allrows)), 'white')
    draw = ImageDraw.Draw(sheet)
    for r, row in enumerate(allrows):
        for k, (img, label) in enumerate(row):
            sheet.paste(img, (k * w, r * h))
            draw.text((k * w + 6, r * h + 4), label, fill='yellow')
    sheet.save(a.out, quality=92, subsampling=0)


if __name__ == '__main__':
    main()
