"""Set 22's colour thumbnail on the wire (docs/bitstream.md 6.4), simulated for training: the Y, Cb, Cr thumbnails
(model channels 1-3) through the CDF 9/7 wavelet, quantised per subband with the encoder's dead zone, and back, as
src/core/codec/wavelet.ts and colourThumbnailCodec.ts do it (checked against them by training/latent/check_colour_wire.ts).
The training of a set-22-wire decoder (config colour_wire 'wavelet') gives it the thumbnails the station gives it,
blurred by coarse coefficients where the wire blurs them, instead of the per-sample rounding set 5 was trained with.
NumPy, float64: the thumbnails are g_a's fixed channels, which the fine-tuning does not train (no gradient needed)."""
import numpy as np

ALPHA = -1.586134342059924
BETA = -0.052980118572961
GAMMA = 0.882911075530934
DELTA = 0.443506852043971
K = 1.230174104914001
MAX_LEVELS = 4
DEAD_ZONE = 0.1  # src/core/codec/colourThumbnailCodec.ts DEAD_ZONE


def levels_of(h, w):
    """Levels for an h x w plane: halve while both sides of the low-pass corner are >= 8, at most MAX_LEVELS."""
    n = 0
    while n < MAX_LEVELS and min(h, w) >= 8:
        h, w, n = (h + 1) >> 1, (w + 1) >> 1, n + 1
    return n


def _lift(x, start, c):
    """One lifting pass along axis 0 on the samples of one parity, each from its two whole-sample-mirrored neighbours."""
    n = x.shape[0]
    j = np.arange(start, n, 2)
    left = np.abs(j - 1)
    right = np.where(j + 1 >= n, 2 * (n - 1) - (j + 1), j + 1)
    x[j] += c * (x[left] + x[right])


def _forward1d(x):
    """Axis-0 forward of x [n, ...]: low-pass (ceil(n/2)) then high-pass (floor(n/2))."""
    if x.shape[0] < 2:
        return x
    x = x.copy()
    _lift(x, 1, ALPHA)
    _lift(x, 0, BETA)
    _lift(x, 1, GAMMA)
    _lift(x, 0, DELTA)
    return np.concatenate([x[0::2] / K, x[1::2] * (K / 2)], axis=0)


def _inverse1d(x):
    if x.shape[0] < 2:
        return x
    n, half = x.shape[0], (x.shape[0] + 1) >> 1
    t = np.empty_like(x)
    t[0::2] = x[:half] * K
    t[1::2] = x[half:n] / (K / 2)
    _lift(t, 0, -DELTA)
    _lift(t, 1, -GAMMA)
    _lift(t, 0, -BETA)
    _lift(t, 1, -ALPHA)
    return t


def _regions(h, w):
    out = []
    for _ in range(levels_of(h, w)):
        out.append((h, w))
        h, w = (h + 1) >> 1, (w + 1) >> 1
    return out


def forward(planes):
    """planes [..., h, w] -> wavelet coefficients in the subband layout (columns, then rows, level after level)."""
    c = np.array(planes, dtype=np.float64, copy=True)
    for hh, ww in _regions(*c.shape[-2:]):
        r = c[..., :hh, :ww]
        r = np.moveaxis(_forward1d(np.moveaxis(r, -2, 0)), 0, -2)
        r = np.moveaxis(_forward1d(np.moveaxis(r, -1, 0)), 0, -1)
        c[..., :hh, :ww] = r
    return c


def inverse(coeffs):
    c = np.array(coeffs, dtype=np.float64, copy=True)
    for hh, ww in reversed(_regions(*c.shape[-2:])):
        r = c[..., :hh, :ww]
        r = np.moveaxis(_inverse1d(np.moveaxis(r, -1, 0)), 0, -1)
        r = np.moveaxis(_inverse1d(np.moveaxis(r, -2, 0)), 0, -2)
        c[..., :hh, :ww] = r
    return c


def band_steps(h, w):
    """[h, w]: each coefficient's step over the colour step, 2^-level (the LL corner 2^-levels), and [h, w] True on LL."""
    levels = levels_of(h, w)
    weight = np.ones((h, w))
    ll = np.zeros((h, w), dtype=bool)
    regions = _regions(h, w)
    for level, (hh, ww) in enumerate(regions, start=1):
        weight[:hh, :ww] = 2.0 ** -level
    if levels:
        lh, lw = (regions[-1][0] + 1) >> 1, (regions[-1][1] + 1) >> 1
        ll[:lh, :lw] = True
    else:
        ll[:] = True
    return weight, ll


def code_thumbnails(planes, steps):
    """planes [B, P, h, w] (g_a's units), steps [B] colour steps -> what the station reconstructs from the wire."""
    planes = np.asarray(planes, dtype=np.float64)
    h, w = planes.shape[-2:]
    weight, ll = band_steps(h, w)
    d = np.asarray(steps, dtype=np.float64).reshape(-1, 1, 1, 1) * weight
    u = forward(planes) / d
    offset = np.where(ll, 0.5, 0.5 - DEAD_ZONE)
    q = np.sign(u) * np.floor(np.abs(u) + offset)
    return inverse(q * d)
