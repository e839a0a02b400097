"""Per-image channel ranking shared with the codec (helper E implements the same rule in TS).
Rule: luma L = 0.299 R + 0.587 G + 0.114 B (R,G,B = byte/255) of the edge-padded image, averaged over each
16x16 block -> map [h,w]. For every latent channel k, the map y[k] (raw g_a output, before quantisation).
Both maps are min-max normalised to [0,1] (a constant map becomes all zeros). Score = global SSIM (one
window = the whole map, population variances, C1 = 0.01^2, C2 = 0.03^2) between them. Channels are ranked
by score descending, ties by lower index; the top C are transmitted."""
import numpy as np

C1, C2 = 0.01 ** 2, 0.03 ** 2


def _norm(a):
    a = a.astype(np.float64)
    lo, hi = a.min(), a.max()
    if hi - lo < 1e-12:
        return np.zeros_like(a)
    return (a - lo) / (hi - lo)


def global_ssim(a, b):
    ma, mb = a.mean(), b.mean()
    va, vb = ((a - ma) ** 2).mean(), ((b - mb) ** 2).mean()
    cov = ((a - ma) * (b - mb)).mean()
    return ((2 * ma * mb + C1) * (2 * cov + C2)) / ((ma * ma + mb * mb + C1) * (va + vb + C2))


def luma_thumbnail(rgb_padded):
    """rgb_padded: float array [3,H,W] in [0,1], H and W multiples of 16 -> [H/16, W/16] block means."""
    lum = 0.299 * rgb_padded[0] + 0.587 * rgb_padded[1] + 0.114 * rgb_padded[2]
    h, w = lum.shape[0] // 16, lum.shape[1] // 16
    return lum.reshape(h, 16, w, 16).mean(axis=(1, 3))


def channel_scores(y, thumb):
    """Vectorised over channels; identical to [global_ssim(_norm(y[k]), _norm(thumb)) for k]."""
    t = _norm(thumb).reshape(-1)
    a = y.reshape(y.shape[0], -1).astype(np.float64)
    lo, hi = a.min(1, keepdims=True), a.max(1, keepdims=True)
    rng = hi - lo
    a = np.where(rng < 1e-12, 0.0, (a - lo) / np.where(rng < 1e-12, 1.0, rng))
    ma, mb = a.mean(1), t.mean()
    va, vb = ((a - ma[:, None]) ** 2).mean(1), ((t - mb) ** 2).mean()
    cov = ((a - ma[:, None]) * (t - mb)[None, :]).mean(1)
    return ((2 * ma * mb + C1) * (2 * cov + C2)) / ((ma * ma + mb * mb + C1) * (va + vb + C2))


def rank_channels(y, thumb):
    s = channel_scores(y, thumb)
    return sorted(range(len(s)), key=lambda k: (-s[k], k))
