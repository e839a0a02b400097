"""Detail a decoded picture draws where its original is flat (LPIPS rewards it: session 26's run e lowered LPIPS by 0.23
with strokes over a clear sky). Per picture: the Laplacian's squared response in Y, Cb and Cr, summed; the original's flat region is
where its 16x16 box mean of that energy is in the picture's lowest quarter; the figure is the decoded picture's mean
energy there over the original's (1: as much fine detail as the original has there; a decoder that blurs reads below
1, one that draws texture into flat areas above it). Pictures are paired by file name.
Usage: /usr/bin/python3 training/eval/false_texture.py ORIGINALS FOLDER...   (prints per folder: mean and median)"""
import glob
import os
import sys

import numpy as np
from PIL import Image

CELL = 16


# BT.601 Y, Cb, Cr (src/core/image/ycbcr.ts): chroma counts too (session 26's run d drew coloured dots on flat luma)
YCC = np.array([[0.299, 0.587, 0.114], [-0.168736, -0.331264, 0.5], [0.5, -0.418688, -0.081312]])


def laplacian_energy(path):
    """[H-2, W-2]: the squared Laplacian response summed over Y, Cb and Cr."""
    a = np.asarray(Image.open(path).convert('RGB'), dtype=np.float64) @ YCC.T
    lap = 4 * a[1:-1, 1:-1] - a[:-2, 1:-1] - a[2:, 1:-1] - a[1:-1, :-2] - a[1:-1, 2:]
    return (lap ** 2).sum(-1)


def flat_ratio(decoded, original):
    e_hat, e = laplacian_energy(decoded), laplacian_energy(original)
    if e_hat.shape != e.shape:
        sys.exit(f'gsc: {decoded}: size differs from {original}')
    h, w = (e.shape[0] // CELL) * CELL, (e.shape[1] // CELL) * CELL
    cells = e[:h, :w].reshape(h // CELL, CELL, w // CELL, CELL).mean((1, 3))
    flat = np.kron(cells <= np.quantile(cells, 0.25), np.ones((CELL, CELL), dtype=bool))
    return e_hat[:h, :w][flat].mean() / max(e[:h, :w][flat].mean(), 1e-9)


def main():
    if len(sys.argv) < 3:
        sys.exit('usage: false_texture.py ORIGINALS FOLDER...')
    originals = sys.argv[1]
    for folder in sys.argv[2:]:
        files = sorted(glob.glob(os.path.join(folder, '*.png')))
        if not files:
            sys.exit(f'gsc: {folder}: no PNG files')
        missing = [f for f in files if not os.path.exists(os.path.join(originals, os.path.basename(f)))]
        if missing:
            sys.exit(f'gsc: {originals}: no original for {os.path.basename(missing[0])}')
        r = np.array([flat_ratio(f, os.path.join(originals, os.path.basename(f))) for f in files])
        print(f'{folder}: {len(files)} pictures, detail in the original\'s flat quarter, decoded / original: '
              f'{r.mean():.3f} (median {np.median(r):.3f})')


if __name__ == '__main__':
    main()
