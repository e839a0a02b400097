"""Metrics that see what a person sees, for training evaluations: the same definitions as
src/core/analysis/perceptual.ts (test/unit/perceptual.test.ts checks that both give the same numbers).

- colour_error(x_hat, x): mean CIEDE2000 (Sharma, Wu, Dalal 2005) between the two images box-downscaled by 8
  (partial edge blocks averaged over the pixels they have), sRGB D65 -> CIELAB; per image, lower is better.
- blockiness(x): on BT.601 luma (0..255), mean d^2 of horizontal differences across the 16-pixel grid
  ((x + 1) % 16 == 0) over mean d^2 elsewhere, each + BLOCKINESS_EPS; the same vertically; the mean of the two
  ratios. 1.0 = no grid, lower is better.
- colour_loss(x_hat, x): a differentiable training term, mean Euclidean distance (CIE76 dE) in CIELAB between the
  8x box-downscaled images, with a cube root and a square root that keep finite gradients at 0.

Images are [B,3,H,W] float tensors in [0,1]. The metrics run in float64 and return [B] tensors.
Run as a script, it reads JSON on stdin ({"pairs": [[L1,a1,b1,L2,a2,b2], ...], "images": [{"width", "height",
"a": [rgb bytes], "b": [rgb bytes]}, ...]}) and prints the metrics as JSON (the parity check's entry point).
"""
import json
import sys

import torch
import torch.nn.functional as F

COLOUR_SCALE = 8
BLOCK_GRID = 16
BLOCKINESS_EPS = 1e-3
LUMA = (0.299, 0.587, 0.114)
WHITE = (0.95047, 1.0, 1.08883)
SRGB_TO_XYZ = ((0.4124564, 0.3575761, 0.1804375),
               (0.2126729, 0.7151522, 0.0721750),
               (0.0193339, 0.1191920, 0.9503041))
DELTA = 6 / 29


def box_downscale(x, factor=COLOUR_SCALE):
    """[B,C,H,W] -> [B,C,ceil(H/f),ceil(W/f)]: the mean of each f x f block, partial edge blocks averaged over
    the pixels they have. Differentiable."""
    h, w = x.shape[-2:]
    ph, pw = (-h) % factor, (-w) % factor
    sums = F.avg_pool2d(F.pad(x, (0, pw, 0, ph)), factor, divisor_override=1)
    ones = F.pad(torch.ones(1, 1, h, w, dtype=x.dtype, device=x.device), (0, pw, 0, ph))
    return sums / F.avg_pool2d(ones, factor, divisor_override=1)


def _lab_f(t, safe):
    lin = t / (3 * DELTA * DELTA) + 4 / 29
    if safe:  # clamp inside the cube root: the branch not taken must not give an infinite gradient at 0
        return torch.where(t > DELTA ** 3, t.clamp(min=DELTA ** 3) ** (1 / 3), lin)
    return torch.where(t > DELTA ** 3, t.clamp(min=0) ** (1 / 3), lin)


def rgb_to_lab(x, safe=True):
    """[B,3,H,W] sRGB in [0,1] -> [B,3,H,W] CIELAB (L 0..100), D65. Differentiable (safe cube root)."""
    lin = torch.where(x <= 0.04045, x / 12.92, ((x.clamp(min=0.04045) + 0.055) / 1.055) ** 2.4)
    m = torch.tensor(SRGB_TO_XYZ, dtype=x.dtype, device=x.device)
    xyz = torch.einsum('ij,bjhw->bihw', m, lin)
    xyz = xyz / torch.tensor(WHITE, dtype=x.dtype, device=x.device).view(1, 3, 1, 1)
    f = _lab_f(xyz, safe)
    fx, fy, fz = f[:, 0], f[:, 1], f[:, 2]
    return torch.stack([116 * fy - 16, 500 * (fx - fy), 200 * (fy - fz)], 1)


