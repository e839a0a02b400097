"""How strongly a folder of decoded pictures repeats the 16-pixel latent grid, whatever its phase. For each picture: the
mean squared luma step between neighbouring pixels at each of the 16 offsets within the grid (columns and rows, each
normalised by its mean over the 16), then its standard deviation over the offsets: 0 for a picture with no 16-pixel
period (the 16 tuning photographs: 0.066 on average), larger the more the gradient energy gathers at some offsets. The blockiness metric
(src/core/analysis/perceptual.ts) reads only offset 0, the boundary pair: a decoder that moves its cell transitions to
mid-cell reads below 1 there while still drawing a grid, which this sees.
Usage: /usr/bin/python3 training/eval/grid_profile.py FOLDER...   (prints per folder: pictures, mean deviation, profile)"""
import glob
import os
import sys

import numpy as np
from PIL import Image

GRID = 16


def profile(path):
    """[16]: normalised mean squared luma step at each offset, offset 0 = across a cell boundary."""
    a = np.asarray(Image.open(path).convert('RGB'), dtype=np.float64)
    luma = a @ np.array([0.299, 0.587, 0.114])
    gx, gy = np.diff(luma, axis=1) ** 2, np.diff(luma, axis=0) ** 2
    # np.diff index k is the step from pixel k to k + 1: across a boundary when k % 16 == 15
    px = np.array([gx[:, k::GRID].mean() for k in range(GRID)])
    py = np.array([gy[k::GRID, :].mean() for k in range(GRID)])
    return np.roll((px / px.mean() + py / py.mean()) / 2, 1)


def main():
    if len(sys.argv) < 2:
        sys.exit('usage: grid_profile.py FOLDER...')
    for folder in sys.argv[1:]:
        files = sorted(glob.glob(os.path.join(folder, '*.png')))
        if not files:
            sys.exit(f'gsc: {folder}: no PNG files')
        profiles = np.array([profile(f) for f in files])
        dev = profiles.std(axis=1)
        print(f"{folder}: {len(files)} pictures, grid deviation {dev.mean():.3f} (median {np.median(dev):.3f}); "
              f"mean profile from the boundary: {' '.join(f'{v:.2f}' for v in profiles.mean(0))}")


if __name__ == '__main__':
    main()
