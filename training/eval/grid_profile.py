"""How strongly a folder of decoded pictures repeats the 16-pixel latent grid, whatever its phase. For each picture: the
mean squared luma step between neighbouring pixels at each of the 16 offsets within the grid (columns and rows, each
normalised by its mean over the 16), then its standard deviation over the offsets: 0 for a picture with no 16-pixel
period (the 16 tuning photographs: 0.066 on average), larger the more the gradient energy gathers at some offsets. The blockiness metric
(src/core/analysis/perceptual.ts) reads only offset 0, the boundary pair: a decoder that moves its cell transitions to
mid-cell reads below 1 there while still drawing a grid, which this sees.
A normalised profile is also flattened by grain that raises every offset alike (session 25's run 5), so with
--against ORIGINALS it also prints the grid's peak excess: per picture and direction, the mean over the offsets of
how far the decoded picture's raw profile stands above the original's profile shape scaled to the decoded picture's
mean, divided by the ORIGINAL's mean step energy. Grain that raises every offset alike leaves it unchanged, a grid
moved to another offset is still a peak; a blurrier picture reads lower, which MS-SSIM and LPIPS see.
Usage: /usr/bin/python3 training/eval/grid_profile.py [--against ORIGINALS] FOLDER...
   (prints per folder: pictures, mean deviation, profile[, peak excess])"""
import glob
import os
import sys

import numpy as np
from PIL import Image

GRID = 16


def raw_profiles(path):
    """([16], [16]): mean squared luma step at each offset across columns and across rows, offset 0 = across a cell
    boundary."""
    a = np.asarray(Image.open(path).convert('RGB'), dtype=np.float64)
    luma = a @ np.array([0.299, 0.587, 0.114])
    gx, gy = np.diff(luma, axis=1) ** 2, np.diff(luma, axis=0) ** 2
    # np.diff index k is the step from pixel k to k + 1: across a boundary when k % 16 == 15
    px = np.array([gx[:, k::GRID].mean() for k in range(GRID)])
    py = np.array([gy[k::GRID, :].mean() for k in range(GRID)])
    return np.roll(px, 1), np.roll(py, 1)


def profile(path):
    """[16]: normalised mean squared luma step at each offset, offset 0 = across a cell boundary."""
    px, py = raw_profiles(path)
    return (px / px.mean() + py / py.mean()) / 2


def peak_excess(path, original):
    """Mean over offsets and directions of relu(decoded profile - its mean x the original's normalised profile),
    on the original's scale (x 1000, since a decoded picture carries about a tenth of the original's step energy)."""
    out = []
    for p, o in zip(raw_profiles(path), raw_profiles(original)):
        out.append(np.maximum(p - p.mean() * o / o.mean(), 0).mean() / o.mean())
    return 1000 * np.mean(out)


def main():
    args = sys.argv[1:]
    originals = None
    if args[:1] == ['--against']:
        if len(args) < 2:
            sys.exit('gsc: --against needs a folder of originals')
        originals, args = args[1], args[2:]
    if not args:
        sys.exit('usage: grid_profile.py [--against ORIGINALS] FOLDER...')
    for folder in args:
        files = sorted(glob.glob(os.path.join(folder, '*.png')))
        if not files:
            sys.exit(f'gsc: {folder}: no PNG files')
        profiles = np.array([profile(f) for f in files])
        dev = profiles.std(axis=1)
        print(f"{folder}: {len(files)} pictures, grid deviation {dev.mean():.3f} (median {np.median(dev):.3f}); "
              f"mean profile from the boundary: {' '.join(f'{v:.2f}' for v in profiles.mean(0))}")
        if originals:
            missing = [f for f in files if not os.path.exists(os.path.join(originals, os.path.basename(f)))]
            if missing:
                sys.exit(f'gsc: {originals}: no original for {os.path.basename(missing[0])}')
            s = np.array([peak_excess(f, os.path.join(originals, os.path.basename(f))) for f in files])
            print(f"  peak excess on the original's scale (x 1000): {s.mean():.2f} (median {np.median(s):.2f})")


if __name__ == '__main__':
    main()
