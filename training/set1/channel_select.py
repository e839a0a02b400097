"""Per-image channel ranking shared with the codec (src/core/codec/channelSelection.ts implements the same
rule; a unit test compares the two). Rule "ssim-gain", version 2:

Structure of the image: its full-range BT.601 Y, Cb, Cr planes (R,G,B = byte/255; Cb, Cr + 0.5 as in JPEG) of
the edge-padded image,
averaged over 4x4 pixels (so each 16x16 latent block is a 4x4 patch). Channel k of the layout (plane p,
vertical frequency u, horizontal frequency v) contributes, in every block, a = y_k / scale times the
16x16 DCT basis image (u, v) averaged over the same 4x4 pixels (the pattern P_k). Candidate image for k:
plane p flat at its image mean m_p, plus k's contribution minus the contribution's image mean. Score of k =
mean local SSIM(structure_p, candidate_k) - mean local SSIM(structure_p, flat m_p), local windows of 2x2
blocks (8x8 samples, fewer where the image has a single block row/column) at a stride of one block,
population statistics, C1 = 0.01^2, C2 = 0.03^2 (data range 1). Ranked by score descending, ties by lower
index; the top C are transmitted. y is g_a's output before quantisation.

Why this rule: the transmitted channels should be the ones that, on their own, most improve the
structural similarity of their colour plane; scoring a channel map against the luma thumbnail (version 1)
favoured DC and high-frequency chroma, which carry little of the picture."""
import math

import numpy as np

C1, C2 = 0.01 ** 2, 0.03 ** 2
BLOCK, SUB = 16, 4
RGB2YCC = np.array([[0.299, 0.587, 0.114], [-0.168736, -0.331264, 0.5], [0.5, -0.418688, -0.081312]])
# JPEG's +128 on chroma: every plane in [0, 1], where SSIM's luminance term is meaningful
YCC_OFFSET = np.array([0.0, 0.5, 0.5])


def structure_planes(rgb_padded):
    """rgb_padded: float array [3,H,W] in [0,1], H and W multiples of 16 -> [3, H/4, W/4] YCbCr 4x4 means."""
    ycc = np.tensordot(RGB2YCC, rgb_padded.astype(np.float64), axes=1) + YCC_OFFSET[:, None, None]
    _, H, W = ycc.shape
    return ycc.reshape(3, H // SUB, SUB, W // SUB, SUB).mean(axis=(2, 4))


def _basis(u, v):
    m = np.arange(BLOCK)
    cu = math.sqrt((1 if u == 0 else 2) / BLOCK) * np.cos((2 * m + 1) * u * math.pi / (2 * BLOCK))
    cv = math.sqrt((1 if v == 0 else 2) / BLOCK) * np.cos((2 * m + 1) * v * math.pi / (2 * BLOCK))
    return np.outer(cu, cv)


def patterns(layout):
    """[K, 4, 4]: each channel's DCT basis averaged over 4x4 pixels; layout = [(plane, u, v)]."""
    n = BLOCK // SUB
    return np.stack([_basis(u, v).reshape(n, SUB, n, SUB).mean(axis=(1, 3)) for (_, u, v) in layout])


def _window_sums(a):
    """a: [..., h, w] per-block sums -> sums over windows of 2x2 blocks (fewer at a 1-block edge), stride 1."""
    if a.shape[-2] > 1:
        a = a[..., :-1, :] + a[..., 1:, :]
    if a.shape[-1] > 1:
        a = a[..., :, :-1] + a[..., :, 1:]
    return a


def _ssim_mean(sx, sxx, sy, syy, sxy, n):
    mx, my = sx / n, sy / n
    vx, vy = sxx / n - mx * mx, syy / n - my * my
    cov = sxy / n - mx * my
    s = ((2 * mx * my + C1) * (2 * cov + C2)) / ((mx * mx + my * my + C1) * (vx + vy + C2))
    return s.reshape(s.shape[0], -1).mean(axis=1)


def channel_scores(y, rgb_padded, layout, scale):
    """y: [K,h,w] raw g_a output; layout: [(plane 0..2, u, v)] per channel; scale: g_a's latent_scale."""
    K, h, w = y.shape
    ref = structure_planes(rgb_padded)  # [3, 4h, 4w]
    n4 = BLOCK // SUB
    blocks = ref.reshape(3, h, n4, w, n4).transpose(0, 1, 3, 2, 4).reshape(3, h, w, n4 * n4)
    P = patterns(layout).reshape(K, n4 * n4)
    planes = np.array([p for (p, _, _) in layout])
    a = y.astype(np.float64) / scale  # [K,h,w]
    # per block: sums of the reference, its square, the contribution, its square, their product
    r1 = blocks.sum(-1)[planes]  # [K,h,w]
    r2 = (blocks ** 2).sum(-1)[planes]
    proj = np.einsum('phwj,kj->pkhw', blocks, P)[planes, np.arange(K)]  # [K,h,w]
    c1 = a * P.sum(1)[:, None, None]
    c2 = a * a * (P * P).sum(1)[:, None, None]
    crx = a * proj
    nsamp = n4 * n4 * min(2, h) * min(2, w)
    m = ref.reshape(3, -1).mean(1)[planes]  # flat level per channel's plane
    cbar = c1.reshape(K, -1).sum(1) / (h * w * n4 * n4)
    d = (m - cbar)[:, None, None]
    S1, S2 = _window_sums(r1), _window_sums(r2)
    C1s, C2s, CX = _window_sums(c1), _window_sums(c2), _window_sums(crx)
    # candidate = contribution + d: sums follow without building it
    cand1 = C1s + nsamp * d
    cand2 = C2s + 2 * d * C1s + nsamp * d * d
    x_cand = CX + d * S1
    mm = m[:, None, None]
    gain = _ssim_mean(S1, S2, cand1, cand2, x_cand, nsamp)
    flat = _ssim_mean(S1, S2, np.broadcast_to(nsamp * mm, S1.shape), np.broadcast_to(nsamp * mm * mm, S1.shape), mm * S1, nsamp)
    return gain - flat


def rank_channels(y, rgb_padded, layout, scale):
    s = channel_scores(y, rgb_padded, layout, scale)
    return sorted(range(len(s)), key=lambda k: (-s[k], k))
