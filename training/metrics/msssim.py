"""Differentiable MS-SSIM on BT.601 luma, the same definition as src/core/analysis/metrics.ts (Gaussian 11x11
window, sigma 1.5, 'valid' filtering, K1 = 0.01, K2 = 0.03, 2x2 average pooling between scales, standard
5-scale weights; fewer scales, renormalised, when the image is too small). As a training loss each image's
terms are clamped at a small positive value (a zero base has no usable gradient); evaluation passes floor=0,
the metric's own clamp."""
import torch
import torch.nn.functional as F

WEIGHTS = [0.0448, 0.2856, 0.3001, 0.2363, 0.1333]
LUMA = (0.299, 0.587, 0.114)
C1, C2 = 0.01 ** 2, 0.03 ** 2


def _gauss(size, sigma, like):
    r = torch.arange(size, dtype=like.dtype, device=like.device) - (size - 1) / 2
    g = torch.exp(-r * r / (2 * sigma * sigma))
    return g / g.sum()


def _ssim_parts(x, y):
    """x, y: [B,1,H,W] in [0,1] -> per-image (mean ssim, mean cs), each [B]."""
    size = min(11, x.shape[-1], x.shape[-2])
    size -= 1 - size % 2
    g = _gauss(size, 1.5, x)
    kh, kw = g.view(1, 1, size, 1), g.view(1, 1, 1, size)

    def filt(a):
        return F.conv2d(F.conv2d(a, kh), kw)

    mx, my = filt(x), filt(y)
    vx = filt(x * x) - mx * mx
    vy = filt(y * y) - my * my
    cov = filt(x * y) - mx * my
    cs = (2 * cov + C2) / (vx + vy + C2)
    lum = (2 * mx * my + C1) / (mx * mx + my * my + C1)
    return (lum * cs).mean(dim=(1, 2, 3)), cs.mean(dim=(1, 2, 3))


def luma(rgb):
    w = torch.tensor(LUMA, dtype=rgb.dtype, device=rgb.device).view(1, 3, 1, 1)
    return (rgb * w).sum(1, keepdim=True)


def msssim(a, b, floor=1e-4):
    """a, b: RGB [B,3,H,W] in [0,1] -> MS-SSIM per image [B]."""
    x, y = luma(a), luma(b)
    scales = 5
    while scales > 1 and min(x.shape[-2:]) / 2 ** (scales - 1) < 11:
        scales -= 1
    w = torch.tensor(WEIGHTS[:scales])
    w = w / w.sum()
    out = torch.ones(x.shape[0], device=x.device)
    for s in range(scales):
        ssim, cs = _ssim_parts(x, y)
        term = ssim if s == scales - 1 else cs
        out = out * term.clamp(min=floor) ** float(w[s])
        if s < scales - 1:
            x, y = F.avg_pool2d(x, 2), F.avg_pool2d(y, 2)
    return out