def ciede2000(lab1, lab2, kl=1.0, kc=1.0, kh=1.0):
    """CIEDE2000 between CIELAB tensors whose dim 1 is (L, a, b) (any trailing shape); Sharma et al. 2005,
    eqs. (1)-(17), hue 0 and mean hue = sum where a chroma is 0. Not meant for gradients (atan2, branches)."""
    L1, a1, b1 = lab1.unbind(1)
    L2, a2, b2 = lab2.unbind(1)
    cab = (torch.hypot(a1, b1) + torch.hypot(a2, b2)) / 2
    g = 0.5 * (1 - torch.sqrt(cab ** 7 / (cab ** 7 + 25.0 ** 7)))
    ap1, ap2 = (1 + g) * a1, (1 + g) * a2
    cp1, cp2 = torch.hypot(ap1, b1), torch.hypot(ap2, b2)

    def hue(b, ap):
        h = torch.rad2deg(torch.atan2(b, ap))
        h = torch.where(h < 0, h + 360, h)
        return torch.where((b == 0) & (ap == 0), torch.zeros_like(h), h)

    hp1, hp2 = hue(b1, ap1), hue(b2, ap2)
    dl, dc = L2 - L1, cp2 - cp1
    cc = cp1 * cp2
    dh = hp2 - hp1
    dh = torch.where(dh > 180, dh - 360, torch.where(dh < -180, dh + 360, dh))
    dh = torch.where(cc == 0, torch.zeros_like(dh), dh)
    d_h = 2 * torch.sqrt(cc) * torch.sin(torch.deg2rad(dh / 2))
    lm, cm = (L1 + L2) / 2, (cp1 + cp2) / 2
    hs = hp1 + hp2
    hm = torch.where((hp1 - hp2).abs() <= 180, hs / 2, torch.where(hs < 360, (hs + 360) / 2, (hs - 360) / 2))
    hm = torch.where(cc == 0, hs, hm)
    rad = torch.deg2rad
    t = 1 - 0.17 * torch.cos(rad(hm - 30)) + 0.24 * torch.cos(rad(2 * hm)) + 0.32 * torch.cos(rad(3 * hm + 6)) \
        - 0.20 * torch.cos(rad(4 * hm - 63))
    dtheta = 30 * torch.exp(-((hm - 275) / 25) ** 2)
    rc = 2 * torch.sqrt(cm ** 7 / (cm ** 7 + 25.0 ** 7))
    l50 = (lm - 50) ** 2
    sl = 1 + 0.015 * l50 / torch.sqrt(20 + l50)
    sc = 1 + 0.045 * cm
    sh = 1 + 0.015 * cm * t
    rt = -torch.sin(rad(2 * dtheta)) * rc
    tl, tc, th = dl / (kl * sl), dc / (kc * sc), d_h / (kh * sh)
    return torch.sqrt(tl * tl + tc * tc + th * th + rt * tc * th)


def colour_error(x_hat, x, factor=COLOUR_SCALE):
    """Mean CIEDE2000 per image between x_hat and x ([B,3,H,W] in [0,1]) box-downscaled by `factor`: [B]."""
    a = rgb_to_lab(box_downscale(x_hat.double(), factor), safe=False)
    b = rgb_to_lab(box_downscale(x.double(), factor), safe=False)
    return ciede2000(a, b).flatten(1).mean(1)


def _grid_ratio(d, grid):
    """d: [B,H,W'] differences along the last dim; position t is on the grid when (t + 1) % grid == 0."""
    n = d.shape[-1]
    on = torch.tensor([(t + 1) % grid == 0 for t in range(n)], device=d.device)
    if n == 0 or on.all() or not on.any():
        return torch.ones(d.shape[0], dtype=d.dtype, device=d.device)
    e = d * d
    return (e[..., on].flatten(1).mean(1) + BLOCKINESS_EPS) / (e[..., ~on].flatten(1).mean(1) + BLOCKINESS_EPS)


def blockiness(x, grid=BLOCK_GRID):
    """Gradient energy on the `grid`-pixel block grid over elsewhere, per image ([B,3,H,W] in [0,1]): [B].
    BT.601 luma scaled to 0..255 (so BLOCKINESS_EPS means the same as in perceptual.ts); 1.0 = no grid."""
    w = torch.tensor(LUMA, dtype=torch.float64, device=x.device).view(1, 3, 1, 1)
    y = (x.double() * 255 * w).sum(1)
    rh = _grid_ratio(y[:, :, 1:] - y[:, :, :-1], grid)
    rv = _grid_ratio((y[:, 1:, :] - y[:, :-1, :]).transpose(1, 2), grid)
    return (rh + rv) / 2


def colour_loss(x_hat, x, factor=COLOUR_SCALE, eps=1e-6):
    """Differentiable colour term: mean over images and 1/`factor`-scale pixels of the CIE76 distance
    sqrt(dL^2 + da^2 + db^2 + eps) between the box-downscaled images in CIELAB (about 1 unit = a just-visible
    difference). eps keeps the square root's gradient finite where the colours agree; the cube root is clamped
    the same way (rgb_to_lab safe=True). Inputs are clamped to [0,1] first."""
    a = rgb_to_lab(box_downscale(x_hat.clamp(0, 1), factor))
    b = rgb_to_lab(box_downscale(x.clamp(0, 1), factor))
    return torch.sqrt(((a - b) ** 2).sum(1) + eps).mean()


def _main():
    req = json.load(sys.stdin)
    out = {}
    if 'pairs' in req:
        p = torch.tensor(req['pairs'], dtype=torch.float64)
        out['ciede2000'] = ciede2000(p[:, 0:3].unsqueeze(-1), p[:, 3:6].unsqueeze(-1)).squeeze(-1).tolist()
    res = []
    for im in req.get('images', []):
        h, w = im['height'], im['width']

        def tensor(v):
            return torch.tensor(v, dtype=torch.float64).view(1, h, w, 3).permute(0, 3, 1, 2) / 255

        a, b = tensor(im['a']), tensor(im['b'])
        res.append({'colourError': colour_error(b, a).item(), 'blockiness': blockiness(b).item(),
                    'colourLoss': colour_loss(b, a).item()})
    out['images'] = res
    print(json.dumps(out))


if __name__ == '__main__':
    _main()
